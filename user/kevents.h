/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel events of the traced process tree: which programs attach and how
 * (kprobes or tracepoints, decided by struct features), the process tree
 * adopted at start, decoding of the kernel records into the trace, stall
 * reports while waits last, and waits still open at the stop.
 */
#ifndef SPANTRACE_KEVENTS_H
#define SPANTRACE_KEVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct bpf_link;
struct features;
struct ksyms;
struct spantrace_bpf;
struct spantree;
struct tasks;
struct trace_ops;
struct trace_writer;

#define KEV_MAX_LINKS 8
#define KEV_READER_CACHE 8

struct kevents {
	/* Set by the loader. */
	struct spantrace_bpf *skel;
	const struct features *feat;
	const struct trace_ops *ops;
	struct trace_writer *w;
	struct spantree *tree;
	struct tasks *tasks;
	const struct ksyms *ks; /* NULL: stacks stay addresses */
	uint64_t min_wait_ns, stall_ns;
	bool verbose;

	struct bpf_link *links[KEV_MAX_LINKS];
	size_t nlinks;
	/* Who holds the read end of a pipe, looked up in /proc at most once a second. */
	struct pipe_readers {
		uint64_t ino, at;
		uint32_t pid; /* 0: nobody */
		char comm[17];
	} readers[KEV_READER_CACHE];
	size_t next_reader;
	uint64_t *pipes; /* distinct pipes written to */
	size_t npipes, cap_pipes;

	/* The process given to kevents__adopt, and its end as its exit record said. */
	pid_t root;
	bool root_ended;
	int root_wstatus; /* wait(2) status */

	struct kevents_counts {
		uint64_t forks, threads, execs, exits, thread_exits, signals;
		uint64_t waits, dwaits, pipe_writes, pipe_bytes, pipe_blocked, stalls;
	} n;
};

/* Before the object is loaded: the BPF side's knobs. */
void kevents__configure(struct kevents *k);
/* Attaches the kernel-event programs; -v says how each event is observed. */
int kevents__attach(struct kevents *k, char *err, size_t errlen);
/*
 * Puts the processes of the tree rooted at pid, as they are now, into the
 * filter and the task table, then records the waits they are already in.
 * The fork tracepoint is attached first, so no child falls in between.
 */
int kevents__adopt(struct kevents *k, pid_t pid, bool scan_tree, char *err, size_t errlen);
/* Decodes a kernel record (ST_REC_FORK .. ST_REC_PIPE_WRITE); false if malformed. */
bool kevents__record(struct kevents *k, const void *data, size_t size);
/* From the poll loop: reports waits in progress that have become stalls. */
void kevents__poll(struct kevents *k, uint64_t now);
/* After the last record: waits and pipe writes still open at stop. */
void kevents__finish(struct kevents *k, uint64_t stop);
void kevents__detach(struct kevents *k);
void kevents__summary(const struct kevents *k, FILE *f);
void kevents__free(struct kevents *k);

#endif
