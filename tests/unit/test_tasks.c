/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tasks: the tid-keyed task table. Creation and lookup, a tid recycled by
 * another process, which calls reset an exited task and which keep it,
 * in_trace marking of a thread and its process's main thread, comm
 * truncation, per-thread and group fatal signals, growth and iteration;
 * which exited tasks are forgotten and when, under churn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasks.h"

/* A task as tasks__add leaves a new one: only tid and pid set. */
static void assert_fresh(const struct task *t, uint32_t pid, uint32_t tid)
{
	assert_non_null(t);
	assert_int_equal(t->tid, tid);
	assert_int_equal(t->pid, pid);
	assert_string_equal(t->comm, "");
	assert_false(t->exited);
	assert_false(t->in_trace);
	assert_int_equal(t->fatal_sig, 0);
	assert_int_equal(t->fatal_ts, 0);
	assert_int_equal(t->fatal_from, 0);
	assert_int_equal(t->stall_start, 0);
	assert_int_equal(t->stall_said, 0);
	assert_false(t->process_ended);
	assert_int_equal(t->forget_ts, 0);
}

/* Gives t a value in every field, so that a reset shows in each. */
static void fill(struct task *t)
{
	tasks__set_comm(t, "worker");
	t->exited = true;
	t->in_trace = true;
	t->fatal_sig = 9;
	t->fatal_ts = 1000;
	t->fatal_from = 3;
	t->stall_start = 500;
	t->stall_said = 2000000000;
}

static void assert_filled(const struct task *t, uint32_t pid, uint32_t tid)
{
	assert_non_null(t);
	assert_int_equal(t->tid, tid);
	assert_int_equal(t->pid, pid);
	assert_string_equal(t->comm, "worker");
	assert_true(t->exited);
	assert_true(t->in_trace);
	assert_int_equal(t->fatal_sig, 9);
	assert_int_equal(t->fatal_ts, 1000);
	assert_int_equal(t->fatal_from, 3);
	assert_int_equal(t->stall_start, 500);
	assert_int_equal(t->stall_said, 2000000000);
}

static void assert_signal(const struct tasks *ts, uint32_t tid, int sig, uint64_t ts_ns,
			  uint32_t from)
{
	const struct task *t = tasks__get(ts, tid);

	assert_non_null(t);
	assert_int_equal(t->fatal_sig, sig);
	assert_int_equal(t->fatal_ts, ts_ns);
	assert_int_equal(t->fatal_from, from);
}

static void test_empty(void **state)
{
	struct tasks *ts = tasks__new();

	assert_non_null(ts);
	assert_int_equal(tasks__count(ts), 0);
	assert_null(tasks__get(ts, 1));
	assert_null(tasks__get(ts, 0));
	assert_null(tasks__get(ts, UINT32_MAX));
	tasks__free(ts);
	tasks__free(NULL);
}

static void test_add_get(void **state)
{
	struct tasks *ts = tasks__new();
	struct task *t, *u;

	t = tasks__add(ts, 10, 11);
	assert_fresh(t, 10, 11);
	assert_int_equal(tasks__count(ts), 1);
	assert_ptr_equal(tasks__get(ts, 11), t);
	assert_null(tasks__get(ts, 10));
	assert_null(tasks__get(ts, 12));

	/* Adding it again finds it, with what was stored in it. */
	tasks__set_comm(t, "w");
	t->in_trace = true;
	assert_ptr_equal(tasks__add(ts, 10, 11), t);
	assert_string_equal(t->comm, "w");
	assert_true(t->in_trace);
	assert_int_equal(tasks__count(ts), 1);

	u = tasks__add(ts, 10, 10);
	assert_fresh(u, 10, 10);
	assert_int_equal(tasks__count(ts), 2);
	assert_ptr_equal(tasks__get(ts, 10), u);
	assert_ptr_equal(tasks__get(ts, 11), t);

	/* The largest tid is a tid like any other. */
	t = tasks__add(ts, 7, UINT32_MAX);
	assert_fresh(t, 7, UINT32_MAX);
	assert_ptr_equal(tasks__get(ts, UINT32_MAX), t);
	assert_int_equal(tasks__count(ts), 3);
	tasks__free(ts);
}

/* tid 0 is the idle task and marks free slots: every entry point refuses it. */
static void test_tid_zero(void **state)
{
	struct tasks *ts = tasks__new();

	assert_null(tasks__add(ts, 5, 0));
	assert_null(tasks__born(ts, 5, 0));
	assert_null(tasks__touch(ts, 5, 0));
	assert_null(tasks__get(ts, 0));
	assert_int_equal(tasks__count(ts), 0);
	tasks__free(ts);
}

