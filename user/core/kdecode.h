/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Decoding of the kernel-event records (ST_REC_FORK .. ST_REC_PIPE_WRITE)
 * into the trace: process and thread creation as flows; exec, exit and fatal
 * signals as instants; off-CPU waits and pipe writes as slices, with their
 * kernel stacks and blockers; and the stall reports of waits in progress.
 *
 * It is the kernel half of the decoder (decode.h): decoder__record, the one
 * dispatch for every record type, hands these records here, with the
 * decoder's task table, span tree and trace writer. Pure: what it needs of
 * the running system (who holds a pipe's read end, the name of a thread no
 * record named) comes through the decoder's live interface, which the loader
 * fills and replay leaves empty. The loader (kevents.c) also calls in with
 * waits and pipe writes read from the BPF maps: stalls in progress, and what
 * is still open when tracing stops.
 */
#ifndef SPANTRACE_KDECODE_H
#define SPANTRACE_KDECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pipeset.h"

struct decoder;
struct ksyms;
struct st_offcpu;
struct st_pwrite;

struct kdecode_counts {
	uint64_t forks, threads, execs, exits, thread_exits, signals;
	uint64_t waits, dwaits, pipe_writes, pipe_bytes, pipe_blocked, stalls;
};

/* The kernel-event part of struct decoder: settings set by its owner, then state. */
struct kdecode {
	const struct ksyms *ks; /* kernel symbols for stacks; NULL: stacks stay addresses */
	uint64_t min_wait_ns;	/* pipe writes blocked for less are counted, not drawn */
	uint64_t stall_ns;	/* a wait is reported as a stall from this long (--stall) */
	uint32_t root_pid;	/* the process given by -p or started by -- */
	FILE *notices;		/* where stall lines go while tracing (stderr); NULL: nowhere */

	/* The root process's end, as its exit record said. */
	bool root_ended;
	int root_wstatus; /* wait(2) status */

	struct kdecode_counts n;
	struct pipeset pipes; /* the distinct pipes written to */
};

/*
 * Decodes a kernel-event record. Returns false, having done nothing, if it is
 * not one or is shorter than its type's struct. decoder__record calls it:
 * everyone else calls decoder__record.
 */
bool kdecode__record(struct decoder *d, const void *data, size_t size);

/*
 * Thread tid's off-CPU wait o, which ended at end, or, unfinished, was still
 * going on at end (tracing stopped): a slice on its track.
 */
void kdecode__wait(struct decoder *d, uint32_t tid, const struct st_offcpu *o, uint64_t end,
		   bool unfinished);
/*
 * Thread tid's pipe write pw, which returned result at end, or, unfinished,
 * was still going on at end: counted, and drawn if it blocked for min_wait_ns.
 */
void kdecode__pipe_write(struct decoder *d, uint32_t tid, const struct st_pwrite *pw,
			 int64_t result, uint64_t end, bool unfinished);
/*
 * Thread tid's wait o, still going on at now: one line on stderr once it
 * passes stall_ns, and again each time it has grown tenfold (stall.h).
 */
void kdecode__stall(struct decoder *d, uint32_t tid, const struct st_offcpu *o, uint64_t now);

/* The summary's lines about kernel events. */
void kdecode__summary(const struct kdecode *k, FILE *f);
void kdecode__free(struct kdecode *k);

#endif
