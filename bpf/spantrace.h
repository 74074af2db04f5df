/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records shared by the BPF programs and the loader. Only fixed-width types:
 * both compilers see the same layout, and the _Static_asserts below fail the
 * build on either side if it drifts.
 *
 * Every ring-buffer record starts with struct st_hdr, dispatched on hdr.type
 * in one place: decoder__record in user/core/decode.c (called by the loader and by
 * bench/replay), which decodes span records itself and hands kernel events to
 * user/core/kdecode.c.
 *
 * Record files (--save-records, tests/golden) keep records as they were, each
 * with its size. So a record changes only by growing at its end, and the
 * decoder reads a record of its former size as one without the new fields
 * (st_gspan.pid); a field nothing reads any more stays, zero.
 */
#ifndef SPANTRACE_H
#define SPANTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum st_rec_type {
	ST_REC_SPAN_BEGIN = 1, /* entry of a span function */
	ST_REC_SPAN_END = 2,   /* return of a span function */
	ST_REC_TASK = 3,       /* first record of a thread: its name */
	ST_REC_FORK = 4,       /* a traced task created a process or thread */
	ST_REC_EXEC = 5,       /* a traced process executed a program */
	ST_REC_EXIT = 6,       /* a traced thread exited */
	ST_REC_SIGNAL = 7,     /* a fatal signal was generated for a traced task */
	ST_REC_WAIT = 8,       /* an off-CPU wait of at least min_wait_ns ended */
	ST_REC_PIPE_WRITE = 9, /* a write to a pipe finished (or its writer died) */
	ST_REC_GSPAN_BEGIN = 10, /* entry of a span function, on a goroutine */
	ST_REC_GSPAN_END = 11,	 /* a RET of a span function, on a goroutine */
	ST_REC_SPAN_NAMED = 12,	 /* a span begins, named from an argument */
	ST_REC_GO_CREATE = 13,	 /* a goroutine created another */
	ST_REC_GO_EXIT = 14,	 /* a goroutine ended (runtime.goexit1) */
	ST_REC_GO_PANIC = 15,	 /* a goroutine began to panic (runtime.gopanic) */
	ST_REC_UNWIND = 16,	 /* an exception began, or its unwinding reached code (st_unwind_kind) */
	ST_REC_LOST = 17,	 /* records of a thread or goroutine were lost, before its next one */
};

/*
 * The attach cookie of a span probe: the loader's probe index, and how to
 * read the task and the span's name at that probe.
 */
#define ST_CK_PROBE_MASK 0xffffffffull
/*
 * Bits 32-39: the argument word a span is named from, plus one (0: none).
 * Written with ST_CK_NAME_ARG(n), read with ST_CK_NAME_ARG_OF(cookie).
 */
#define ST_CK_ARG_SHIFT 32
#define ST_CK_ARG_MASK 0xffull
#define ST_CK_ARG_BITS (ST_CK_ARG_MASK << ST_CK_ARG_SHIFT)
#define ST_CK_NAME_ARG(n) ((((__u64)(n) + 1) & ST_CK_ARG_MASK) << ST_CK_ARG_SHIFT)
#define ST_CK_NAME_ARG_OF(cookie) (((cookie) >> ST_CK_ARG_SHIFT) & ST_CK_ARG_MASK)
#define ST_CK_GO (1ull << 40) /* Go: the task is the goroutine in r14, names are Go strings */
#define ST_CK_NOSDEPTH (1ull << 41) /* not a frame (begin/end pairs): no stack depth */
/* Go: the function overwrites r14 (assembly); save g at its entry for its RETs */
#define ST_CK_GO_SAVE_G (1ull << 42)
/* C: record the stack pointer, which tells frames an exception unwound (st_span.sp) */
#define ST_CK_SP (1ull << 43)
/* the entry probe sits on the function's only instruction before it leaves (a RET or
 * a tail jump): the same probe ends the span */
#define ST_CK_ALSO_END (1ull << 44)
/*
 * The generation of the uprobe_multi link a site belongs to: while the
 * overhead guard replaces a link by one without the functions it stops, both
 * fire, and the BPF side lets one record through per hit (bpf/guard.bpf.h).
 */
#define ST_CK_GEN (1ull << 63)