/* A tid now in another process is another task: everything of the old one goes. */
static void test_pid_change(void **state)
{
	struct tasks *ts = tasks__new();
	struct task *t;

	tasks__add(ts, 20, 20);
	t = tasks__add(ts, 10, 11);
	fill(t);
	t = tasks__add(ts, 20, 11);
	assert_fresh(t, 20, 11);
	assert_ptr_equal(tasks__get(ts, 11), t);
	assert_int_equal(tasks__count(ts), 2);

	/* Likewise for born and touch. */
	fill(t);
	t = tasks__born(ts, 30, 11);
	assert_fresh(t, 30, 11);
	fill(t);
	t = tasks__touch(ts, 40, 11);
	assert_int_equal(t->pid, 40);
	assert_string_equal(t->comm, "");
	assert_false(t->exited);
	assert_true(t->in_trace);
	assert_int_equal(t->fatal_sig, 0);
	assert_int_equal(t->stall_said, 0);
	/* 20, 11 and the new leader 40. */
	assert_int_equal(tasks__count(ts), 3);
	tasks__free(ts);
}

/* Records about a task keep arriving after its exit: add must not forget it. */
static void test_add_keeps_exited(void **state)
{
	struct tasks *ts = tasks__new();
	struct task *t = tasks__add(ts, 10, 11);

	fill(t);
	assert_ptr_equal(tasks__add(ts, 10, 11), t);
	assert_filled(t, 10, 11);
	assert_ptr_equal(tasks__touch(ts, 10, 11), t);
	assert_filled(t, 10, 11);
	assert_int_equal(tasks__count(ts), 2); /* touch added the leader */
	tasks__free(ts);
}

/* A fork or clone reusing the tid of an exited task of the same pid starts afresh. */
static void test_born(void **state)
{
	struct tasks *ts = tasks__new();
	struct task *t;

	/* New tid: like add. */
	t = tasks__born(ts, 10, 11);
	assert_fresh(t, 10, 11);
	assert_int_equal(tasks__count(ts), 1);

	/* Exited: reset in place. */
	fill(t);
	assert_ptr_equal(tasks__born(ts, 10, 11), t);
	assert_fresh(t, 10, 11);
	assert_int_equal(tasks__count(ts), 1);

	/* Live: kept as it is (a record may have named it first). */
	fill(t);
	t->exited = false;
	assert_ptr_equal(tasks__born(ts, 10, 11), t);
	assert_string_equal(t->comm, "worker");
	assert_true(t->in_trace);
	assert_int_equal(t->fatal_sig, 9);
	assert_int_equal(t->stall_said, 2000000000);
	assert_int_equal(tasks__count(ts), 1);
	tasks__free(ts);
}

static void test_touch(void **state)
{
	struct tasks *ts = tasks__new();
	struct task *t, *leader;

	/* A thread whose leader is unknown: the leader is made and marked too. */
	t = tasks__touch(ts, 10, 12);
	assert_non_null(t);
	assert_ptr_equal(tasks__get(ts, 12), t);
	assert_int_equal(t->pid, 10);
	assert_true(t->in_trace);
	leader = tasks__get(ts, 10);
	assert_non_null(leader);
	assert_int_equal(leader->pid, 10);
	assert_true(leader->in_trace);
	assert_string_equal(leader->comm, "");
	assert_int_equal(tasks__count(ts), 2);

	/* A main thread is its own leader: one entry. */
	t = tasks__touch(ts, 20, 20);
	assert_ptr_equal(tasks__get(ts, 20), t);
	assert_true(t->in_trace);
	assert_int_equal(tasks__count(ts), 3);

	/* A known leader, not in the trace yet, is marked and otherwise kept. */
	leader = tasks__add(ts, 30, 30);
	tasks__set_comm(leader, "main");
	t = tasks__add(ts, 30, 31);
	assert_false(leader->in_trace);
	assert_false(t->in_trace);
	assert_ptr_equal(tasks__touch(ts, 30, 31), t);
	assert_true(t->in_trace);
	assert_true(leader->in_trace);
	assert_string_equal(leader->comm, "main");
	assert_int_equal(tasks__count(ts), 5);

	/* An exited leader keeps its entry: the process outlives its main thread. */
	leader = tasks__add(ts, 40, 40);
	fill(leader);
	leader->in_trace = false;
	t = tasks__touch(ts, 40, 41);
	assert_true(t->in_trace);
	assert_ptr_equal(tasks__get(ts, 40), leader);
	assert_true(leader->in_trace);
	assert_true(leader->exited);
	assert_string_equal(leader->comm, "worker");
	assert_int_equal(leader->fatal_sig, 9);
	assert_int_equal(tasks__count(ts), 7);

	/* Other tasks are not marked. */
	tasks__add(ts, 50, 50);
	tasks__touch(ts, 50, 52);
	assert_null(tasks__get(ts, 51));
	tasks__add(ts, 50, 51);
	assert_false(tasks__get(ts, 51)->in_trace);
	tasks__free(ts);
}

