// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The decoder's memory does not grow with the trace: long streams of records
 * (threads created and ended, spans named from arguments, each name new)
 * through the decoder, span tree and a writer that checks what it is handed
 * and keeps nothing. The task table and the name table stay bounded, and the
 * trace stays true: every span carries its own name, every thread that had
 * events is named exactly once, by its own name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "goroutines.h"
#include "names.h"
#include "spantrace.h"
#include "stats.h"
#include "tasks.h"
#include "trace.h"

#define MS 1000000ull
#define PID 100
#define MAX_TID 400000

enum { P_FUNC, P_BEGIN, P_END, NPROBES };

static struct probe probe_v[NPROBES] = {
	[P_FUNC] = { .name = "work", .func = "work", .object = "/bin/t", .role = SPEC_FUNC },
	[P_BEGIN] = { .name = "span_begin", .func = "span_begin", .object = "/bin/t",
		      .role = SPEC_BEGIN, .pair = 0, .name_arg = 0 },
	[P_END] = { .name = "span_end", .func = "span_end", .object = "/bin/t", .role = SPEC_END,
		    .pair = 0 },
};

/* A writer that checks and counts; it keeps a counter per tid, nothing per event. */
struct trace_writer {
	uint8_t *thread_names; /* by tid: thread_name calls */
	uint64_t spans;
	uint64_t named_spans;	 /* spans named from their argument */
	uint64_t function_named; /* named spans that kept their function's name */
	uint64_t wrong;		 /* a span or a thread with a name not its own */
};

/* The name a test gives span i of thread tid, and thread tid itself. */
static void span_name(char *buf, size_t len, uint32_t tid, uint64_t i)
{
	snprintf(buf, len, "req-%u-%llu", tid, (unsigned long long)i);
}

static void comm_of(char *buf, size_t len, uint32_t tid)
{
	snprintf(buf, len, "w%u", tid);
}

static void w_thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid, const char *name)
{
	char want[32];

	comm_of(want, sizeof(want), tid);
	if (tid == PID)
		snprintf(want, sizeof(want), "main");
	w->wrong += strcmp(name, want) != 0;
	if (tid <= MAX_TID)
		w->thread_names[tid]++;
}

static void w_process_name(struct trace_writer *w, uint32_t pid, const char *name)
{
	w->wrong += pid != PID || strcmp(name, "main") != 0;
}

static void w_span(struct trace_writer *w, const struct trace_span *s)
{
	char want[64];

	w->spans++;
	if (strcmp(s->func, "span_begin"))
		return;
	w->named_spans++;
	if (!strcmp(s->name, "span_begin")) {
		w->function_named++;
		return;
	}
	if (strncmp(s->name, "req-", 4))
		return;
	/* the churn's spans last exactly their index in µs: the name says which it was */
	span_name(want, sizeof(want), s->tid, s->dur_ns / 1000);
	w->wrong += strcmp(s->name, want) != 0;
}

static void w_wait(struct trace_writer *w, const struct trace_wait *wt)
{
}

static void w_pipe_write(struct trace_writer *w, const struct trace_pipe_write *pw)
{
}

static void w_instant(struct trace_writer *w, const struct trace_instant *in)
{
}

static void w_flow(struct trace_writer *w, const struct trace_flow *fl)
{
}

static const struct trace_ops check_ops = {
	.process_name = w_process_name,
	.thread_name = w_thread_name,
	.span = w_span,
	.wait = w_wait,
	.pipe_write = w_pipe_write,
	.instant = w_instant,
	.flow = w_flow,
};

struct fx {
	struct probe_table probes;
	struct trace_writer w;
	struct decoder d;
};

