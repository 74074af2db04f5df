// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * All of spantrace's BPF programs, one object, one ring buffer.
 *
 * Span probes: one entry program and one return program serve every traced
 * function: the attach cookie carries the loader's probe index, so the number
 * of functions is not bounded by the number of programs.
 *
 * Kernel events of the traced process tree: fork/exec/exit, fatal signals,
 * off-CPU waits with their kernel stacks and blockers, pipe writes. The loader
 * decides once which of these programs load and how they attach (kprobes where
 * the kernel has them, tracepoints otherwise); see user/live/kplan.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "spantrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Wake the reader once this much is queued; it also polls on a timeout, so
 * nothing waits longer than that. Per-record wakeups would cost a syscall-ish
 * IPI per span on the traced thread. */
const volatile __u64 wakeup_bytes = 64 * 1024;
/* Off-CPU waits shorter than this are not sent (--min-wait). */
const volatile __u64 min_wait_ns = 10 * 1000 * 1000;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the loader (--ringbuf-size) */
} events SEC(".maps");

/* Processes being traced. uprobes are attached per process already; this
 * keeps another tracer's attachment to the same file from leaking in. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_TGIDS);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ST_MAX_SEEN_TIDS);
	__type(key, __u32);
	__type(value, __u8);
} seen_tids SEC(".maps");

/* Threads now off CPU: read by the loader for stalls still in progress. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_WAITING);
	__type(key, __u32);
	__type(value, struct st_offcpu);
} offcpu SEC(".maps");

/* Threads inside a pipe write. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_WAITING);
	__type(key, __u32);
	__type(value, struct st_pwrite);
} pwrites SEC(".maps");

/* struct st_offcpu is too big for the BPF stack next to everything else. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_offcpu);
} scratch SEC(".maps");

/* Records that found the ring buffer full: reported, never silent. */
__u64 dropped = 0;
/* Processes not traced because the tgids map was full: reported. */
__u64 tgids_full = 0;
/* Waits not tracked because the offcpu or pwrites map was full: reported. */
__u64 waits_full = 0;

static __always_inline void fill_hdr(struct st_hdr *h, __u8 type, __u32 tid)
{
	h->type = type;
	h->flags = 0;
	h->_pad = 0;
	h->tid = tid;
	h->ts = bpf_ktime_get_ns();
}

static __always_inline void *reserve(__u64 size)
{
	void *r = bpf_ringbuf_reserve(&events, size, 0);

	if (!r)
		__sync_fetch_and_add(&dropped, 1);
	return r;
}

/*
 * Per CPU: the last thread this CPU let through the filter and named (most
 * records come from the thread that made the last one, and this saves the
 * two hash lookups, tgids and seen_tids, per span record; a traced thread's
 * exit bumps task_gen, which invalidates every CPU's entry, as its tid or its
 * process's pid may come back as someone else's), and the bytes this CPU has
 * queued since it last woke the reader.
 */
struct cpu_state {
	__u64 pid_tgid;
	__u64 gen;
	__u64 queued;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
} cpu_state SEC(".maps");

__u64 task_gen = 0;

static __always_inline struct cpu_state *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

/*
 * Submits r, waking the reader once this CPU has queued wakeup_bytes. Counted
 * per CPU rather than read from the ring (bpf_ringbuf_query): the ring's
 * positions share a cache line with the reader, and reading them on every
 * record from the traced thread's CPU costs a cache miss each time.
 */
static __always_inline void submit_on(struct cpu_state *c, void *r, __u64 size)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (c) {
		c->queued += size;
		if (c->queued >= wakeup_bytes) {
			c->queued = 0;
			flags = BPF_RB_FORCE_WAKEUP;
		}
	}
	bpf_ringbuf_submit(r, flags);
}

static __always_inline void submit_sized(void *r, __u64 size)
{
	submit_on(this_cpu(), r, size);
}

#define submit(r) submit_sized((r), sizeof(*(r)))

/* Name a thread the first time it produces a record. */
static __always_inline void note_task(__u32 pid, __u32 tid)
{
	struct st_task *t;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&seen_tids, &tid))
		return;
	t = reserve(sizeof(*t));
	if (!t)
		return; /* not marked seen: retried on the next record */
	fill_hdr(&t->hdr, ST_REC_TASK, tid);
	t->pid = pid;
	t->_pad = 0;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
	submit(t);
	/* Unchecked: harmless. If it fails (an LRU map only fails when no CPU has a free
	 * node), the thread is named again with its next record, and a name twice is
	 * still its name. */
	bpf_map_update_elem(&seen_tids, &tid, &one, BPF_ANY);
}