/*
 * The table grows while the leader is added, after the thread's entry was
 * found: the pointer returned must be the one in the new table (ASan checks
 * that the old one is not written).
 */
static void test_touch_growth(void **state)
{
	struct tasks *ts = tasks__new();
	struct task *t;
	uint32_t tid;

	/* 31 entries fit the first table of 64 at half load; the 33rd grows it. */
	for (tid = 1; tid <= 31; tid++)
		tasks__add(ts, tid, tid);
	assert_int_equal(tasks__count(ts), 31);
	t = tasks__touch(ts, 1000, 1001);
	assert_int_equal(tasks__count(ts), 33);
	assert_ptr_equal(t, tasks__get(ts, 1001));
	assert_int_equal(t->tid, 1001);
	assert_int_equal(t->pid, 1000);
	assert_true(t->in_trace);
	assert_true(tasks__get(ts, 1000)->in_trace);
	for (tid = 1; tid <= 31; tid++) {
		assert_int_equal(tasks__get(ts, tid)->pid, tid);
		assert_false(tasks__get(ts, tid)->in_trace);
	}
	tasks__free(ts);
}

static void test_set_comm(void **state)
{
	struct tasks *ts = tasks__new();
	struct task *t = tasks__add(ts, 1, 1);
	/* A kernel comm field: exactly 16 bytes, no terminator. */
	const char full[TASK_COMM_LEN] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
					   'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p' };

	tasks__set_comm(t, "bash");
	assert_string_equal(t->comm, "bash");

	tasks__set_comm(t, "0123456789abcdefXYZ");
	assert_string_equal(t->comm, "0123456789abcdef");
	assert_int_equal(t->comm[TASK_COMM_LEN], 0);

	tasks__set_comm(t, full);
	assert_string_equal(t->comm, "abcdefghijklmnop");
	assert_int_equal(strlen(t->comm), TASK_COMM_LEN);

	/* Shorter after longer: terminated, nothing of the old name shows. */
	tasks__set_comm(t, "sh");
	assert_string_equal(t->comm, "sh");

	tasks__set_comm(t, "0123456789abcde");
	assert_string_equal(t->comm, "0123456789abcde");

	tasks__set_comm(t, "");
	assert_string_equal(t->comm, "");
	tasks__free(ts);
}

static void test_signal_thread(void **state)
{
	struct tasks *ts = tasks__new();

	tasks__add(ts, 10, 10);
	tasks__add(ts, 10, 11);
	tasks__add(ts, 10, 12);

	tasks__signal(ts, 10, 11, false, 9, 1000, 77);
	assert_signal(ts, 11, 9, 1000, 77);
	assert_signal(ts, 10, 0, 0, 0);
	assert_signal(ts, 12, 0, 0, 0);

	/* The first pending stays. */
	tasks__signal(ts, 10, 11, false, 15, 2000, 78);
	assert_signal(ts, 11, 9, 1000, 77);

	/* An unknown tid is added with the signal. */
	tasks__signal(ts, 10, 13, false, 15, 3000, 1);
	assert_int_equal(tasks__count(ts), 4);
	assert_int_equal(tasks__get(ts, 13)->pid, 10);
	assert_signal(ts, 13, 15, 3000, 1);

	/* An exited thread has nothing pending any more. */
	tasks__get(ts, 12)->exited = true;
	tasks__signal(ts, 10, 12, false, 9, 4000, 1);
	assert_signal(ts, 12, 0, 0, 0);

	/* A tid now in another process: the new task gets it, the old one's is gone. */
	tasks__signal(ts, 50, 11, false, 6, 5000, 2);
	assert_int_equal(tasks__get(ts, 11)->pid, 50);
	assert_signal(ts, 11, 6, 5000, 2);
	assert_int_equal(tasks__count(ts), 4);
	tasks__free(ts);
}