static int fx__setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->probes = (struct probe_table){ .v = probe_v, .n = NPROBES };
	f->w.thread_names = calloc(MAX_TID + 1, 1);
	f->d = (struct decoder){ .probes = &f->probes, .ops = &check_ops, .w = &f->w,
				 .target_pid = PID };
	/* the loader's reorder window: events are released 2 ms late */
	f->d.tree = spantree__new(2 * MS, decoder__on_span, decoder__on_task, &f->d);
	f->d.tasks = tasks__new();
	f->d.gors = gor__new();
	f->d.names = names__new();
	f->d.stats = stats__new();
	if (!f->w.thread_names || !f->d.tree || !f->d.tasks || !f->d.gors || !f->d.names ||
	    !f->d.stats)
		return -1;
	spantree__on_drop(f->d.tree, decoder__on_drop);
	*state = f;
	return 0;
}

static int fx__teardown(void **state)
{
	struct fx *f = *state;

	free(f->w.thread_names);
	spantree__free(f->d.tree);
	tasks__free(f->d.tasks);
	gor__free(f->d.gors);
	names__free(f->d.names);
	stats__free(f->d.stats);
	free(f);
	return 0;
}

static struct st_hdr hdr(uint8_t type, uint32_t tid, uint64_t ts)
{
	return (struct st_hdr){ .type = type, .tid = tid, .ts = ts };
}

static void record(struct fx *f, const void *r, size_t size)
{
	assert_true(decoder__record(&f->d, r, size));
}

static void fork_thread(struct fx *f, uint64_t ts, uint32_t tid)
{
	struct st_fork r = { .hdr = hdr(ST_REC_FORK, PID, ts), .pid = PID, .child_pid = PID,
			     .child_tid = tid };
	char comm[32];

	comm_of(comm, sizeof(comm), tid);
	memcpy(r.comm, comm, strlen(comm));
	record(f, &r, sizeof(r));
}

static void exit_thread(struct fx *f, uint64_t ts, uint32_t tid, bool group_dead)
{
	struct st_exit r = { .hdr = hdr(ST_REC_EXIT, tid, ts), .pid = PID,
			     .group_dead = group_dead };

	record(f, &r, sizeof(r));
}

/* A named span of thread tid from ts, lasting i µs, its name the test's i-th. */
static void named_span(struct fx *f, uint64_t ts, uint32_t tid, uint64_t i)
{
	struct st_nspan b = { .hdr = hdr(ST_REC_SPAN_NAMED, tid, ts), .pid = PID,
			      .probe = P_BEGIN };
	struct st_span e = { .hdr = hdr(ST_REC_SPAN_END, tid, ts + i * 1000), .pid = PID,
			     .probe = P_END };
	char name[64];

	span_name(name, sizeof(name), tid, i);
	b.len = (uint16_t)strlen(name);
	memcpy(b.name, name, b.len);
	record(f, &b, sizeof(b));
	record(f, &e, sizeof(e));
}

static void main_thread(struct fx *f)
{
	struct st_task r = { .hdr = hdr(ST_REC_TASK, PID, 1), .pid = PID };

	memcpy(r.comm, "main", 4);
	record(f, &r, sizeof(r));
}

/*
 * 100,000 threads, 50 alive at a time, one created and one ended every
 * millisecond, each with a C span and a named span of a name never seen
 * before: the task table stays at the threads alive, those ended within
 * TASKS_FORGET_AFTER_NS and the TASKS_KEEP_EXITED kept; the name table at
 * NAMES_KEEP_UNUSED. Each thread is named once, by its own name; each span
 * by its own.
 */
