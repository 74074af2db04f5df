/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the overhead guard (user/live/guard.c) needs of the span programs,
 * called once at the start of each, for a traced thread (guard_pass):
 *
 * - Probes the guard stopped: from the moment the loader marks one, its
 *   programs record nothing, at once and for good; its sites come off after,
 *   which takes longer (a link swap, or one link after another). The moment
 *   of the mark is where its spans end (spantree__detach).
 *
 * - Hits per probe and direction, per CPU (a per-CPU array: no cache line is
 *   shared between CPUs), which the loader reads every second to estimate
 *   what the probes cost each traced process.
 *
 * - One record per hit while a uprobe_multi link is replaced. A link's set
 *   of offsets cannot change, so stopping one function means creating a link
 *   without it (the new generation: ST_CK_GEN in its cookies) and then closing
 *   the old one. In between both fire on every site they share, and a gap
 *   instead (close, then create) would lose the calls made in it. The kernel
 *   runs the consumers of one uprobe hit one after the other, in the same
 *   thread, newest first (consumer_add puts a consumer at the head of the
 *   uprobe's list; the return chain walks the same list, and runs every
 *   current return consumer that is not a session, whether or not it was there
 *   at entry). So within one hit the new link's program runs first: it always
 *   records, and leaves a mark for this thread (the site's cookie, the
 *   direction, the swap's number); the old link's program, next in the same
 *   hit, finds that mark and records nothing. A hit the new link does not see
 *   (a site of the function being stopped, or one that began before the new
 *   link was added) leaves no mark, so the old link records it. A mark is
 *   consumed by the program that finds it, and is only ever looked for during
 *   the swap of its number: no mark outlives its hit to mislead another.
 *   Exactly one record per hit, at every moment of the swap.
 */
#ifndef SPANTRACE_GUARD_BPF_H
#define SPANTRACE_GUARD_BPF_H

#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* ST_GUARD_SLOT of every probe: set by the loader */
	__type(key, __u32);
	__type(value, __u64);
} probe_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* one per probe: set by the loader */
	__type(key, __u32);
	__type(value, __u8);
} probe_stopped SEC(".maps");

/* The link swap in progress (0: none), and the generation of its new link; set by the loader. */
__u32 swap_epoch = 0;
__u32 swap_new_gen = 0;
/* Marks that could not be stored (no memory): a hit may then have been recorded twice. */
__u64 swap_unmarked = 0;

struct swap_mark {
	__u64 cookie; /* without ST_CK_GEN */
	__u32 epoch;
	__u32 type;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct swap_mark);
} swap_marks SEC(".maps");

/* During a swap: does this program run of the hit record it? See above. */
static __always_inline bool swap_pass(__u64 cookie, __u8 type, __u32 epoch)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 site = cookie & ~ST_CK_GEN;
	struct swap_mark *m;

	if (!!(cookie & ST_CK_GEN) == !!swap_new_gen) {
		m = bpf_task_storage_get(&swap_marks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!m) {
			__sync_fetch_and_add(&swap_unmarked, 1);
			return true;
		}
		m->cookie = site;
		m->epoch = epoch;
		m->type = type;
		return true;
	}
	m = bpf_task_storage_get(&swap_marks, task, 0, 0);
	if (!m || m->epoch != epoch || m->cookie != site || m->type != type)
		return true;
	m->epoch = 0; /* consumed: the hit was the new link's */
	return false;
}

/* Whether this run of a span program records its hit; counts the hit if so. */
static __always_inline bool guard_pass(__u64 cookie, __u8 type)
{
	__u32 epoch = swap_epoch, probe = (__u32)(cookie & ST_CK_PROBE_MASK), slot;
	__u8 *stopped = bpf_map_lookup_elem(&probe_stopped, &probe);
	__u64 *n;

	if (stopped && *stopped)
		return false;
	if (epoch && !swap_pass(cookie, type, epoch))
		return false;
	slot = ST_GUARD_SLOT(probe, type == ST_REC_SPAN_END);
	n = bpf_map_lookup_elem(&probe_hits, &slot);
	if (n)
		*n += 1;
	return true;
}

#endif /* SPANTRACE_GUARD_BPF_H */