static void test_signal_group(void **state)
{
	struct tasks *ts = tasks__new();

	tasks__add(ts, 10, 11);
	tasks__add(ts, 10, 12);
	tasks__add(ts, 10, 13)->exited = true;
	tasks__add(ts, 10, 14);
	tasks__add(ts, 20, 20);
	tasks__add(ts, 20, 21);
	tasks__signal(ts, 10, 14, false, 2, 500, 99);

	/* Sent to the process, taken by thread 12: every live thread of 10 has it. */
	tasks__signal(ts, 10, 12, true, 15, 1000, 7);
	assert_int_equal(tasks__count(ts), 6);
	assert_signal(ts, 11, 15, 1000, 7);
	assert_signal(ts, 12, 15, 1000, 7);
	assert_signal(ts, 13, 0, 0, 0);	   /* exited */
	assert_signal(ts, 14, 2, 500, 99); /* already had one */
	assert_signal(ts, 20, 0, 0, 0);	   /* other process */
	assert_signal(ts, 21, 0, 0, 0);
	assert_null(tasks__get(ts, 10)); /* only the tid taking it is added */

	/* SIGKILL later: only the newly added leader takes it, the first pending stays. */
	tasks__signal(ts, 10, 10, true, 9, 2000, 8);
	assert_int_equal(tasks__count(ts), 7);
	assert_signal(ts, 10, 9, 2000, 8);
	assert_signal(ts, 11, 15, 1000, 7);
	assert_signal(ts, 12, 15, 1000, 7);
	assert_signal(ts, 13, 0, 0, 0);
	assert_signal(ts, 14, 2, 500, 99);

	/* A thread made after the group signal gets the next one. */
	tasks__add(ts, 10, 15);
	tasks__signal(ts, 10, 10, true, 9, 3000, 8);
	assert_signal(ts, 15, 9, 3000, 8);
	assert_signal(ts, 10, 9, 2000, 8);
	assert_signal(ts, 11, 15, 1000, 7);

	/* The other process, signalled through its leader. */
	tasks__signal(ts, 20, 20, true, 9, 4000, 1);
	assert_signal(ts, 20, 9, 4000, 1);
	assert_signal(ts, 21, 9, 4000, 1);
	assert_signal(ts, 13, 0, 0, 0);
	assert_int_equal(tasks__count(ts), 8);
	tasks__free(ts);
}

/* Distinct tids spread over a range like real ones, not 1..n. */
static uint32_t scattered_tid(uint32_t i)
{
	return (uint32_t)((uint64_t)i * 7919 % 4000037) + 1;
}

static void test_many(void **state)
{
	enum { N = 10000 };
	struct tasks *ts = tasks__new();
	char name[TASK_COMM_LEN + 1];
	uint32_t i;

	for (i = 0; i < N; i++) {
		uint32_t tid = scattered_tid(i);
		struct task *t = tasks__add(ts, tid / 8 + 1, tid);

		assert_non_null(t);
		snprintf(name, sizeof(name), "t%u", tid);
		tasks__set_comm(t, name);
	}
	assert_int_equal(tasks__count(ts), N);
	/* Adding them again finds them. */
	for (i = 0; i < N; i++)
		tasks__add(ts, scattered_tid(i) / 8 + 1, scattered_tid(i));
	assert_int_equal(tasks__count(ts), N);
	for (i = 0; i < N; i++) {
		uint32_t tid = scattered_tid(i);
		const struct task *t = tasks__get(ts, tid);

		snprintf(name, sizeof(name), "t%u", tid);
		if (!t || t->tid != tid || t->pid != tid / 8 + 1 || strcmp(t->comm, name) ||
		    t->in_trace || t->exited)
			fail_msg("task %u (tid %u) wrong", i, tid);
	}
	/* Tids never added: between the scattered ones, and past them. */
	assert_null(tasks__get(ts, scattered_tid(1) + 1));
	assert_null(tasks__get(ts, 4000038));
	assert_null(tasks__get(ts, UINT32_MAX));
	tasks__free(ts);
}

struct visits {
	uint8_t *seen; /* indexed by tid */
	size_t ncalls;
	uint32_t max_tid;
};

static void visit(void *ctx, struct task *t)
{
	struct visits *v = ctx;

	v->ncalls++;
	if (t->tid == 0 || t->tid > v->max_tid)
		fail_msg("visited tid %u", t->tid);
	v->seen[t->tid]++;
	t->in_trace = true; /* the callback may change the task */
}