static void test_thread_and_name_churn(void **state)
{
	enum { N = 100000, ALIVE = 50 };
	struct fx *f = *state;
	size_t most_tasks = 0, most_names = 0;
	uint64_t ts = 0;

	main_thread(f);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t tid = PID + 1 + i % (MAX_TID - PID - 1);
		struct st_span s = { .hdr = hdr(ST_REC_SPAN_BEGIN, tid, 0), .pid = PID,
				     .probe = P_FUNC };

		ts = (uint64_t)(i + 1) * MS;
		fork_thread(f, ts, tid);
		s.hdr.ts = ts + 10;
		record(f, &s, sizeof(s));
		named_span(f, ts + 20, tid, 1 + i % 500);
		s.hdr.type = ST_REC_SPAN_END;
		s.hdr.ts = ts + 900000;
		record(f, &s, sizeof(s));
		if (i >= ALIVE)
			exit_thread(f, ts + 950000, tid - ALIVE, false);
		if (tasks__count(f->d.tasks) > most_tasks)
			most_tasks = tasks__count(f->d.tasks);
		if (names__count(f->d.names) > most_names)
			most_names = names__count(f->d.names);
	}
	spantree__finish(f->d.tree, ts + MS);
	decoder__name_tasks(&f->d);

	assert_true(most_tasks <= TASKS_KEEP_EXITED + TASKS_FORGET_AFTER_NS / MS + ALIVE + 3);
	assert_true(most_names <= NAMES_KEEP_UNUSED + 10);
	assert_int_equal(names__held(f->d.names), 0);
	assert_int_equal(f->w.wrong, 0);
	assert_int_equal(f->w.named_spans, N);
	assert_int_equal(f->w.function_named, 0);
	assert_int_equal(f->w.spans, 2 * N);
	assert_int_equal(f->d.names_dropped, 0);
	for (uint32_t i = 0; i < N; i++)
		if (f->w.thread_names[PID + 1 + i] != 1)
			fail_msg("thread %u named %u times", PID + 1 + i,
				 f->w.thread_names[PID + 1 + i]);
	assert_int_equal(f->w.thread_names[PID], 1);
}

/*
 * More named spans open at once than names may be held: the ones beyond
 * keep their function's name and are counted, and none is named wrong.
 */
static void test_names_held_bound(void **state)
{
	enum { EXTRA = 10, N = NAMES_MAX_HELD + EXTRA };
	struct fx *f = *state;
	char name[64];

	main_thread(f);
	for (uint32_t i = 0; i < N; i++) {
		struct st_nspan b = { .hdr = hdr(ST_REC_SPAN_NAMED, PID, 10 + i), .pid = PID,
				      .probe = P_BEGIN };

		snprintf(name, sizeof(name), "open-%u", i);
		b.len = (uint16_t)strlen(name);
		memcpy(b.name, name, b.len);
		record(f, &b, sizeof(b));
	}
	assert_int_equal(f->d.names_dropped, EXTRA);
	spantree__finish(f->d.tree, 10 * MS);
	assert_int_equal(f->w.named_spans, N);
	assert_int_equal(f->w.function_named, EXTRA);
	assert_int_equal(names__held(f->d.names), 0);
}

/*
 * A Go call that starts over after its stack grew: its BEGIN again, with its
 * name, makes no span. The name it held goes back; the span keeps it.
 */
static void test_name_of_dropped_begin(void **state)
{
	struct fx *f = *state;
	struct st_nspan b = { .hdr = hdr(ST_REC_SPAN_NAMED, PID, 1000), .pid = PID,
			      .probe = P_BEGIN, .goid = 7, .sdepth = 100, .len = 5 };
	struct st_gspan e = { .hdr = hdr(ST_REC_GSPAN_END, PID, 5000), .probe = P_END, .goid = 7,
			      .pid = PID };

	memcpy(b.name, "again", 5);
	record(f, &b, sizeof(b));
	b.hdr.ts = 2000;
	record(f, &b, sizeof(b));
	assert_int_equal(spantree__stats(f->d.tree)->reentries, 0); /* still in the window */
	record(f, &e, sizeof(e));
	spantree__finish(f->d.tree, 10 * MS);
	assert_int_equal(spantree__stats(f->d.tree)->reentries, 1);
	assert_int_equal(f->w.named_spans, 1);
	assert_int_equal(f->w.function_named, 0);
	assert_int_equal(names__held(f->d.names), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thread_and_name_churn, fx__setup,
						fx__teardown),
		cmocka_unit_test_setup_teardown(test_names_held_bound, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_name_of_dropped_begin, fx__setup,
						fx__teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