/* Go runtime layout, from the binary's DWARF or its Go version (user/symbols/gobin.c). */
const volatile __u32 go_goid_off = 152;
const volatile __u32 go_stack_hi_off = 8;

/* runtime.newproc's goroutine, per thread, until newproc1 returns the new one. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} go_parent SEC(".maps");

/*
 * Per thread: the g last seen at the entry of a function that overwrites
 * r14 (assembly, whose RETs cannot read g from r14). Such a function does
 * not switch goroutines, so the g at its RET is the one at its entry; the
 * stack check in g_runs_here makes a stale entry harmless.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ST_MAX_SEEN_TIDS);
	__type(key, __u32);
	__type(value, __u64);
} go_cur SEC(".maps");

/* Is g the goroutine running on this stack? Its stack [lo, hi) holds sp. Sets *hi. */
static __always_inline bool g_runs_here(__u64 g, __u64 sp, __u64 *hi)
{
	__u64 stack[2]; /* runtime.g.stack: lo, hi */

	if (!g || bpf_probe_read_user(stack, sizeof(stack), (void *)(g + go_stack_hi_off - 8)))
		return false;
	*hi = stack[1];
	return stack[0] <= sp && sp < stack[1];
}

/*
 * The goroutine running on this thread: r14 under Go's register ABI, unless
 * r14 holds something else (assembly that used it, C code of a cgo
 * program, a signal handler's stack); then the g this thread saved at the
 * entry of the assembly function it is in; else none (0: the thread's own
 * track). With save (the entry of a function that overwrites r14), the g is
 * saved for its RETs. With want_depth, its stack depth in *sdepth (always
 * written: 0 if not wanted or unknown).
 */
static __always_inline __u64 go_task(struct pt_regs *ctx, bool want_depth, bool save,
				     __u32 *sdepth)
{
	__u64 g = ctx->r14, goid = 0, hi = 0, sp = ctx->sp, *saved;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	*sdepth = 0;
	if (g_runs_here(g, sp, &hi)) {
		if (save)
			bpf_map_update_elem(&go_cur, &tid, &g, BPF_ANY);
	} else {
		saved = bpf_map_lookup_elem(&go_cur, &tid);
		if (!saved || !g_runs_here(*saved, sp, &hi))
			return 0;
		g = *saved;
	}
	bpf_probe_read_user(&goid, sizeof(goid), (void *)(g + go_goid_off));
	if (want_depth && hi - sp < (1ull << 32))
		*sdepth = (__u32)(hi - sp);
	return goid;
}

/*
 * Integer argument word n: SysV registers for C, Go's register ABI for Go.
 * Loaded into an array first: the context may only be read at constant
 * offsets, and a switch is compiled into a computed one.
 */
static __always_inline __u64 arg_word(struct pt_regs *ctx, __u32 n, bool go)
{
	__u64 ax = ctx->ax, bx = ctx->bx, cx = ctx->cx, dx = ctx->dx, di = ctx->di, si = ctx->si;
	__u64 r8 = ctx->r8, r9 = ctx->r9, r10 = ctx->r10, r11 = ctx->r11;
	__u64 w[9];

	/* every load happens here, at its constant offset, whatever the branch below */
	barrier_var(ax);
	barrier_var(bx);
	barrier_var(cx);
	barrier_var(dx);
	barrier_var(di);
	barrier_var(si);
	barrier_var(r8);
	barrier_var(r9);
	barrier_var(r10);
	barrier_var(r11);
	if (go) {
		w[0] = ax;
		w[1] = bx;
		w[2] = cx;
		w[3] = di;
		w[4] = si;
		w[5] = r8;
		w[6] = r9;
		w[7] = r10;
		w[8] = r11;
	} else {
		w[0] = di;
		w[1] = si;
		w[2] = dx;
		w[3] = cx;
		w[4] = r8;
		w[5] = r9;
		w[6] = w[7] = w[8] = 0;
	}
	return n < 9 ? w[n] : 0;
}