static void test_foreach(void **state)
{
	enum { N = 3000, MAX_TID = 2 * N };
	struct tasks *ts = tasks__new();
	struct visits v = { .seen = calloc(MAX_TID + 1, 1), .max_tid = MAX_TID };
	uint32_t tid;

	assert_non_null(v.seen);
	tasks__foreach(ts, visit, &v);
	assert_int_equal(v.ncalls, 0);

	/* Even tids only, and some of them recycled into another process. */
	for (tid = 2; tid <= MAX_TID; tid += 2)
		tasks__add(ts, tid / 10 + 1, tid);
	for (tid = 2; tid <= MAX_TID; tid += 6)
		tasks__add(ts, 99999, tid);
	tasks__foreach(ts, visit, &v);
	assert_int_equal(v.ncalls, N);
	assert_int_equal(tasks__count(ts), N);
	for (tid = 0; tid <= MAX_TID; tid++)
		if (v.seen[tid] != (tid && tid % 2 == 0))
			fail_msg("tid %u visited %u times", tid, v.seen[tid]);
	for (tid = 2; tid <= MAX_TID; tid += 2)
		if (!tasks__get(ts, tid)->in_trace)
			fail_msg("tid %u not changed by the callback", tid);
	free(v.seen);
	tasks__free(ts);
}

#define MS 1000000ull
#define SEC 1000000000ull

struct forgotten {
	uint32_t tids[8192];
	size_t n;
};

static void record_forgotten(void *ctx, struct task *t)
{
	struct forgotten *f = ctx;

	assert_true(t->exited);
	if (f->n < sizeof(f->tids) / sizeof(f->tids[0]))
		f->tids[f->n] = t->tid;
	f->n++;
}

/*
 * Threads that exited are forgotten once exited TASKS_FORGET_AFTER_NS
 * before the time given, the longest exited first, the TASKS_KEEP_EXITED
 * latest kept; a live main thread is not.
 */
static void test_forget_threads(void **state)
{
	enum { N = 3000 };
	struct tasks *ts = tasks__new();
	struct forgotten f = { 0 };

	tasks__add(ts, 100, 100);
	for (uint32_t i = 0; i < N; i++)
		tasks__exit(ts, tasks__add(ts, 100, 1000 + i), (i + 1) * MS, false);
	assert_int_equal(tasks__count(ts), N + 1);
	/* nothing has been exited for long enough at 1 s */
	tasks__forget(ts, 1 * SEC - TASKS_FORGET_AFTER_NS, record_forgotten, &f);
	assert_int_equal(f.n, 0);
	/* at 2.5 s, those that exited by 1.5 s: 1500, oldest first */
	tasks__forget(ts, 2500 * MS - TASKS_FORGET_AFTER_NS, record_forgotten, &f);
	assert_int_equal(f.n, 1500);
	for (uint32_t i = 0; i < 1500; i++) {
		assert_int_equal(f.tids[i], 1000 + i);
		assert_null(tasks__get(ts, 1000 + i));
	}
	assert_non_null(tasks__get(ts, 1000 + 1500));
	/* much later: all but the latest TASKS_KEEP_EXITED; the live main thread stays */
	tasks__forget(ts, UINT64_MAX, record_forgotten, &f);
	assert_int_equal(f.n, N - TASKS_KEEP_EXITED);
	assert_int_equal(tasks__count(ts), TASKS_KEEP_EXITED + 1);
	assert_non_null(tasks__get(ts, 100));
	assert_non_null(tasks__get(ts, 1000 + N - 1));
	tasks__free(ts);
}

/*
 * Exits enough other processes (of tids never used before) to push
 * everything queued before them past the kept ones, and forgets.
 */
static void flush_with_others(struct tasks *ts, uint64_t at, struct forgotten *f)
{
	static uint32_t next = 50000;

	for (uint32_t i = 0; i < TASKS_KEEP_EXITED; i++, next++)
		tasks__exit(ts, tasks__add(ts, next, next), at, true);
	tasks__forget(ts, UINT64_MAX, record_forgotten, f);
}

static bool was_forgotten(const struct forgotten *f, uint32_t tid)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->tids[i] == tid)
			return true;
	return false;
}