/*
 * The overhead guard's hit counters (bpf/guard.bpf.h): one per probe and
 * direction, entry programs (span_enter, span_enter_named) in the even slot,
 * span_exit in the odd one.
 */
#define ST_GUARD_SLOT(probe, is_exit) ((__u32)(probe) * 2 + ((is_exit) ? 1 : 0))

struct st_hdr {
	__u8 type;  /* enum st_rec_type */
	__u8 flags; /* reserved, 0 */
	__u16 _pad; /* 0 */
	__u32 tid;  /* kernel thread id (task pid) */
	__u64 ts;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, ns */
};

/* What an ST_REC_UNWIND says, in its probe field (the attach cookie of its site). */
enum st_unwind_kind {
	ST_UNWIND_CLEANUP = 0, /* _Unwind_Resume: a cleanup ran at sp, unwinding goes on */
	ST_UNWIND_CATCH = 1,   /* __cxa_begin_catch: the exception is caught at sp */
	ST_UNWIND_THROW = 2,   /* _Unwind_RaiseException, _Unwind_ForcedUnwind: it begins */
};

/*
 * ST_REC_SPAN_BEGIN and ST_REC_SPAN_END; ST_REC_UNWIND: an exception began,
 * or the unwinder ran code at sp (a catch, or a cleanup before it resumes),
 * so every frame below sp is gone.
 */
struct st_span {
	struct st_hdr hdr;
	__u32 pid;   /* thread group id */
	__u32 probe; /* index into the loader's probe table (the attach cookie) */
	__u64 sp;    /* stack pointer at the probe with ST_CK_SP, else 0 */
};

/*
 * ST_REC_GSPAN_BEGIN/END, ST_REC_GO_EXIT, ST_REC_GO_PANIC. sdepth is the
 * distance from the top of the goroutine's stack (g.stack.hi - sp): equal at
 * a call's entry and its RET, and unchanged when the runtime moves the stack.
 *
 * pid came after the rest, at the end so the rest stays where it was: a
 * record of ST_GSPAN_SIZE_NOPID bytes, from a record file saved before, has
 * none, and its process is that of hdr.tid (named by an ST_REC_TASK before).
 */
struct st_gspan {
	struct st_hdr hdr;
	__u32 probe;
	__u32 sdepth; /* 0: unknown */
	__u64 goid;
	__u32 pid;    /* thread group id */
	__u32 _pad;
};
#define ST_GSPAN_SIZE_NOPID 32

/* ST_REC_SPAN_NAMED: a BEGIN (C or Go) whose span is named by an argument. */
#define ST_NAME_LEN 64
#define ST_NAME_F_TRUNCATED 1 /* the string was longer than name[] */
/*
 * The string could not be read: it is in a page the process has not touched
 * yet, and a uprobe cannot fault pages in. ptr and len say where it is; the
 * loader reads it through /proc/PID/mem, which can.
 */
#define ST_NAME_F_FAULT 2
struct st_nspan {
	struct st_hdr hdr;
	__u32 pid;
	__u32 probe;
	__u64 goid; /* 0 for a thread */
	__u64 ptr;  /* the string's address */
	__u64 sp;   /* C: as st_span.sp */
	__u32 sdepth;
	__u16 len;  /* bytes in name[], not terminated (FAULT: bytes to read, 0 = to NUL) */
	__u8 nflags; /* ST_NAME_F_* */
	__u8 _pad;
	char name[ST_NAME_LEN];
};

/* ST_REC_GO_CREATE: hdr.tid is the thread that ran the go statement. */
struct st_gocreate {
	struct st_hdr hdr;
	__u32 pid;
	__u32 _pad;
	__u64 parent_goid; /* 0 if unknown */
	__u64 child_goid;
};

/*
 * ST_REC_TASK: sent once per thread, before its first span record, so the
 * thread's name is known even when it has exited before the loader looks.
 */
#define ST_COMM_LEN 16
struct st_task {
	struct st_hdr hdr;
	__u32 pid;
	__u32 _pad;
	char comm[ST_COMM_LEN];
};

/* ST_REC_FORK: hdr.tid is the creating thread. */
struct st_fork {
	struct st_hdr hdr;
	__u32 pid; /* creator's process */
	__u32 child_pid;
	__u32 child_tid;
	__u32 _pad;
	char comm[ST_COMM_LEN]; /* the child's, inherited from the creator */
};