/* A BEGIN named from argument arg: a C string, or a Go string (pointer, length). */
static __always_inline void emit_named(struct pt_regs *ctx, struct cpu_state *c, __u32 pid,
				       __u32 tid, __u64 cookie, __u32 arg, bool can_fault)
{
	bool go = cookie & ST_CK_GO;
	struct st_nspan *r = reserve(sizeof(*r));
	__u64 ptr;
	long n;

	/* before anything else: older verifiers do not know r is non-NULL past this */
	if (!r)
		return;
	ptr = arg_word(ctx, arg, go);
	fill_hdr(&r->hdr, ST_REC_SPAN_NAMED, tid);
	r->pid = pid;
	r->probe = (__u32)(cookie & ST_CK_PROBE_MASK);
	r->goid = 0;
	r->sdepth = 0;
	r->sp = cookie & ST_CK_SP ? ctx->sp : 0;
	if (go)
		r->goid = go_task(ctx, !(cookie & ST_CK_NOSDEPTH), cookie & ST_CK_GO_SAVE_G, &r->sdepth);
	r->nflags = 0;
	r->_pad = 0;
	r->ptr = ptr;
	if (go) {
		__u64 len = arg_word(ctx, arg + 1, true);

		if (len > ST_NAME_LEN) {
			len = ST_NAME_LEN;
			r->nflags |= ST_NAME_F_TRUNCATED;
		}
		n = bpf_probe_read_user(r->name, len, (void *)ptr) ? -(long)len - 1 : (long)len;
		/* a sleepable program may fault the page in */
		if (n < 0 && can_fault && !bpf_copy_from_user(r->name, len, (void *)ptr))
			n = (long)len;
	} else {
		n = bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)ptr);
		if (n < 0 && can_fault && !bpf_copy_from_user(r->name, 1, (void *)ptr))
			n = bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)ptr);
		if (n > 0) {
			n--; /* the terminating NUL */
			if (n == ST_NAME_LEN - 1)
				r->nflags |= ST_NAME_F_TRUNCATED; /* maybe: it filled the buffer */
		}
	}
	if (n < 0) {
		/* Go: -(len + 1), the bytes the loader should read; C: up to the NUL */
		n = go ? -n - 1 : 0;
		r->nflags |= ST_NAME_F_FAULT;
	}
	r->len = (__u16)n;
	submit_on(c, r, sizeof(*r));
}

/*
 * The current thread is traced (and named): through this CPU's cache, else
 * the maps. *cp is this CPU's state, for submit_on.
 */
static __always_inline bool current_traced(__u64 id, struct cpu_state **cp)
{
	__u32 pid = id >> 32;
	struct cpu_state *c = this_cpu();
	__u64 gen = task_gen;

	*cp = c;
	if (c && c->pid_tgid == id && c->gen == gen)
		return true;
	if (!bpf_map_lookup_elem(&tgids, &pid))
		return false;
	note_task(pid, (__u32)id);
	if (c) {
		c->pid_tgid = id;
		c->gen = gen;
	}
	return true;
}

/* A span record of type (BEGIN or END) on the current thread, or goroutine in Go. */
static __always_inline void emit_record(struct pt_regs *ctx, struct cpu_state *c, __u64 id,
					__u64 cookie, __u8 type)
{
	if (cookie & ST_CK_GO) {
		struct st_gspan *g = reserve(sizeof(*g));

		if (!g)
			return;
		fill_hdr(&g->hdr, type == ST_REC_SPAN_BEGIN ? ST_REC_GSPAN_BEGIN : ST_REC_GSPAN_END,
			 (__u32)id);
		g->probe = (__u32)(cookie & ST_CK_PROBE_MASK);
		g->goid = go_task(ctx, !(cookie & ST_CK_NOSDEPTH),
				  type == ST_REC_SPAN_BEGIN && (cookie & ST_CK_GO_SAVE_G), &g->sdepth);
		submit_on(c, g, sizeof(*g));
		return;
	}

	struct st_span *r = reserve(sizeof(*r));

	if (!r)
		return;
	fill_hdr(&r->hdr, type, (__u32)id);
	r->pid = id >> 32;
	r->probe = (__u32)(cookie & ST_CK_PROBE_MASK);
	r->sp = cookie & ST_CK_SP ? ctx->sp : 0;
	submit_on(c, r, sizeof(*r));
}

