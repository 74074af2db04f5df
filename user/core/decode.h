/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Decoding of every ring-buffer record, in one dispatch (decoder__record):
 * span records here (C and Go spans, named spans, goroutine
 * creation/exit/panic, thread names) into the span tree, kernel events in
 * kdecode.c; and the span tree's sink, which writes each span to the trace and
 * the summary's statistics. Pure: no libbpf, no skeleton, no /proc (what the
 * loader alone may read of the running system comes through struct
 * decode_live), so unit tests and bench/replay.c run the loader's own decoding.
 */
#ifndef SPANTRACE_DECODE_H
#define SPANTRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "kdecode.h"
#include "probe.h"
#include "spantree.h"

struct goroutines;
struct names;
struct stats;
struct tasks;
struct trace_ops;
struct trace_writer;

/*
 * What decoding may ask of the running system. Only the loader fills it
 * (user/live/live.c, from /proc); replay and the unit tests leave decoder.live
 * NULL, and then no process is ever read: a span name the uprobe could not
 * read keeps its function's name (counted in name_faults), and a record file
 * cannot make replay read the memory of whatever process it names.
 */
struct decode_live {
	/*
	 * A string in process pid's memory at addr: exactly len bytes (a Go
	 * string), or up to its NUL (a C string, len 0), at most ST_NAME_LEN
	 * bytes, into buf; *cut set when a C string has no NUL in ST_NAME_LEN
	 * bytes. Returns the number of bytes, or -1 if unreadable.
	 */
	ssize_t (*read_string)(void *ctx, uint32_t pid, uint64_t addr, size_t len, char *buf,
			       bool *cut);
	/* Thread tid's name as the system has it now, into buf ("" if unknown). */
	void (*comm)(void *ctx, uint32_t tid, char *buf, size_t len);
	/*
	 * The process holding up a writer (of process writer) that waits for
	 * room in pipe ino: one that holds the read end, 0 if none does, into
	 * *pid. False, *pid untouched, while that is not known yet: the search
	 * for it never holds up decoding.
	 */
	bool (*pipe_reader)(void *ctx, uint64_t ino, uint32_t writer, uint32_t *pid);
	void *ctx;
};

/*
 * What decoding uses, all set by the caller (which owns it). The span tree
 * must be created with decoder__on_span and decoder__on_task, and the
 * decoder as their ctx, and given decoder__on_drop (spantree__on_drop).
 */
struct decoder {
	const struct probe_table *probes;
	struct spantree *tree;
	struct tasks *tasks;
	struct goroutines *gors;
	struct names *names;
	struct stats *stats;
	const struct trace_ops *ops;
	struct trace_writer *w;
	uint32_t target_pid; /* the process of a thread not named by ST_REC_TASK */
	const struct decode_live *live; /* NULL: read nothing from the running system */
	struct kdecode kev;		/* kernel events: settings and counters (kdecode.h) */

	uint64_t bad_records;
	uint64_t name_faults; /* span names whose argument could not be read */
	uint64_t names_dropped; /* span names not kept (names.h: too many held at once) */
	uint64_t ngo_created; /* goroutines created while tracing */
	uint64_t ngo_panics;
	uint64_t nexceptions; /* exceptions thrown (or threads cancelled) while tracing */
};

/*
 * Decodes one ring-buffer record, of any type: the one entry point for the
 * loader, replay and tests. Returns false for a record that is malformed
 * (shorter than its type's struct, or naming a probe the table does not
 * have) or of no known type: it is counted in bad_records, and nothing else
 * is done.
 */
bool decoder__record(struct decoder *d, const void *data, size_t size);
/*
 * The span tree key of probe i's spans: its own index for a function, one
 * key for both ends of a --span pair.
 */
uint32_t decoder__key(const struct probe_table *pt, uint32_t i);
/*
 * The span tree's callbacks; ctx is the decoder. decoder__on_drop is the
 * tree's drop callback (spantree__on_drop): without it, names that came with
 * BEGINs that made no span are held until the end.
 */
void decoder__on_span(void *ctx, const struct span_out *sp);
void decoder__on_task(void *ctx, uint32_t pid, uint32_t tid);
void decoder__on_drop(void *ctx, uint32_t name);

/*
 * At the end: every task with events in the trace named (thread_name, and
 * process_name for a main thread) by its last name, as the live system has it
 * when the decoder has a live interface (a rename since its last record),
 * else as its records gave it, else "tid N"; in (pid, tid) order.
 */
void decoder__name_tasks(struct decoder *d);
/*
 * Lets go of the tasks that exited long enough before now_ns (tasks.h),
 * first naming those with events in the trace as decoder__name_tasks would.
 */
void decoder__forget_tasks(struct decoder *d, uint64_t now_ns);

/*
 * At the end, after spantree__finish: tells the writer what was lost, if
 * anything was: dropped is every record the BPF side found no room for (the
 * loader's count; 0 when unknown, as in replay), which the records' own
 * reports of lost span records (ST_REC_LOST) may only add to.
 */
void decoder__tell_loss(struct decoder *d, uint64_t dropped);

#endif