/* ST_REC_EXEC */
#define ST_PATH_LEN 256
struct st_exec {
	struct st_hdr hdr;
	__u32 pid;
	__u32 old_tid; /* a non-leader thread that execs takes the leader's tid */
	char comm[ST_COMM_LEN];
	char filename[ST_PATH_LEN];
};

/* ST_REC_EXIT */
struct st_exit {
	struct st_hdr hdr;
	__u32 pid;
	__s32 code;	  /* task exit_code, wait(2) status layout: (code << 8) | signal */
	__u8 group_dead;  /* last thread of its process */
	__u8 _pad[7];	  /* 0 (older record files: how the exit was seen, never read) */
	char comm[ST_COMM_LEN]; /* the last name it had (prctl renames send no event) */
};

/* ST_REC_SIGNAL: hdr.tid/pid is the task the signal is for. */
struct st_signal {
	struct st_hdr hdr;
	__u32 pid;
	__s32 sig;
	__u32 sender_pid;
	__u32 sender_tid;
	__s32 result; /* TRACE_SIGNAL_*: 0 delivered, 2 already pending, ... */
	__u32 group;  /* sent to the whole process */
	char sender_comm[ST_COMM_LEN];
};

/* What an off-CPU task waits for, when the kernel lets us tell. */
enum st_blocker {
	ST_BLK_NONE = 0,
	ST_BLK_MUTEX = 1,      /* task_struct.blocker names a mutex: blocked_by is its owner */
	ST_BLK_SEM = 2,	       /* ... a semaphore: blocked_by is its last holder */
	ST_BLK_PIPE_LOCK = 3,  /* in a pipe write, waiting for the pipe's lock: blocked_by holds it */
	ST_BLK_PIPE_SPACE = 4, /* in a pipe write, waiting for room: the readers hold it up */
	ST_BLK_PIPE_HELD = 5,  /* in a pipe write, holding the pipe's lock, asleep elsewhere */
};

#define ST_WAIT_F_ESTIMATED 1 /* began before tracing: start from scheduler accounting */
#define ST_WAIT_F_NOSTART 2   /* began before tracing, start unknown: start is attach time */

/*
 * The task state bits of st_offcpu.state, as the kernel's scheduler has them
 * (include/linux/sched.h; unchanged since 2.6): the BPF side tells waits by
 * them, the decoder names and judges them.
 */
#define ST_TASK_INTERRUPTIBLE 0x1
#define ST_TASK_UNINTERRUPTIBLE 0x2
#define ST_TASK_STOPPED_BITS 0xc /* __TASK_STOPPED | __TASK_TRACED */
#define ST_TASK_DEAD 0x80
#define ST_TASK_WAKEKILL 0x100 /* a fatal signal ends the sleep */

#define ST_MAX_STACK 32
/*
 * An off-CPU wait: kept per thread in the offcpu map from switch-out to
 * switch-in (the loader reads it there for stalls still in progress) and sent
 * as ST_REC_WAIT when it ends.
 */
struct st_offcpu {
	__u64 start;	  /* switch-out, CLOCK_MONOTONIC ns */
	__u64 pipe_ino;	  /* pipe being written when it blocked, 0 if none */
	__u32 pid;
	__u32 state;	  /* task state at switch-out (ST_TASK_* bits) */
	__u32 blocked_by; /* tid, 0 if unknown */
	__u8 blocker;	  /* enum st_blocker */
	__u8 flags;	  /* ST_WAIT_F_* */
	__u16 nstack;	  /* frames in stack[], innermost first */
	__u64 stack[ST_MAX_STACK];
};

/* ST_REC_WAIT: hdr.ts is the switch-in. */
struct st_wait {
	struct st_hdr hdr;
	struct st_offcpu w;
};

#define ST_PW_F_EXITED 1 /* the writer exited inside the write: result is meaningless */
/* A pipe write in progress, per thread (pwrites map). */
struct st_pwrite {
	__u64 start;
	__u64 ino;
	__u64 pipe; /* struct pipe_inode_info *, to read its lock's owner */
	__u64 requested;
	__u64 blocked_ns;
	__u32 pid;
	__u32 blocked_by;
	__u8 blocker;
	__u8 _unused; /* 0 (older record files: how the write was seen, never read) */
	__u8 flags;
	__u8 _pad[5];
};