static __always_inline int emit_span(struct pt_regs *ctx, __u8 type, bool can_fault)
{
	struct cpu_state *c;
	__u64 id = bpf_get_current_pid_tgid(), cookie;
	__u32 arg;

	if (!current_traced(id, &c))
		return 0;
	cookie = bpf_get_attach_cookie(ctx);
	arg = (cookie >> ST_CK_ARG_SHIFT) & ST_CK_ARG_MASK;
	if (type == ST_REC_SPAN_BEGIN && arg)
		emit_named(ctx, c, id >> 32, (__u32)id, cookie, arg - 1, can_fault);
	else
		emit_record(ctx, c, id, cookie, type);
	/* a function whose entry probe is also its way out: a span of no length */
	if (type == ST_REC_SPAN_BEGIN && (cookie & ST_CK_ALSO_END))
		emit_record(ctx, c, id, cookie, ST_REC_SPAN_END);
	return 0;
}

/* Entry of a span function, or a call to a pair's BEGIN. */
SEC("uprobe")
int span_enter(struct pt_regs *ctx)
{
	return emit_span(ctx, ST_REC_SPAN_BEGIN, false);
}

/*
 * A BEGIN named from an argument, sleepable: a string in a page the process
 * has not touched yet (a literal used for the first time) is faulted in. Not
 * loaded where the kernel has no sleepable uprobes; span_enter does the job
 * there, and the loader reads what it could not through /proc/PID/mem.
 */
SEC("uprobe.s")
int span_enter_named(struct pt_regs *ctx)
{
	return emit_span(ctx, ST_REC_SPAN_BEGIN, true);
}

/* Return of a span function (uretprobe, or uprobe on a RET), or a call to a pair's END. */
SEC("uretprobe")
int span_exit(struct pt_regs *ctx)
{
	return emit_span(ctx, ST_REC_SPAN_END, false);
}

/*
 * The unwinder's entry points (the cookie says which: enum st_unwind_kind):
 * an exception begins (_Unwind_RaiseException), or code runs in a frame it
 * is passing (__cxa_begin_catch: a catch block; _Unwind_Resume: a cleanup is
 * done), so every frame below that one has been unwound.
 */
SEC("uprobe")
int unwind_event(struct pt_regs *ctx)
{
	struct cpu_state *c;
	__u64 id = bpf_get_current_pid_tgid();
	struct st_span *r;

	if (!current_traced(id, &c))
		return 0;
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_UNWIND, (__u32)id);
	r->pid = id >> 32;
	r->probe = (__u32)bpf_get_attach_cookie(ctx);
	r->sp = ctx->sp;
	submit_on(c, r, sizeof(*r));
	return 0;
}

/* --- goroutines ------------------------------------------------------------ */

static __always_inline bool go_traced(__u32 *pid, __u32 *tid)
{
	__u64 id = bpf_get_current_pid_tgid();

	*pid = id >> 32;
	*tid = (__u32)id;
	struct cpu_state *c;

	return current_traced(id, &c);
}

/* runtime.newproc(fn): runs on the goroutine executing a go statement. */
SEC("uprobe")
int go_newproc(struct pt_regs *ctx)
{
	__u32 pid, tid, sdepth;
	__u64 goid;

	if (!go_traced(&pid, &tid))
		return 0;
	goid = go_task(ctx, false, false, &sdepth);
	/* Unchecked: an LRU map fails only when no CPU has a free node. Then newproc1's
	 * record has no parent, which the loader takes as a goroutine the runtime made:
	 * no arrow is drawn, and no wrong one. */
	bpf_map_update_elem(&go_parent, &tid, &goid, BPF_ANY);
	return 0;
}

/* A RET of runtime.newproc1: rax is the new goroutine's g. */
SEC("uprobe")
int go_newproc_ret(struct pt_regs *ctx)
{
	struct st_gocreate *r;
	__u64 *parent, child = 0;
	__u32 pid, tid;

	if (!go_traced(&pid, &tid))
		return 0;
	bpf_probe_read_user(&child, sizeof(child), (void *)(ctx->ax + go_goid_off));
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_GO_CREATE, tid);
	r->pid = pid;
	r->_pad = 0;
	parent = bpf_map_lookup_elem(&go_parent, &tid);
	r->parent_goid = parent ? *parent : 0;
	r->child_goid = child;
	submit(r);
	if (parent)
		bpf_map_delete_elem(&go_parent, &tid);
	return 0;
}

static __always_inline int go_event(struct pt_regs *ctx, __u8 type)
{
	struct st_gspan *r;
	__u32 pid, tid;

	if (!go_traced(&pid, &tid))
		return 0;
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, type, tid);
	r->probe = 0;
	r->goid = go_task(ctx, true, false, &r->sdepth);
	submit(r);
	return 0;
}

