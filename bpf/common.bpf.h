/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What spantrace's BPF files share: the ring buffer and how a record enters
 * it, the filter of traced processes, the counters of what could not be
 * recorded, and the pipe writes in progress (begun by the waits, ended by a
 * writer's exit too).
 *
 * The files are linked into one object (Makefile: bpftool gen object), which
 * has one set of maps. A map or variable that more than one file uses is
 * defined once, in common.bpf.c, and declared extern here with the very type
 * of its definition: the static linker checks that the two match. libbpf 1.1's
 * linker (Debian 12's bpftool) puts an extern map at the wrong place in the
 * object's .maps when the file declaring it is linked before the file
 * defining it, so the Makefile links common.bpf.o first.
 */
#ifndef SPANTRACE_COMMON_BPF_H
#define SPANTRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "spantrace.h"

/* --- shared maps and variables, defined in common.bpf.c ------------------- */

/* Wake the reader once this much is queued in the ring (see submit_on). */
extern const volatile __u64 wakeup_bytes;
/* Each CPU looks at the ring after queueing this much (wakeup_bytes / CPUs). */
extern const volatile __u64 wakeup_check_bytes;

struct events_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the loader (--ringbuf-size) */
};
extern struct events_map events SEC(".maps");

/* Processes being traced. uprobes are attached per process already; this
 * keeps another tracer's attachment to the same file from leaking in. */
struct tgids_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_TGIDS);
	__type(key, __u32);
	__type(value, __u8);
};
extern struct tgids_map tgids SEC(".maps");

/* Threads already named by an ST_REC_TASK (or their exec record). */
struct seen_tids_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ST_MAX_SEEN_TIDS);
	__type(key, __u32);
	__type(value, __u8);
};
extern struct seen_tids_map seen_tids SEC(".maps");

/*
 * A thread's span stream (struct st_lost in spantrace.h says what a stream
 * is), kept in task storage from its first record: it goes with the thread,
 * and a tid used again starts afresh. Its records are sent by spans.bpf.c;
 * what it lost last is also told at its exit (proctree.bpf.c).
 */
struct thread_stream {
	__u32 lost;   /* records lost since the last one sent */
	__s32 frames; /* BEGINs minus ENDs of its records, sent or lost */
	__s32 sent;   /* frames after the last record sent */
	__s32 low;    /* the lowest frames since */
	__u64 sp;     /* the highest sp among the records lost, 0 if none had one */
	__u32 flags;  /* ST_LOST_F_* */
	__u32 _pad;
};

struct thread_streams_map {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_stream);
};
extern struct thread_streams_map thread_streams SEC(".maps");

/* Threads inside a pipe write. */
struct pwrites_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_WAITING);
	__type(key, __u32);
	__type(value, struct st_pwrite);
};
extern struct pwrites_map pwrites SEC(".maps");

/*
 * Per CPU: the last thread this CPU let through the filter and named (most
 * records come from the thread that made the last one, and this saves the
 * two hash lookups, tgids and seen_tids, per span record; a traced thread's
 * exit bumps task_gen, which invalidates every CPU's entry, as its tid or its
 * process's pid may come back as someone else's), and the bytes this CPU has
 * queued since it last looked at the ring (submit_on).
 */
struct cpu_state {
	__u64 pid_tgid;
	__u64 gen;
	__u64 queued;
};

struct cpu_state_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
};
extern struct cpu_state_map cpu_state SEC(".maps");

extern __u64 task_gen;

/* Records that found the ring buffer full: reported, never silent. */
extern __u64 dropped;
/* Of those, span records (of a stream); the loader compares it with what the
 * streams told (ST_REC_LOST) to know whether a loss is left untold. */
extern __u64 stream_lost;
/* Of those, records whose stream's loss could not be noted (no task storage,
 * or the goroutine map full): the trace cannot mark what they touch. */
extern __u64 lost_untracked;
/* Processes not traced because the tgids map was full: reported. */
extern __u64 tgids_full;
/* Waits not tracked because the offcpu or pwrites map was full: reported. */
extern __u64 waits_full;

/* --- records ----------------------------------------------------------------- */

static __always_inline void fill_hdr(struct st_hdr *h, __u8 type, __u32 tid)
{
	h->type = type;
	h->flags = 0;
	h->_pad = 0;
	h->tid = tid;
	h->ts = bpf_ktime_get_ns();
}

static __always_inline void count_dropped(void)
{
	__sync_fetch_and_add(&dropped, 1);
}

/* A record's room in the ring; NULL (counted in dropped) when it is full. */
static __always_inline void *reserve(__u64 size)
{
	void *r = bpf_ringbuf_reserve(&events, size, 0);

	if (!r)
		count_dropped();
	return r;
}

static __always_inline struct cpu_state *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

/*
 * Submits r, waking the reader once wakeup_bytes are queued in the ring,
 * whatever CPUs queued them. Reading the ring's fill (bpf_ringbuf_query) on
 * every record would cost a cache miss each time (its positions share a
 * cache line with the reader), so each CPU looks only after queueing
 * wakeup_check_bytes (wakeup_bytes / CPUs) since it last looked: the reader
 * is woken by the time at most twice wakeup_bytes are queued, however many
 * CPUs are busy, and one busy CPU alone does not wake it more often than
 * wakeup_bytes allow.
 */
static __always_inline void submit_on(struct cpu_state *c, void *r, __u64 size)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (c) {
		c->queued += size;
		if (c->queued >= wakeup_check_bytes) {
			c->queued = 0;
			/* the fill counts r, reserved already */
			if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
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

/* Room for ST_REC_LOST; its own failure is no event lost (the record it goes before is). */
static __always_inline struct st_lost *lost_record(__u32 pid, __u32 tid, __u64 goid)
{
	struct st_lost *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r)
		return NULL;
	fill_hdr(&r->hdr, ST_REC_LOST, tid);
	r->pid = pid;
	r->goid = goid;
	r->sp = 0;
	r->sdepth = 0;
	r->drop = 0;
	r->rise = 0;
	return r;
}

/*
 * Tells what thread stream t (NULL: none) lost since its last record sent,
 * if anything: true when nothing is left to tell, false when the ring had no
 * room for it.
 */
static __always_inline bool thread_told(struct thread_stream *t, struct cpu_state *c, __u32 pid,
					__u32 tid)
{
	struct st_lost *r;

	if (!t || !t->lost)
		return true;
	r = lost_record(pid, tid, 0);
	if (!r)
		return false;
	r->lost = t->lost;
	r->sp = t->sp;
	r->drop = (__u32)(t->sent - t->low);
	r->rise = (__u32)(t->frames - t->low);
	r->flags = t->flags;
	submit_on(c, r, sizeof(*r));
	t->lost = 0;
	t->sp = 0;
	t->flags = 0;
	t->sent = t->low = t->frames;
	return true;
}

/* --- tasks ------------------------------------------------------------------- */

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

/* --- pipe writes ------------------------------------------------------------- */

/*
 * Sends the pipe write of thread tid that ends now, and forgets it. Called
 * where the write returns (waits.bpf.c) and where its writer exits inside it
 * (proctree.bpf.c, flags ST_PW_F_EXITED): a write cut short is still reported.
 */
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

#endif /* SPANTRACE_COMMON_BPF_H */