/* ST_REC_PIPE_WRITE: hdr.ts is the end of the write. */
struct st_pipe_write {
	struct st_hdr hdr;
	__s64 result; /* bytes written or -errno */
	struct st_pwrite pw;
};

/*
 * ST_REC_LOST: the ring buffer had no room for records of one span stream (a
 * thread's own records, or a goroutine's), and this is sent before the next
 * record of that stream, from the thread that sends it: a stream's records
 * never come after a loss without one. A stream is the span records
 * (BEGIN, END, NAMED, GSPAN, UNWIND, GO_EXIT, GO_PANIC) of a thread (goid 0:
 * C spans, and Go spans off any goroutine) or of a goroutine (goid). What it
 * says lets the decoder tell which open spans ended among the lost records
 * and which calls began among them and are still open, so that it knows when
 * its stack is the true one again (user/core/spantree.h, SPAN_EV_GAP).
 *
 * For a thread: the BPF side counts BEGINs minus ENDs of the thread's own
 * records ("frames"); drop is how far that count went below its value at the
 * last record sent, rise how far it is now above that lowest point. sp is the
 * highest stack pointer among lost records that had one (C with ST_CK_SP):
 * the shallowest frame they reached. ST_LOST_F_KEYED: a lost BEGIN or END had
 * no stack pointer (only drop and rise tell about it).
 *
 * For a goroutine: sdepth is the lowest stack depth among its lost records
 * (its shallowest frame); ST_LOST_F_NODEPTH: one had none (a begin/end pair).
 */
#define ST_LOST_F_KEYED 1
#define ST_LOST_F_NODEPTH 2
struct st_lost {
	struct st_hdr hdr; /* tid: the thread that sends it (for a goroutine: where it runs now) */
	__u32 pid;
	__u32 lost;  /* records lost */
	__u64 goid;  /* the goroutine whose records were lost; 0: the thread's own */
	__u64 sp;    /* thread: see above, 0 if none */
	__u32 sdepth; /* goroutine: see above */
	__u32 drop;  /* thread: see above */
	__u32 rise;  /* thread: see above */
	__u32 flags; /* ST_LOST_F_* */
};

_Static_assert(sizeof(struct st_hdr) == 16, "st_hdr layout");
_Static_assert(sizeof(struct st_lost) == 56, "st_lost layout");
_Static_assert(sizeof(struct st_fork) == 48, "st_fork layout");
_Static_assert(sizeof(struct st_exec) == 296, "st_exec layout");
_Static_assert(sizeof(struct st_exit) == 48, "st_exit layout");
_Static_assert(sizeof(struct st_signal) == 56, "st_signal layout");
_Static_assert(sizeof(struct st_offcpu) == 32 + 8 * ST_MAX_STACK, "st_offcpu layout");
_Static_assert(sizeof(struct st_wait) == 16 + sizeof(struct st_offcpu), "st_wait layout");
_Static_assert(sizeof(struct st_pwrite) == 56, "st_pwrite layout");
_Static_assert(sizeof(struct st_pipe_write) == 80, "st_pipe_write layout");
_Static_assert(sizeof(struct st_span) == 32, "st_span layout");
_Static_assert(sizeof(struct st_task) == 40, "st_task layout");
_Static_assert(sizeof(struct st_gspan) == 40, "st_gspan layout");
_Static_assert(__builtin_offsetof(struct st_gspan, pid) == ST_GSPAN_SIZE_NOPID, "st_gspan layout");
_Static_assert(sizeof(struct st_nspan) == 56 + ST_NAME_LEN, "st_nspan layout");
_Static_assert(sizeof(struct st_gocreate) == 40, "st_gocreate layout");

/* Upper bound on traced processes held in the tgid filter map. */
#define ST_MAX_TGIDS 4096
/* Threads remembered as already named; an evicted one is named again (harmless). */
#define ST_MAX_SEEN_TIDS 65536
/* Threads off CPU or inside a pipe write at once. */
#define ST_MAX_WAITING 16384
/* Goroutines whose lost records are not told yet (one more: counted in lost_untracked). */
#define ST_MAX_LOSSY_GOROUTINES 16384

#endif /* SPANTRACE_H */