/* runtime.goexit1: the goroutine's function returned, or it called runtime.Goexit. */
SEC("uprobe")
int go_goexit(struct pt_regs *ctx)
{
	return go_event(ctx, ST_REC_GO_EXIT);
}

/* runtime.gopanic: frames above the recovering one will not reach their RET. */
SEC("uprobe")
int go_panic(struct pt_regs *ctx)
{
	return go_event(ctx, ST_REC_GO_PANIC);
}

/* --- kernel events ---------------------------------------------------------- */

/* include/linux/sched.h; stable since 2.6 */
#define TASK_INTERRUPTIBLE 0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_STOPPED_BITS 0xc /* __TASK_STOPPED | __TASK_TRACED */
#define TASK_DEAD 0x80
#define S_IFMT 00170000
#define S_IFIFO 0010000
/* include/linux/mutex.h: the low bits of mutex.owner are flags */
#define MUTEX_FLAGS 0x07ul
/* include/linux/hung_task.h (6.16, commit e711faaafbe5): blocker type in the low bits */
#define BLOCKER_TYPE_MASK 0x03ul
#define BLOCKER_TYPE_MUTEX 0x00ul
#define BLOCKER_TYPE_SEM 0x01ul
/* x86_64 syscall numbers of the write family that can target a pipe */
#define NR_write 1
#define NR_writev 20

static __always_inline bool traced(__u32 pid)
{
	return pid && bpf_map_lookup_elem(&tgids, &pid);
}

static __always_inline __u32 task_tid(struct task_struct *t)
{
	return BPF_CORE_READ(t, pid);
}

static __always_inline __u32 task_tgid(struct task_struct *t)
{
	return BPF_CORE_READ(t, tgid);
}

/* Fills pw with the pipe behind fd of task t; false if fd is not a pipe or FIFO. */
static __always_inline bool pipe_of_fd(struct task_struct *t, __u64 fd, struct st_pwrite *pw)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;
	struct inode *ino;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return false;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return false;
	ino = BPF_CORE_READ(f, f_inode);
	if (!ino || (BPF_CORE_READ(ino, i_mode) & S_IFMT) != S_IFIFO)
		return false;
	pw->ino = BPF_CORE_READ(ino, i_ino);
	pw->pipe = (__u64)BPF_CORE_READ(f, private_data);
	return true;
}

static __always_inline struct task_struct *mutex_owner(struct mutex *m)
{
	return (struct task_struct *)(BPF_CORE_READ(m, owner.counter) & ~MUTEX_FLAGS);
}

/*
 * Who holds up task t, asleep in state: inside a pipe write, the pipe lock's
 * owner when t sleeps uninterruptibly for it (mutex_lock), the readers when
 * it sleeps interruptibly for room (the write path drops the lock for that);
 * holding the lock itself, t sleeps on something else. Otherwise what
 * task_struct.blocker names, on kernels that record it.
 */
static __always_inline void find_blocker(struct task_struct *t, __u32 state, struct st_pwrite *pw,
					 struct st_offcpu *w)
{
	struct task_struct *owner = NULL;

	w->blocker = ST_BLK_NONE;
	w->blocked_by = 0;
	w->pipe_ino = 0;
	if (pw) {
		w->pipe_ino = pw->ino;
		owner = mutex_owner(&((struct pipe_inode_info *)pw->pipe)->mutex);
		if (owner == t) {
			w->blocker = ST_BLK_PIPE_HELD;
		} else if (state & TASK_UNINTERRUPTIBLE) {
			w->blocker = ST_BLK_PIPE_LOCK;
			w->blocked_by = owner ? task_tid(owner) : 0;
		} else {
			w->blocker = ST_BLK_PIPE_SPACE;
		}
		pw->blocker = w->blocker;
		pw->blocked_by = w->blocked_by;
		if (w->blocker != ST_BLK_PIPE_HELD)
			return;
	}
	if (bpf_core_field_exists(t->blocker)) {
		unsigned long b = BPF_CORE_READ(t, blocker);
		unsigned long lock = b & ~BLOCKER_TYPE_MASK;

		if (!lock)
			return;
		if ((b & BLOCKER_TYPE_MASK) == BLOCKER_TYPE_MUTEX) {
			owner = mutex_owner((struct mutex *)lock);
			w->blocker = ST_BLK_MUTEX;
		} else if ((b & BLOCKER_TYPE_MASK) == BLOCKER_TYPE_SEM) {
			owner = (struct task_struct *)BPF_CORE_READ((struct semaphore *)lock,
								     last_holder);
			w->blocker = ST_BLK_SEM;
		}
		if (owner && owner != t)
			w->blocked_by = task_tid(owner);
	}
}

