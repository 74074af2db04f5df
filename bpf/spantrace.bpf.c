// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Span probes. One entry program and one return program serve every traced
 * function: the attach cookie carries the loader's probe index, so the number
 * of functions is not bounded by the number of programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "spantrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Wake the reader once this much is queued; it also polls on a timeout, so
 * nothing waits longer than that. Per-record wakeups would cost a syscall-ish
 * IPI per span on the traced thread. */
const volatile __u64 wakeup_bytes = 64 * 1024;

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

/* Records that found the ring buffer full: reported, never silent. */
__u64 dropped = 0;

static __always_inline void fill_hdr(struct st_hdr *h, __u8 type, __u32 tid)
{
	h->type = type;
	h->flags = 0;
	h->cpu = bpf_get_smp_processor_id();
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

static __always_inline void submit(void *r)
{
	bpf_ringbuf_submit(r, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
				      BPF_RB_FORCE_WAKEUP :
				      BPF_RB_NO_WAKEUP);
}

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
	bpf_map_update_elem(&seen_tids, &tid, &one, BPF_ANY);
}

static __always_inline int emit_span(void *ctx, __u8 type)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	struct st_span *r;

	if (!bpf_map_lookup_elem(&tgids, &pid))
		return 0;
	note_task(pid, (__u32)id);
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, type, (__u32)id);
	r->pid = pid;
	r->probe = bpf_get_attach_cookie(ctx);
	submit(r);
	return 0;
}

SEC("uprobe")
int span_enter(struct pt_regs *ctx)
{
	return emit_span(ctx, ST_REC_SPAN_BEGIN);
}

SEC("uretprobe")
int span_exit(struct pt_regs *ctx)
{
	return emit_span(ctx, ST_REC_SPAN_END);
}