/* A main thread that exits before its process stays (it names the process) until the end. */
static void test_forget_main_thread(void **state)
{
	struct tasks *ts = tasks__new();
	struct forgotten f = { 0 };

	tasks__add(ts, 200, 200);
	tasks__add(ts, 200, 201);
	tasks__add(ts, 300, 300);
	tasks__add(ts, 300, 301);
	tasks__exit(ts, tasks__get(ts, 200), 1 * MS, false);
	flush_with_others(ts, 2 * MS, &f);
	assert_false(was_forgotten(&f, 200));
	assert_true(tasks__get(ts, 200)->exited);
	/* its last thread ends the process: both go */
	tasks__exit(ts, tasks__get(ts, 201), 3 * MS, true);
	assert_true(tasks__get(ts, 200)->process_ended);
	flush_with_others(ts, 4 * MS, &f);
	assert_true(was_forgotten(&f, 200));
	assert_true(was_forgotten(&f, 201));
	assert_null(tasks__get(ts, 200));
	/* the process's end seen before its main thread's own exit (records out of order) */
	tasks__exit(ts, tasks__get(ts, 301), 5 * MS, true);
	flush_with_others(ts, 6 * MS, &f);
	assert_true(was_forgotten(&f, 301));
	assert_false(was_forgotten(&f, 300));
	tasks__exit(ts, tasks__get(ts, 300), 7 * MS, false);
	flush_with_others(ts, 8 * MS, &f);
	assert_true(was_forgotten(&f, 300));
	tasks__free(ts);
}

/* A tid that starts again (a new thread, another process) is not forgotten for its old self. */
static void test_forget_reused_tid(void **state)
{
	struct tasks *ts = tasks__new();
	struct forgotten f = { 0 };
	struct task *t;

	tasks__add(ts, 400, 400);
	tasks__exit(ts, tasks__add(ts, 400, 401), 1 * MS, false);
	t = tasks__born(ts, 400, 401); /* the tid again, a new thread */
	assert_false(t->exited);
	tasks__exit(ts, tasks__add(ts, 400, 402), 1 * MS, false);
	tasks__add(ts, 500, 402); /* the tid again, in another process */
	flush_with_others(ts, 2 * MS, &f);
	assert_false(was_forgotten(&f, 401));
	assert_false(was_forgotten(&f, 402));
	assert_non_null(tasks__get(ts, 401));
	assert_int_equal(tasks__get(ts, 402)->pid, 500);
	/* the new thread's own exit is forgotten in its turn */
	tasks__exit(ts, tasks__get(ts, 401), 3 * MS, false);
	flush_with_others(ts, 4 * MS, &f);
	assert_true(was_forgotten(&f, 401));
	tasks__free(ts);
}

/*
 * Threads come and go for a long time, each exit forgetting what is due: the
 * table holds the kept ones, those exited within TASKS_FORGET_AFTER_NS, and
 * the live ones, however long it goes on.
 */
static void test_forget_churn(void **state)
{
	enum { N = 200000, ALIVE = 50 };
	struct tasks *ts = tasks__new();
	struct forgotten f = { 0 };
	size_t most = 0;
	uint32_t tid = 2;

	tasks__add(ts, 1, 1);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t now = (uint64_t)(i + 1) * MS;
		struct task *t;

		if (++tid > 4000000) /* tids wrap around, as pid_max makes them */
			tid = 2;
		t = tasks__born(ts, 1, tid);
		assert_non_null(t);
		if (i >= ALIVE) /* the thread born ALIVE threads ago exits */
			tasks__exit(ts, tasks__get(ts, tid - ALIVE), now, false);
		if (now > TASKS_FORGET_AFTER_NS)
			tasks__forget(ts, now - TASKS_FORGET_AFTER_NS, record_forgotten, &f);
		if (tasks__count(ts) > most)
			most = tasks__count(ts);
	}
	/* kept, exited within the last second (one a millisecond), alive, the main thread */
	assert_true(most <= TASKS_KEEP_EXITED + TASKS_FORGET_AFTER_NS / MS + ALIVE + 2);
	assert_int_equal(f.n + tasks__count(ts), N + 1);
	tasks__free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_get),
		cmocka_unit_test(test_tid_zero),
		cmocka_unit_test(test_pid_change),
		cmocka_unit_test(test_add_keeps_exited),
		cmocka_unit_test(test_born),
		cmocka_unit_test(test_touch),
		cmocka_unit_test(test_touch_growth),
		cmocka_unit_test(test_set_comm),
		cmocka_unit_test(test_signal_thread),
		cmocka_unit_test(test_signal_group),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_forget_threads),
		cmocka_unit_test(test_forget_main_thread),
		cmocka_unit_test(test_forget_reused_tid),
		cmocka_unit_test(test_forget_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