static __always_inline bool is_wait_state(__u32 state)
{
	return (state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE | TASK_STOPPED_BITS)) &&
	       !(state & TASK_DEAD);
}

/* Sends the wait that ends now for tid, if long enough, and forgets it. */
static __always_inline void wait_end(__u32 tid, __u64 now)
{
	struct st_offcpu *w = bpf_map_lookup_elem(&offcpu, &tid);
	struct st_pwrite *pw;
	struct st_wait *r;
	__u64 dur;

	if (!w)
		return;
	dur = now > w->start ? now - w->start : 0;
	pw = bpf_map_lookup_elem(&pwrites, &tid);
	if (pw)
		pw->blocked_ns += dur;
	if (dur >= min_wait_ns) {
		r = reserve(sizeof(*r));
		if (r) {
			fill_hdr(&r->hdr, ST_REC_WAIT, tid);
			r->hdr.ts = now;
			__builtin_memcpy(&r->w, w, sizeof(*w));
			submit(r);
		}
	}
	bpf_map_delete_elem(&offcpu, &tid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u32 ppid = task_tgid(prev), npid = task_tgid(next), tid, zero = 0;
	__u64 now = bpf_ktime_get_ns();
	struct st_offcpu *w;
	long n;

	if (traced(ppid) && is_wait_state(prev_state)) {
		tid = task_tid(prev);
		w = bpf_map_lookup_elem(&scratch, &zero);
		if (w) {
			w->start = now;
			w->pid = ppid;
			w->state = prev_state;
			w->flags = 0;
			find_blocker(prev, prev_state, bpf_map_lookup_elem(&pwrites, &tid), w);
			/* prev is still current here: its kernel stack is the one we want */
			n = bpf_get_stack(ctx, w->stack, sizeof(w->stack), 0);
			w->nstack = n > 0 ? (__u64)n / 8 : 0;
			if (bpf_map_update_elem(&offcpu, &tid, w, BPF_ANY))
				__sync_fetch_and_add(&waits_full, 1);
		}
	}
	if (traced(npid))
		wait_end(task_tid(next), now);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = task_tgid(parent), cpid = task_tgid(child), ctid = task_tid(child);
	struct st_fork *r;
	__u8 one = 1;

	if (!traced(ppid))
		return 0;
	/* The child is traced from its first instruction: it is in the filter
	 * before it can run. */
	if (cpid != ppid && bpf_map_update_elem(&tgids, &cpid, &one, BPF_ANY))
		__sync_fetch_and_add(&tgids_full, 1);
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_FORK, task_tid(parent));
	r->pid = ppid;
	r->child_pid = cpid;
	r->child_tid = ctid;
	r->_pad = 0;
	BPF_CORE_READ_STR_INTO(&r->comm, child, comm);
	submit(r);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = task_tgid(p), tid = task_tid(p);
	struct st_exec *r;
	__u8 one = 1;

	if (!traced(pid))
		return 0;
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_EXEC, tid);
	r->pid = pid;
	r->old_tid = old_pid;
	BPF_CORE_READ_STR_INTO(&r->comm, p, comm);
	bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), BPF_CORE_READ(bprm, filename));
	submit(r);
	/* the exec record named it; unchecked as in note_task: at worst it is named twice */
	bpf_map_update_elem(&seen_tids, &tid, &one, BPF_ANY);
	return 0;
}

/* A pipe write cut short by its writer's exit is still reported. */
static __always_inline void pipe_write_end(__u32 tid, __s64 result, __u8 flags)
{
	struct st_pwrite *pw = bpf_map_lookup_elem(&pwrites, &tid);
	struct st_pipe_write *r;

	if (!pw)
		return;
	r = reserve(sizeof(*r));
	if (r) {
		fill_hdr(&r->hdr, ST_REC_PIPE_WRITE, tid);
		r->result = result;
		__builtin_memcpy(&r->pw, pw, sizeof(*pw));
		r->pw.flags |= flags;
		submit(r);
	}
	bpf_map_delete_elem(&pwrites, &tid);
}

