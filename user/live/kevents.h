/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel events of the traced process tree, the live side: attaching the
 * programs as the plan says (kplan.h: kprobes or tracepoints), adopting the
 * process tree at start, and reading the BPF maps of waits and pipe writes
 * for stalls in progress and for what is still open at the stop. Their
 * records are decoded in kdecode.c, through decoder__record.
 */
#ifndef SPANTRACE_KEVENTS_H
#define SPANTRACE_KEVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "kplan.h"
#include "mapsweep.h"

struct bpf_link;
struct decoder;
struct features;
struct live;
struct spantrace_bpf;

/* Each step of an attach plan makes at most one link. */
#define KEV_MAX_LINKS KPLAN_MAX

struct kevents {
	/* Set by the loader. */
	struct spantrace_bpf *skel;
	const struct features *feat;
	struct decoder *dec; /* its task table, and its kernel-event part: settings, counters */
	struct live *live;   /* who holds a pipe's read end, refreshed while writers wait */

	struct bpf_link *links[KEV_MAX_LINKS];
	size_t nlinks;

	/* The sweep of the map of waits in progress, a part per round of the loop. */
	struct mapsweep sweep;
	bool sweeping;	   /* one is under way */
	uint64_t swept_at; /* when the last one began */
	bool sweep_said;   /* its failure was reported */
};

/* Before the object is loaded: the BPF side's knobs. */
void kevents__configure(struct kevents *k);
/*
 * Attaches the kernel-event programs as the plan for feat says (kplan.h);
 * verbose (-v): says how each event is observed.
 */
int kevents__attach(struct kevents *k, bool verbose, char *err, size_t errlen);
/*
 * Puts the processes of the tree rooted at pid, as they are now, into the
 * filter and the task table, then records the waits they are already in.
 * The fork tracepoint is attached first, so no child falls in between.
 * verbose (-v): says how many processes that is.
 */
int kevents__adopt(struct kevents *k, pid_t pid, bool scan_tree, bool verbose, char *err,
		   size_t errlen);
/*
 * From each round of the loop: reads the waits in progress, every 100 ms, a
 * bounded part per round, for those that have become stalls and for the
 * readers of the pipes writers wait on. Returns whether a sweep is under way
 * (the loop then comes back at once rather than waiting for the ring).
 */
bool kevents__poll(struct kevents *k, uint64_t now);
/* After the last record: waits and pipe writes still open at stop. */
void kevents__finish(struct kevents *k, uint64_t stop);
void kevents__detach(struct kevents *k);
void kevents__summary(const struct kevents *k, FILE *f);
void kevents__free(struct kevents *k);

#endif