static __always_inline void exit_event(struct task_struct *p, __s32 code, bool group_dead,
				       __u8 via)
{
	__u32 pid = task_tgid(p), tid = task_tid(p);
	struct st_exit *r;

	if (!traced(pid))
		return;
	pipe_write_end(tid, 0, ST_PW_F_EXITED);
	r = reserve(sizeof(*r));
	if (r) {
		fill_hdr(&r->hdr, ST_REC_EXIT, tid);
		r->pid = pid;
		r->code = code;
		r->group_dead = group_dead;
		r->via = via;
		__builtin_memset(r->_pad, 0, sizeof(r->_pad));
		BPF_CORE_READ_STR_INTO(&r->comm, p, comm);
		submit(r);
	}
	/* a recycled tid is named again */
	bpf_map_delete_elem(&seen_tids, &tid);
	__sync_fetch_and_add(&task_gen, 1);
	if (group_dead)
		bpf_map_delete_elem(&tgids, &pid);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit_tp, struct task_struct *p)
{
	/* do_exit() has stored the code and dropped signal->live already */
	exit_event(p, BPF_CORE_READ(p, exit_code), BPF_CORE_READ(p, signal, live.counter) == 0,
		   ST_VIA_TRACEPOINT);
	return 0;
}

SEC("kprobe/do_exit")
int BPF_KPROBE(on_exit_kprobe, long code)
{
	struct task_struct *p = bpf_get_current_task_btf();

	/* At entry signal->live still counts this thread. Two threads exiting
	 * at once can both see 2: then neither is marked last, and the loader
	 * learns of the process's end from its exit records alone. */
	exit_event(p, code, BPF_CORE_READ(p, signal, live.counter) == 1, ST_VIA_KPROBE);
	return 0;
}

/* Signals whose default action ends the process (signal(7)). */
#define FATAL_BY_DEFAULT                                                                      \
	((1ul << 1) | (1ul << 2) | (1ul << 3) | (1ul << 4) | (1ul << 5) | (1ul << 6) |         \
	 (1ul << 7) | (1ul << 8) | (1ul << 10) | (1ul << 11) | (1ul << 12) | (1ul << 13) |     \
	 (1ul << 14) | (1ul << 15) | (1ul << 16) | (1ul << 24) | (1ul << 25) | (1ul << 26) |   \
	 (1ul << 27) | (1ul << 29) | (1ul << 30) | (1ul << 31))

SEC("tp_btf/signal_generate")
int BPF_PROG(on_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
	     int result)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = task_tgid(task);
	struct st_signal *r;

	if (!traced(pid) || sig <= 0 || sig >= 32)
		return 0;
	if (sig != 9) {
		struct sighand_struct *sh = BPF_CORE_READ(task, sighand);
		void *handler = NULL;

		if (!(FATAL_BY_DEFAULT & (1ul << sig)) || !sh)
			return 0;
		bpf_probe_read_kernel(&handler, sizeof(handler),
				      &sh->action[(sig - 1) & 31].sa.sa_handler);
		if (handler) /* SIG_DFL is 0: anything else is caught or ignored */
			return 0;
	}
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_SIGNAL, task_tid(task));
	r->pid = pid;
	r->sig = sig;
	r->sender_pid = id >> 32;
	r->sender_tid = (__u32)id;
	r->result = result;
	r->group = group;
	bpf_get_current_comm(r->sender_comm, sizeof(r->sender_comm));
	submit(r);
	return 0;
}

static __always_inline void pipe_write_begin(struct st_pwrite *pw, __u32 pid, __u8 via,
					     __u64 requested)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	pw->start = bpf_ktime_get_ns();
	pw->requested = requested;
	pw->blocked_ns = 0;
	pw->pid = pid;
	pw->blocked_by = 0;
	pw->blocker = ST_BLK_NONE;
	pw->via = via;
	pw->flags = 0;
	if (bpf_map_update_elem(&pwrites, &tid, pw, BPF_ANY))
		__sync_fetch_and_add(&waits_full, 1);
}

/* Pipe writes where the kernel has no kprobes: the write-family syscalls on pipe fds. */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct st_pwrite pw = {};
	__u32 pid;

	if (id != NR_write && id != NR_writev)
		return 0;
	pid = bpf_get_current_pid_tgid() >> 32;
	if (!traced(pid) ||
	    !pipe_of_fd(bpf_get_current_task_btf(), BPF_CORE_READ(regs, di), &pw))
		return 0;
	pipe_write_begin(&pw, pid, ST_VIA_SYSCALL, id == NR_write ? BPF_CORE_READ(regs, dx) : 0);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	long id = BPF_CORE_READ(regs, orig_ax);

	if (id != NR_write && id != NR_writev)
		return 0;
	pipe_write_end(tid, ret, 0);
	return 0;
}

/* Pipe writes where the kernel has kprobes: the loader attaches these to
 * pipe_write, or anon_pipe_write and fifo_pipe_write (6.15), whichever exist. */
SEC("kprobe")
int BPF_KPROBE(pipe_write_enter, struct kiocb *iocb, struct iov_iter *from)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct st_pwrite pw = {};
	struct file *f;

	if (!traced(pid))
		return 0;
	f = BPF_CORE_READ(iocb, ki_filp);
	pw.ino = BPF_CORE_READ(f, f_inode, i_ino);
	pw.pipe = (__u64)BPF_CORE_READ(f, private_data);
	pipe_write_begin(&pw, pid, ST_VIA_KPROBE, BPF_CORE_READ(from, count));
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(pipe_write_return, long ret)
{
	pipe_write_end((__u32)bpf_get_current_pid_tgid(), ret, 0);
	return 0;
}

/*
 * Waits already in progress when tracing starts (the usual case for a task
 * that is stuck): run once by the loader over every task. The start is
 * estimated from the scheduler's accounting: the task last got a CPU at
 * sched_info.last_arrival and ran (sum_exec_runtime - prev_sum_exec_runtime)
 * before it slept; both are rq-clock ns, turned into CLOCK_MONOTONIC by the
 * same reading of the current task, good to about one scheduler tick.
 */
static __always_inline __u64 rq_last_run_end(struct task_struct *t)
{
	return BPF_CORE_READ(t, sched_info.last_arrival) + BPF_CORE_READ(t, se.sum_exec_runtime) -
	       BPF_CORE_READ(t, se.prev_sum_exec_runtime);
}

#define EEXIST 17 /* errno.h: not in vmlinux.h */

/*
 * A BPF_NOEXIST update of a wait or pipe write found at attach fails for an
 * entry that exists (a probe saw it begin after attach: it knows better, as
 * intended) or for a full map: that one is a wait not tracked, and counted.
 */
static __always_inline void untracked_unless_known(long err)
{
	if (err && err != -EEXIST)
		__sync_fetch_and_add(&waits_full, 1);
}

SEC("iter/task")
int scan_waits(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task, *cur;
	struct st_pwrite pw = {}, *pwp = NULL;
	__u32 pid, tid, state, zero = 0;
	struct st_offcpu *w;
	__u64 now, then, rq_now;
	struct pt_regs *regs;
	long n;

	if (!t)
		return 0;
	pid = task_tgid(t);
	state = BPF_CORE_READ(t, __state);
	if (!traced(pid) || !is_wait_state(state))
		return 0;
	tid = task_tid(t);
	w = bpf_map_lookup_elem(&scratch, &zero);
	if (!w)
		return 0;
	now = bpf_ktime_get_ns();
	w->start = now;
	w->flags = ST_WAIT_F_NOSTART;
	if (bpf_core_field_exists(t->sched_info.last_arrival)) {
		cur = bpf_get_current_task_btf();
		rq_now = rq_last_run_end(cur);
		then = rq_last_run_end(t);
		if (then && rq_now >= then && now > rq_now - then) {
			w->start = now - (rq_now - then);
			w->flags = ST_WAIT_F_ESTIMATED;
		}
	}
	w->pid = pid;
	w->state = state;
	/* Inside a write to a pipe? The syscall number and fd are in its user registers. */
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (regs) {
		long nr = BPF_CORE_READ(regs, orig_ax);

		if ((nr == NR_write || nr == NR_writev) &&
		    pipe_of_fd(t, BPF_CORE_READ(regs, di), &pw)) {
			pw.start = w->start;
			pw.pid = pid;
			pw.via = ST_VIA_SYSCALL;
			pw.flags = 0;
			pw.requested = nr == NR_write ? BPF_CORE_READ(regs, dx) : 0;
			untracked_unless_known(
				bpf_map_update_elem(&pwrites, &tid, &pw, BPF_NOEXIST));
			pwp = bpf_map_lookup_elem(&pwrites, &tid);
		}
	}
	find_blocker(t, state, pwp, w);
	n = bpf_get_task_stack(t, w->stack, sizeof(w->stack), 0);
	w->nstack = n > 0 ? (__u64)n / 8 : 0;
	/* a switch-out seen since attach knows better */
	untracked_unless_known(bpf_map_update_elem(&offcpu, &tid, w, BPF_NOEXIST));
	return 0;
}
