/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Span tree builder: every test asserts the exact list of delivered spans, in
 * delivery order, so a change in nesting, ordering or cut-off rules shows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spantree.h"

#define B SPAN_EV_BEGIN
#define E SPAN_EV_END
#define X SPAN_EV_EXIT

/* What the callbacks saw. Task callbacks are logged as a span with key UINT32_MAX. */
struct rec {
	struct span_out *s;
	size_t n, cap;
	size_t ntask_calls;
	size_t ndrops; /* BEGINs handed back without a span */
	bool log_tasks; /* also put on_task calls into s[] to check their position */
	struct spantree *t;
};

#define TASK_MARK UINT32_MAX

static void rec__append(struct rec *r, const struct span_out *s)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->s = realloc(r->s, r->cap * sizeof(*r->s));
		assert_non_null(r->s);
	}
	r->s[r->n++] = *s;
}

static void rec__sink(void *ctx, const struct span_out *s)
{
	rec__append(ctx, s);
}

static void rec__task(void *ctx, uint32_t pid, uint32_t tid)
{
	struct rec *r = ctx;
	struct span_out s = { .pid = pid, .tid = tid, .key = TASK_MARK };

	r->ntask_calls++;
	if (r->log_tasks)
		rec__append(r, &s);
}

static void rec__drop(void *ctx, uint32_t name)
{
	((struct rec *)ctx)->ndrops++;
}

static struct rec *rec__new(uint64_t window, bool log_tasks)
{
	struct rec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->log_tasks = log_tasks;
	r->t = spantree__new(window, rec__sink, rec__task, r);
	assert_non_null(r->t);
	spantree__on_drop(r->t, rec__drop);
	return r;
}

static int by_id(const void *a, const void *b)
{
	const struct span_out *x = *(const struct span_out *const *)a;
	const struct span_out *y = *(const struct span_out *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * What every test's spans must show of their ids, checked as each test ends:
 * ids unique; a span's parent, if delivered, comes after it (children first),
 * on the same task, one level up, and began no later. (Ends are not compared:
 * a late END, or a stop before a span began, may end a parent before its child.)
 */
static void rec__check_ids(const struct rec *r)
{
	const struct span_out **v = calloc(r->n + 1, sizeof(*v));
	size_t n = 0;

	assert_non_null(v);
	for (size_t i = 0; i < r->n; i++)
		if (r->s[i].key != TASK_MARK)
			v[n++] = &r->s[i];
	qsort(v, n, sizeof(*v), by_id);
	for (size_t i = 0; i < n; i++) {
		const struct span_out *s = v[i], key = { .id = s->parent_id }, *kp = &key;
		const struct span_out **pp = bsearch(&kp, v, n, sizeof(*v), by_id);
		const struct span_out *p = pp ? *pp : NULL;

		assert_true(s->id != 0);
		assert_true((s->parent_id == 0) == (s->depth == 0));
		if (i && v[i - 1]->id == s->id)
			fail_msg("two spans with id %llu", (unsigned long long)s->id);
		if (p && (p < s || p->tid != s->tid || p->pid != s->pid ||
			  p->depth + 1 != s->depth || p->start > s->start))
			fail_msg("span %zu (id %llu) and its parent %zu (id %llu) do not nest",
				 (size_t)(s - r->s), (unsigned long long)s->id,
				 (size_t)(p - r->s), (unsigned long long)p->id);
	}
	free(v);
}

static void rec__free(struct rec *r)
{
	rec__check_ids(r);
	spantree__free(r->t);
	free(r->s);
	free(r);
}

static void push(struct spantree *t, uint64_t ts, uint32_t pid, uint32_t tid, uint32_t key,
		 uint8_t kind)
{
	struct span_ev e = { .ts = ts, .pid = pid, .tid = tid, .key = key, .kind = kind };

	spantree__push(t, &e);
}

/* Spelled-out expectation: { key, tid, depth, start, end, unfinished }; pid is tid * 10. */
struct want {
	uint32_t key, tid, depth;
	uint64_t start, end;
	bool unfinished;
};

static bool span_out__equal(const struct span_out *a, const struct span_out *b)
{
	return a->pid == b->pid && a->tid == b->tid && a->key == b->key && a->depth == b->depth &&
	       a->start == b->start && a->end == b->end && a->unfinished == b->unfinished;
}

static void expect_spans(const struct rec *r, const struct want *w, size_t n, bool check_pid)
{
	size_t i;

	for (i = 0; i < n && i < r->n; i++) {
		const struct span_out *s = &r->s[i];

		if (s->key != w[i].key || s->tid != w[i].tid || s->depth != w[i].depth ||
		    s->start != w[i].start || s->end != w[i].end ||
		    s->unfinished != w[i].unfinished || (check_pid && s->pid != w[i].tid * 10))
			fail_msg("span %zu: got key %u tid %u pid %u depth %u %llu..%llu unf %d, "
				 "want key %u tid %u depth %u %llu..%llu unf %d",
				 i, s->key, s->tid, s->pid, s->depth, (unsigned long long)s->start,
				 (unsigned long long)s->end, s->unfinished, w[i].key, w[i].tid,
				 w[i].depth, (unsigned long long)w[i].start,
				 (unsigned long long)w[i].end, w[i].unfinished);
	}
	assert_int_equal(r->n, n);
}

#define EXPECT_PID(r, check_pid, ...)                                          \
	do {                                                                   \
		static const struct want w_[] = { __VA_ARGS__ };               \
		expect_spans(r, w_, sizeof(w_) / sizeof(w_[0]), check_pid);    \
	} while (0)
#define EXPECT(r, ...) EXPECT_PID(r, true, __VA_ARGS__)

static void test_simple_nesting(void **state)
{
	struct rec *r = rec__new(100, false);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 30, 10, 1, 2, E);
	push(r->t, 40, 10, 1, 1, E);
	assert_int_equal(r->n, 0); /* all still inside the window */
	spantree__finish(r->t, 1000);
	EXPECT(r, { 2, 1, 1, 20, 30, false }, { 1, 1, 0, 10, 40, false });
	assert_int_equal(st->events, 4);
	assert_int_equal(st->spans, 2);
	assert_int_equal(st->unfinished, 0);
	assert_int_equal(st->orphan_ends, 0);
	assert_int_equal(st->late_events, 0);
	assert_int_equal(st->max_depth, 2);
	assert_int_equal(st->tasks, 1);
	rec__free(r);
}

static void test_siblings(void **state)
{
	struct rec *r = rec__new(5, false);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 30, 10, 1, 2, E);
	push(r->t, 40, 10, 1, 3, B);
	push(r->t, 50, 10, 1, 3, E);
	push(r->t, 60, 10, 1, 4, B);
	push(r->t, 61, 10, 1, 4, E);
	push(r->t, 70, 10, 1, 1, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 2, 1, 1, 20, 30, false }, { 3, 1, 1, 40, 50, false },
	       { 4, 1, 1, 60, 61, false }, { 1, 1, 0, 10, 70, false });
	assert_int_equal(spantree__stats(r->t)->max_depth, 2);
	rec__free(r);
}

static void test_recursion(void **state)
{
	struct rec *r = rec__new(1000, false);

	push(r->t, 10, 10, 1, 7, B);
	push(r->t, 20, 10, 1, 7, B);
	push(r->t, 30, 10, 1, 7, B);
	push(r->t, 40, 10, 1, 7, E);
	push(r->t, 50, 10, 1, 8, B);
	push(r->t, 55, 10, 1, 8, E);
	push(r->t, 60, 10, 1, 7, E);
	push(r->t, 70, 10, 1, 7, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 7, 1, 2, 30, 40, false }, { 8, 1, 2, 50, 55, false },
	       { 7, 1, 1, 20, 60, false }, { 7, 1, 0, 10, 70, false });
	assert_int_equal(spantree__stats(r->t)->max_depth, 3);
	rec__free(r);
}

static void test_two_threads_interleaved(void **state)
{
	struct rec *r = rec__new(0, false);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 11, 20, 2, 1, B);
	push(r->t, 12, 10, 1, 2, B);
	push(r->t, 13, 20, 2, 2, B);
	push(r->t, 14, 20, 2, 2, E);
	push(r->t, 15, 10, 1, 2, E);
	push(r->t, 16, 10, 1, 1, E);
	push(r->t, 17, 20, 2, 3, B);
	push(r->t, 18, 20, 2, 3, E);
	push(r->t, 19, 20, 2, 1, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 2, 2, 1, 13, 14, false }, { 2, 1, 1, 12, 15, false },
	       { 1, 1, 0, 10, 16, false }, { 3, 2, 1, 17, 18, false },
	       { 1, 2, 0, 11, 19, false });
	assert_int_equal(spantree__stats(r->t)->tasks, 2);
	rec__free(r);
}

/* Small deterministic generator: the tests must not depend on libc's rand(). */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct arrival {
	struct span_ev e;
	uint64_t at; /* when it reaches userspace */
	size_t order;
};

static int arrival__cmp(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * A random but well-nested workload of ntask tasks with unique, increasing
 * timestamps; spans still open at the end are closed by finish().
 */
static size_t gen_workload(struct span_ev *ev, size_t n, uint32_t ntask, uint64_t seed)
{
	uint32_t depth[16] = { 0 }, stack[16][64];
	uint64_t ts = 1000;
	size_t i;

	assert_true(ntask <= 16);
	for (i = 0; i < n; i++) {
		uint32_t tid = 100 + (uint32_t)(rng_next(&seed) % ntask), k = tid - 100;
		bool begin = depth[k] == 0 || (depth[k] < 64 && rng_next(&seed) % 2);

		ts += 1 + rng_next(&seed) % 50;
		ev[i] = (struct span_ev){ .ts = ts, .pid = tid * 10, .tid = tid };
		if (begin) {
			ev[i].key = (uint32_t)(rng_next(&seed) % 5);
			ev[i].kind = B;
			stack[k][depth[k]++] = ev[i].key;
		} else {
			ev[i].key = stack[k][--depth[k]];
			ev[i].kind = E;
		}
	}
	return n;
}

enum delay_mode { DELAY_RANDOM, DELAY_JITTER, DELAY_CPU_BATCHES };

/*
 * Pushes one workload in time order into a tree with window 0 and, delayed by
 * less than the window as mode says, into one with the window: both must
 * deliver the same spans in the same order.
 */
static void check_reordered(enum delay_mode mode, uint64_t window)
{
	enum { N = 20000 };
	struct span_ev *ev = calloc(N, sizeof(*ev));
	struct arrival *a = calloc(N, sizeof(*a));
	struct rec *in_order = rec__new(0, true), *shuffled = rec__new(window, true);
	uint64_t seed = 0x5eed1234abcdull;
	size_t i, moved = 0;

	assert_non_null(ev);
	assert_non_null(a);
	gen_workload(ev, N, 6, 42);
	for (i = 0; i < N; i++) {
		uint64_t slot = window / 2;

		a[i].e = ev[i];
		a[i].order = i;
		if (mode == DELAY_RANDOM)
			a[i].at = ev[i].ts + rng_next(&seed) % window;
		else if (mode == DELAY_JITTER) /* a few places at most */
			a[i].at = ev[i].ts + rng_next(&seed) % 60;
		else /* each CPU's batch of a slot arrives whole, CPU after CPU */
			a[i].at = (ev[i].ts / slot + 1) * slot + ev[i].tid % 3;
		assert_true(a[i].at - ev[i].ts < window);
	}
	qsort(a, N, sizeof(*a), arrival__cmp);
	for (i = 0; i < N; i++) {
		moved += a[i].order != i;
		spantree__push(in_order->t, &ev[i]);
		spantree__push(shuffled->t, &a[i].e);
	}
	assert_true(moved > N / 4); /* the delays really reorder */
	spantree__finish(in_order->t, ev[N - 1].ts + 1);
	spantree__finish(shuffled->t, ev[N - 1].ts + 1);

	assert_true(in_order->n > N / 3);
	assert_int_equal(shuffled->n, in_order->n);
	for (i = 0; i < in_order->n; i++)
		if (!span_out__equal(&shuffled->s[i], &in_order->s[i]))
			fail_msg("span %zu differs from the in-order run", i);
	assert_int_equal(spantree__stats(shuffled->t)->late_events, 0);
	assert_int_equal(spantree__stats(shuffled->t)->orphan_ends, 0);
	assert_int_equal(spantree__stats(shuffled->t)->events, N);
	assert_int_equal(spantree__stats(shuffled->t)->tasks, 6);
	assert_int_equal(spantree__stats(shuffled->t)->spans, spantree__stats(in_order->t)->spans);
	rec__free(in_order);
	rec__free(shuffled);
	free(ev);
	free(a);
}

static void test_out_of_order_within_window(void **state)
{
	check_reordered(DELAY_RANDOM, 5000);
}

/* Small displacements: what racing producers on one ring buffer cause. */
static void test_out_of_order_jitter(void **state)
{
	check_reordered(DELAY_JITTER, 5000);
}

/* Whole per-CPU batches out of place. */
static void test_out_of_order_cpu_batches(void **state)
{
	check_reordered(DELAY_CPU_BATCHES, 5000);
}

/*
 * Bursts larger than the buffers' first allocation, drained in parts so the
 * buffers wrap, grow while wrapped and shrink again; the spans must come out
 * complete and in order throughout.
 */
static void test_buffer_bursts(void **state)
{
	enum { BURST = 50000, ROUNDS = 3 };
	struct rec *r = rec__new(UINT64_MAX / 2, false);
	uint64_t ts = 100, seed = 99, released = 100;
	uint32_t round, i;
	size_t j;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < BURST; i++, ts += 10) {
			/* Every 7th span arrives after its successor: exercises the heap too. */
			uint32_t tid = 1 + (uint32_t)(rng_next(&seed) % 4);

			if (i % 7 == 3) {
				push(r->t, ts + 5, 10 * tid, tid, 2, B);
				push(r->t, ts + 6, 10 * tid, tid, 2, E);
				push(r->t, ts, 10 * tid, tid, 1, B);
				push(r->t, ts + 1, 10 * tid, tid, 1, E);
			} else {
				push(r->t, ts, 10 * tid, tid, 1, B);
				push(r->t, ts + 1, 10 * tid, tid, 1, E);
				push(r->t, ts + 5, 10 * tid, tid, 2, B);
				push(r->t, ts + 6, 10 * tid, tid, 2, E);
			}
			if (i % 1000 == 999) {
				/* Drain all but the newest ~3/4: the head moves, the ring wraps. */
				released = ts - 7500;
				spantree__flush(r->t, released);
			}
		}
		spantree__flush(r->t, ts);
	}
	spantree__finish(r->t, ts);
	assert_int_equal(r->n, 2 * BURST * ROUNDS);
	for (j = 0; j < r->n; j++) {
		const struct span_out *s = &r->s[j];
		uint64_t base = 100 + (j / 2) * 10;

		if (s->start != base + (j % 2) * 5 || s->end != s->start + 1 ||
		    s->key != 1 + j % 2 || s->depth || s->unfinished)
			fail_msg("span %zu wrong: %llu..%llu key %u", j,
				 (unsigned long long)s->start, (unsigned long long)s->end, s->key);
	}
	assert_int_equal(spantree__stats(r->t)->late_events, 0);
	rec__free(r);
}

/* A burst in reverse time order lands in the heap, which grows, drains and shrinks. */
static void test_buffer_reverse_burst(void **state)
{
	enum { N = 20000 };
	struct rec *r = rec__new(10 * N, false);
	uint32_t i, round;

	for (round = 0; round < 2; round++) {
		uint64_t base = 1000 + (uint64_t)round * 100 * N;

		r->n = 0;
		for (i = N; i-- > 0;) {
			uint32_t tid = 1 + i % 5;

			push(r->t, base + 10 * i + 3, 10 * tid, tid, i, E);
			push(r->t, base + 10 * i, 10 * tid, tid, i, B);
		}
		spantree__flush(r->t, base + 10 * N);
		assert_int_equal(r->n, N);
		for (i = 0; i < N; i++)
			if (r->s[i].key != i || r->s[i].start != base + 10 * i ||
			    r->s[i].end != base + 10 * i + 3 || r->s[i].tid != 1 + i % 5)
				fail_msg("span %u wrong", i);
	}
	assert_int_equal(spantree__stats(r->t)->orphan_ends, 0);
	assert_int_equal(spantree__stats(r->t)->late_events, 0);
	rec__free(r);
	spantree__free(NULL);
}

/* Equal timestamps keep their arrival order: a zero-length span stays BEGIN then END. */
static void test_equal_ts_keep_arrival_order(void **state)
{
	struct rec *r = rec__new(100, false);

	push(r->t, 50, 10, 1, 1, B);
	push(r->t, 50, 10, 1, 2, B);
	push(r->t, 50, 10, 1, 2, E);
	push(r->t, 50, 10, 1, 1, E);
	spantree__finish(r->t, 60);
	EXPECT(r, { 2, 1, 1, 50, 50, false }, { 1, 1, 0, 50, 50, false });
	rec__free(r);
}

/*
 * Ties across the two halves of the buffer: events stamped equal but arriving
 * far out of place (so they are held in the heap, not the FIFO) still follow
 * arrival order among themselves and against the FIFO.
 */
static void test_equal_ts_out_of_place(void **state)
{
	struct rec *r = rec__new(10000, false);
	struct want w[22];
	uint64_t ts;
	size_t n = 0;

	for (ts = 1000; ts < 1040; ts++) {
		push(r->t, ts, 20, 2, 3, ts % 2 ? E : B);
		if (ts == 1005)
			push(r->t, 1005, 10, 1, 7, B);
	}
	push(r->t, 1005, 10, 1, 7, E); /* behind 34 newer events: goes to the heap */
	push(r->t, 1010, 30, 3, 8, B);
	push(r->t, 1010, 30, 3, 8, E);
	spantree__finish(r->t, 2000);

	for (ts = 1000; ts < 1040; ts += 2) {
		if (ts == 1006)
			w[n++] = (struct want){ 7, 1, 0, 1005, 1005, false };
		if (ts == 1010) /* ends at 1010, before task 2's span that ends at 1011 */
			w[n++] = (struct want){ 8, 3, 0, 1010, 1010, false };
		w[n++] = (struct want){ 3, 2, 0, ts, ts + 1, false };
	}
	expect_spans(r, w, n, true);
	assert_int_equal(spantree__stats(r->t)->orphan_ends, 0);
	rec__free(r);
}

static void test_unfinished_at_finish(void **state)
{
	struct rec *r = rec__new(10, false);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 25, 20, 2, 5, B);
	push(r->t, 30, 10, 1, 3, B);
	push(r->t, 35, 10, 1, 3, E);
	push(r->t, 40, 10, 1, 4, B);
	spantree__finish(r->t, 100);
	/* Tasks in first-release order, deepest span first within each. */
	EXPECT(r, { 3, 1, 2, 30, 35, false }, { 4, 1, 2, 40, 100, true },
	       { 2, 1, 1, 20, 100, true }, { 1, 1, 0, 10, 100, true },
	       { 5, 2, 0, 25, 100, true });
	assert_int_equal(st->spans, 5);
	assert_int_equal(st->unfinished, 4);
	rec__free(r);
}

/* A stop time before a span's start ends it at its start, never before. */
static void test_unfinished_stop_before_start(void **state)
{
	struct rec *r = rec__new(0, false);

	push(r->t, 100, 10, 1, 1, B);
	push(r->t, 200, 10, 1, 2, B);
	spantree__finish(r->t, 150);
	EXPECT(r, { 2, 1, 1, 200, 200, true }, { 1, 1, 0, 100, 150, true });
	rec__free(r);
}

static void test_missing_end_closed_by_parent(void **state)
{
	struct rec *r = rec__new(10, false);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 30, 10, 1, 3, B); /* the ENDs of 3 and 2 are lost */
	push(r->t, 35, 10, 1, 4, B);
	push(r->t, 36, 10, 1, 4, E);
	push(r->t, 50, 10, 1, 1, E);
	push(r->t, 60, 10, 1, 1, B);
	push(r->t, 70, 10, 1, 1, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 4, 1, 3, 35, 36, false }, { 3, 1, 2, 30, 50, true },
	       { 2, 1, 1, 20, 50, true }, { 1, 1, 0, 10, 50, false },
	       { 1, 1, 0, 60, 70, false });
	assert_int_equal(st->unfinished, 2);
	assert_int_equal(st->orphan_ends, 0);
	assert_int_equal(st->max_depth, 4);
	rec__free(r);
}

static void test_orphan_end(void **state)
{
	struct rec *r = rec__new(10, false);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 5, 10, 1, 9, E); /* began before tracing */
	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 15, 10, 1, 8, E); /* nothing of key 8 open: ignored, 1 stays open */
	push(r->t, 20, 10, 1, 1, E);
	push(r->t, 30, 10, 1, 1, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 1, 1, 0, 10, 20, false });
	assert_int_equal(st->orphan_ends, 3);
	assert_int_equal(st->events, 5);
	assert_int_equal(st->unfinished, 0);
	rec__free(r);
}

static void test_on_task_first_release_order(void **state)
{
	struct rec *r = rec__new(100, true);

	/* Arrive newest task first; release is in time order. */
	push(r->t, 30, 30, 3, 1, B);
	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 20, 2, 1, B);
	push(r->t, 40, 10, 1, 1, E);
	push(r->t, 50, 30, 3, 1, E);
	push(r->t, 60, 20, 2, 1, E);
	push(r->t, 70, 10, 1, 2, B);
	push(r->t, 80, 10, 1, 2, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { TASK_MARK, 1, 0, 0, 0, false }, { TASK_MARK, 2, 0, 0, 0, false },
	       { TASK_MARK, 3, 0, 0, 0, false }, { 1, 1, 0, 10, 40, false },
	       { 1, 3, 0, 30, 50, false }, { 1, 2, 0, 20, 60, false },
	       { 2, 1, 0, 70, 80, false });
	assert_int_equal(r->ntask_calls, 3);
	assert_int_equal(spantree__stats(r->t)->tasks, 3);
	rec__free(r);
}

/* on_task comes before the first span of its task, and only on release. */
static void test_on_task_before_first_span(void **state)
{
	struct rec *r = rec__new(0, true);

	push(r->t, 10, 10, 1, 1, B);
	EXPECT(r, { TASK_MARK, 1, 0, 0, 0, false });
	push(r->t, 11, 10, 1, 1, E);
	push(r->t, 12, 20, 2, 1, E); /* an orphan still makes the task known */
	EXPECT(r, { TASK_MARK, 1, 0, 0, 0, false }, { 1, 1, 0, 10, 11, false },
	       { TASK_MARK, 2, 0, 0, 0, false });
	rec__free(r);

	r = rec__new(1000, true);
	push(r->t, 10, 10, 1, 1, B);
	assert_int_equal(r->ntask_calls, 0); /* buffered, not released */
	spantree__flush(r->t, 10);
	assert_int_equal(r->ntask_calls, 1);
	rec__free(r);
}

static void test_flush_upto(void **state)
{
	struct rec *r = rec__new(1000, false);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 1, E);
	push(r->t, 30, 10, 1, 2, B);
	push(r->t, 40, 10, 1, 2, E);
	push(r->t, 35, 20, 2, 3, B);
	spantree__flush(r->t, 19);
	assert_int_equal(r->n, 0);
	assert_int_equal(r->ntask_calls, 1);
	spantree__flush(r->t, 39);
	EXPECT(r, { 1, 1, 0, 10, 20, false });
	assert_int_equal(r->ntask_calls, 2); /* task 2 at 35 released */
	spantree__flush(r->t, 40);
	EXPECT(r, { 1, 1, 0, 10, 20, false }, { 2, 1, 0, 30, 40, false });
	push(r->t, 45, 20, 2, 3, E); /* still buffered: the window holds it */
	assert_int_equal(r->n, 2);
	spantree__finish(r->t, 100);
	EXPECT(r, { 1, 1, 0, 10, 20, false }, { 2, 1, 0, 30, 40, false },
	       { 3, 2, 0, 35, 45, false });
	rec__free(r);
}

static void test_window_zero(void **state)
{
	struct rec *r = rec__new(0, false);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 30, 10, 1, 2, E);
	EXPECT(r, { 2, 1, 1, 20, 30, false }); /* delivered at once */
	/* Out of order with no window: processed as it comes, counted as late. */
	push(r->t, 25, 10, 1, 1, E);
	EXPECT(r, { 2, 1, 1, 20, 30, false }, { 1, 1, 0, 10, 25, false });
	assert_int_equal(spantree__stats(r->t)->late_events, 1);
	spantree__finish(r->t, 100);
	assert_int_equal(r->n, 2);
	rec__free(r);
}

static void test_window_release_boundary(void **state)
{
	struct rec *r = rec__new(100, false);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 1, E);
	push(r->t, 119, 10, 1, 2, B); /* 20 + 100 > 119: the END stays buffered */
	assert_int_equal(r->n, 0);
	push(r->t, 120, 10, 1, 2, E); /* 20 + 100 <= 120: released */
	EXPECT(r, { 1, 1, 0, 10, 20, false });
	spantree__finish(r->t, 200);
	EXPECT(r, { 1, 1, 0, 10, 20, false }, { 2, 1, 0, 119, 120, false });
	rec__free(r);
}

static void test_deep_stack(void **state)
{
	enum { DEPTH = 10000 };
	struct rec *r = rec__new(64, false);
	const struct spantree_stats *st = spantree__stats(r->t);
	uint32_t i, round;

	/* Twice: the second run reuses what the first grew (and shrank back). */
	for (round = 0; round < 2; round++) {
		uint64_t base = (uint64_t)round * 3 * DEPTH;

		r->n = 0;
		for (i = 0; i < DEPTH; i++)
			push(r->t, base + i, 10, 1, i, B);
		for (i = 0; i < DEPTH; i++)
			push(r->t, base + DEPTH + i, 10, 1, DEPTH - 1 - i, E);
		spantree__flush(r->t, base + 2 * DEPTH);
		assert_int_equal(r->n, DEPTH);
		for (i = 0; i < DEPTH; i++) {
			const struct span_out *s = &r->s[i];
			uint32_t d = DEPTH - 1 - i;

			if (s->key != d || s->depth != d || s->start != base + d ||
			    s->end != base + DEPTH + i || s->unfinished)
				fail_msg("deep span %u wrong", i);
		}
	}
	/* And a deep stack cut off by finish. */
	r->n = 0;
	for (i = 0; i < DEPTH; i++)
		push(r->t, 100000 + i, 10, 1, i, B);
	spantree__finish(r->t, 200000);
	assert_int_equal(r->n, DEPTH);
	for (i = 0; i < DEPTH; i++)
		if (r->s[i].depth != DEPTH - 1 - i || !r->s[i].unfinished || r->s[i].end != 200000)
			fail_msg("cut-off deep span %u wrong", i);
	assert_int_equal(st->max_depth, DEPTH);
	assert_int_equal(st->spans, 3 * DEPTH);
	assert_int_equal(st->unfinished, DEPTH);
	rec__free(r);
}

/* Distinct tids spread over a range like real ones, not 1..n. */
static uint32_t scattered_tid(uint32_t i)
{
	return (uint32_t)((uint64_t)i * 7919 % 4000037) + 1;
}

static void test_many_tasks(void **state)
{
	enum { NTASK = 100000 };
	struct rec *r = rec__new(1000, true);
	const struct spantree_stats *st = spantree__stats(r->t);
	uint32_t i;

	/* Every task holds one open span while the others start. */
	for (i = 0; i < NTASK; i++)
		push(r->t, 1 + (uint64_t)i, 10 * scattered_tid(i), scattered_tid(i), i % 13, B);
	for (i = 0; i < NTASK; i++)
		push(r->t, 1 + NTASK + (uint64_t)i, 10 * scattered_tid(i), scattered_tid(i), i % 13,
		     E);
	spantree__finish(r->t, 3 * NTASK);
	assert_int_equal(st->tasks, NTASK);
	assert_int_equal(r->ntask_calls, NTASK);
	assert_int_equal(st->spans, NTASK);
	assert_int_equal(st->unfinished, 0);
	assert_int_equal(r->n, 2 * NTASK);
	for (i = 0; i < NTASK; i++) {
		const struct span_out *t = &r->s[i], *s = &r->s[NTASK + i];
		uint32_t tid = scattered_tid(i);

		if (t->key != TASK_MARK || t->tid != tid || t->pid != 10 * tid)
			fail_msg("task call %u wrong", i);
		if (s->tid != tid || s->pid != 10 * tid || s->key != i % 13 || s->depth != 0 ||
		    s->start != 1 + i || s->end != 1 + NTASK + i)
			fail_msg("span %u wrong", i);
	}
	rec__free(r);
}

static void test_late_events(void **state)
{
	struct rec *r = rec__new(10, false);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 100, 10, 1, 1, B);
	push(r->t, 200, 10, 1, 2, B); /* releases 100 */
	push(r->t, 200, 20, 2, 3, B);
	push(r->t, 50, 10, 1, 1, E);  /* older than task 1's released 100: late, still used */
	push(r->t, 60, 30, 3, 4, B);  /* old, but first of task 3: not late */
	push(r->t, 70, 30, 3, 4, E);  /* after task 3's 60: not late */
	assert_int_equal(st->late_events, 1);
	spantree__finish(r->t, 300);
	/* The late END closes span 1 at its start: never a negative duration. */
	EXPECT(r, { 1, 1, 0, 100, 100, false }, { 4, 3, 0, 60, 70, false },
	       { 2, 1, 0, 200, 300, true }, { 3, 2, 0, 200, 300, true });
	assert_int_equal(st->events, 6);
	assert_int_equal(st->tasks, 3);
	rec__free(r);
}

/* A tid reused by another process is a new task: the old one's open spans are cut there. */
static void test_tid_reuse(void **state)
{
	struct rec *r = rec__new(0, true);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 30, 10, 1, 2, E);
	push(r->t, 40, 70, 1, 5, B);
	push(r->t, 50, 70, 1, 5, E);
	spantree__finish(r->t, 100);
	EXPECT_PID(r, false, { TASK_MARK, 1, 0, 0, 0, false }, { 2, 1, 1, 20, 30, false },
		   { 1, 1, 0, 10, 40, true }, { TASK_MARK, 1, 0, 0, 0, false },
		   { 5, 1, 0, 40, 50, false });
	assert_int_equal(r->s[0].pid, 10);
	assert_int_equal(r->s[2].pid, 10);
	assert_int_equal(r->s[3].pid, 70);
	assert_int_equal(r->s[4].pid, 70);
	assert_int_equal(spantree__stats(r->t)->tasks, 2);
	rec__free(r);
}

/* Unknown kinds are counted as events but change nothing. */
static void test_unknown_kind_ignored(void **state)
{
	struct rec *r = rec__new(0, false);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 1, 0);
	push(r->t, 30, 10, 1, 1, 77);
	push(r->t, 40, 10, 1, 1, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 1, 1, 0, 10, 40, false });
	assert_int_equal(spantree__stats(r->t)->events, 4);
	rec__free(r);
}

/* A long run through a large window: the buffer grows to the window, then drains. */
static void test_long_run_large_window(void **state)
{
	enum { N = 400000, WINDOW = 100000 };
	struct rec *r = rec__new(WINDOW, false);
	uint64_t seed = 7;
	uint32_t i;

	for (i = 0; i < N; i += 2) {
		uint32_t tid = 1 + (uint32_t)(rng_next(&seed) % 8);

		/* Each task's span is [ts, ts + 1]; ts strictly increases overall. */
		push(r->t, 10 + i, 10 * tid, tid, 1, B);
		push(r->t, 11 + i, 10 * tid, tid, 1, E);
		if (i == N / 2) {
			/* Half way: everything older than the window has been released. */
			assert_int_equal(r->n, (N / 2 - WINDOW) / 2 + 1);
		}
	}
	spantree__finish(r->t, N + 100);
	assert_int_equal(r->n, N / 2);
	for (i = 0; i < N / 2; i++)
		if (r->s[i].start != 10 + 2 * i || r->s[i].end != 11 + 2 * i || r->s[i].unfinished)
			fail_msg("span %u wrong", i);
	rec__free(r);
}

/* EXIT: the thread is gone; what it had open ends there, unfinished, children first. */
static void test_exit_closes_open_spans(void **state)
{
	struct rec *r = rec__new(100, true);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 25, 20, 2, 5, B);
	push(r->t, 30, 10, 1, 3, B);
	push(r->t, 35, 10, 1, 3, E);
	push(r->t, 40, 10, 1, 4, B);
	push(r->t, 50, 10, 1, 0, X);
	push(r->t, 60, 20, 2, 5, E);
	spantree__flush(r->t, 50);
	EXPECT(r, { TASK_MARK, 1, 0, 0, 0, false }, { TASK_MARK, 2, 0, 0, 0, false },
	       { 3, 1, 2, 30, 35, false }, { 4, 1, 2, 40, 50, true },
	       { 2, 1, 1, 20, 50, true }, { 1, 1, 0, 10, 50, true });
	/* Nothing of task 1 is left for finish to cut. */
	spantree__finish(r->t, 100);
	EXPECT(r, { TASK_MARK, 1, 0, 0, 0, false }, { TASK_MARK, 2, 0, 0, 0, false },
	       { 3, 1, 2, 30, 35, false }, { 4, 1, 2, 40, 50, true },
	       { 2, 1, 1, 20, 50, true }, { 1, 1, 0, 10, 50, true },
	       { 5, 2, 0, 25, 60, false });
	assert_int_equal(st->events, 8);
	assert_int_equal(st->spans, 5);
	assert_int_equal(st->unfinished, 3);
	assert_int_equal(st->orphan_ends, 0);
	assert_int_equal(st->late_events, 0);
	assert_int_equal(st->max_depth, 3);
	assert_int_equal(st->tasks, 2);
	rec__free(r);
}

/* A thread with no spans leaves no trace: no task, no on_task call. */
static void test_exit_without_spans(void **state)
{
	struct rec *r = rec__new(0, true);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 10, 30, 3, 0, X);
	assert_int_equal(r->n, 0);
	assert_int_equal(st->tasks, 0);
	assert_int_equal(st->events, 1);

	push(r->t, 20, 10, 1, 1, B);
	push(r->t, 30, 30, 3, 0, X);
	push(r->t, 31, 40, 4, 0, X);
	assert_int_equal(st->tasks, 1);
	/* A task whose spans are all closed exits without output. */
	push(r->t, 35, 10, 1, 1, E);
	push(r->t, 40, 10, 1, 0, X);
	push(r->t, 45, 10, 1, 0, X); /* a second EXIT finds nothing open */
	spantree__finish(r->t, 100);
	EXPECT(r, { TASK_MARK, 1, 0, 0, 0, false }, { 1, 1, 0, 20, 35, false });
	assert_int_equal(st->tasks, 1);
	assert_int_equal(r->ntask_calls, 1);
	assert_int_equal(st->events, 7);
	assert_int_equal(st->spans, 1);
	assert_int_equal(st->unfinished, 0);
	assert_int_equal(st->orphan_ends, 0);
	rec__free(r);
}

/* One thread's exit ends its own spans only, not those of the other threads of its process. */
static void test_exit_other_tids(void **state)
{
	struct rec *r = rec__new(0, false);
	const struct spantree_stats *st = spantree__stats(r->t);
	size_t i;

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 11, 10, 2, 2, B);
	push(r->t, 12, 10, 2, 3, B);
	push(r->t, 13, 30, 3, 4, B);
	push(r->t, 20, 10, 2, 0, X);
	push(r->t, 30, 10, 1, 5, B);
	push(r->t, 40, 10, 1, 5, E);
	push(r->t, 50, 10, 1, 1, E);
	push(r->t, 60, 30, 3, 4, E);
	spantree__finish(r->t, 100);
	EXPECT_PID(r, false, { 3, 2, 1, 12, 20, true }, { 2, 2, 0, 11, 20, true },
		   { 5, 1, 1, 30, 40, false }, { 1, 1, 0, 10, 50, false },
		   { 4, 3, 0, 13, 60, false });
	for (i = 0; i < 4; i++)
		assert_int_equal(r->s[i].pid, 10);
	assert_int_equal(r->s[4].pid, 30);
	assert_int_equal(st->unfinished, 2);
	assert_int_equal(st->tasks, 3);
	rec__free(r);
}

/*
 * The exit of a thread that reuses a tid in another process is not the exit
 * of the old one: the old process's spans stay open, to be cut when the new
 * task's first span takes the tid or at finish.
 */
static void test_exit_other_process(void **state)
{
	struct rec *r = rec__new(0, true);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 70, 1, 0, X);
	assert_int_equal(r->n, 1);
	push(r->t, 30, 70, 1, 2, B);
	push(r->t, 40, 70, 1, 0, X);
	spantree__finish(r->t, 100);
	EXPECT_PID(r, false, { TASK_MARK, 1, 0, 0, 0, false }, { 1, 1, 0, 10, 30, true },
		   { TASK_MARK, 1, 0, 0, 0, false }, { 2, 1, 0, 30, 40, true });
	assert_int_equal(r->s[1].pid, 10);
	assert_int_equal(r->s[3].pid, 70);
	assert_int_equal(spantree__stats(r->t)->tasks, 2);
	rec__free(r);
}

/*
 * An EXIT is reordered like any event: a BEGIN stamped before it but pushed
 * after it is still closed by it, and an END stamped before it ends its span
 * normally.
 */
static void test_exit_out_of_order(void **state)
{
	struct rec *r = rec__new(100, false);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 50, 10, 1, 0, X);
	push(r->t, 30, 10, 1, 2, E);
	push(r->t, 40, 10, 1, 3, B);
	spantree__finish(r->t, 1000);
	EXPECT(r, { 2, 1, 1, 20, 30, false }, { 3, 1, 1, 40, 50, true },
	       { 1, 1, 0, 10, 50, true });
	assert_int_equal(st->late_events, 0);
	assert_int_equal(st->orphan_ends, 0);
	assert_int_equal(st->unfinished, 2);
	rec__free(r);

	/* The same when the EXIT is released by the window, not by finish. */
	r = rec__new(100, false);
	st = spantree__stats(r->t);
	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 50, 10, 1, 0, X);
	push(r->t, 40, 10, 1, 3, B);
	push(r->t, 45, 10, 1, 3, E);
	push(r->t, 30, 10, 1, 2, B);
	push(r->t, 149, 20, 2, 9, B); /* releases up to 49: all but the EXIT */
	EXPECT(r, { 3, 1, 2, 40, 45, false });
	push(r->t, 150, 20, 2, 9, E); /* 50 + 100 <= 150: the EXIT is released */
	EXPECT(r, { 3, 1, 2, 40, 45, false }, { 2, 1, 1, 30, 50, true },
	       { 1, 1, 0, 10, 50, true });
	spantree__finish(r->t, 1000);
	assert_int_equal(r->n, 4);
	assert_int_equal(st->late_events, 0);
	rec__free(r);
}

/* Late arrivals far out of place go through the heap: the EXIT still waits for them. */
static void test_exit_out_of_place(void **state)
{
	struct rec *r = rec__new(1000, false);
	struct want w[23];
	size_t n = 0;
	uint64_t ts;

	push(r->t, 10, 10, 1, 1, B);
	for (ts = 100; ts < 140; ts += 2) {
		push(r->t, ts, 20, 2, 7, B);
		push(r->t, ts + 1, 20, 2, 7, E);
	}
	push(r->t, 150, 10, 1, 0, X);
	push(r->t, 20, 10, 1, 2, B); /* behind 41 newer events: the heap */
	push(r->t, 30, 10, 1, 2, E);
	push(r->t, 140, 10, 1, 3, B); /* a few places back: the FIFO */
	spantree__finish(r->t, 2000);

	w[n++] = (struct want){ 2, 1, 1, 20, 30, false };
	for (ts = 100; ts < 140; ts += 2)
		w[n++] = (struct want){ 7, 2, 0, ts, ts + 1, false };
	w[n++] = (struct want){ 3, 1, 1, 140, 150, true };
	w[n++] = (struct want){ 1, 1, 0, 10, 150, true };
	expect_spans(r, w, n, true);
	assert_int_equal(spantree__stats(r->t)->late_events, 0);
	assert_int_equal(spantree__stats(r->t)->unfinished, 2);
	rec__free(r);
}

/* At equal timestamps arrival order decides: an END pushed before the EXIT still ends its span. */
static void test_exit_equal_ts(void **state)
{
	struct rec *r = rec__new(100, false);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 20, 10, 1, 2, B);
	push(r->t, 50, 10, 1, 2, E);
	push(r->t, 50, 10, 1, 0, X);
	push(r->t, 50, 10, 1, 1, E); /* after the EXIT: nothing left to end */
	spantree__finish(r->t, 100);
	EXPECT(r, { 2, 1, 1, 20, 50, false }, { 1, 1, 0, 10, 50, true });
	assert_int_equal(spantree__stats(r->t)->orphan_ends, 1);
	rec__free(r);
}

/*
 * Short tasks that exit (goroutines, threads of a pool that is renewed) are
 * let go: the table holds those alive, the ones still open keep their spans
 * and their first-release order at finish, and a tid seen again after its
 * task was let go is a new task. Here nshort tasks run one span each and
 * exit while nlong tasks keep one open.
 */
static void lets_tasks_go(uint32_t nlong, uint32_t nshort)
{
	struct rec *r = rec__new(0, false);
	const struct spantree_stats *st = spantree__stats(r->t);
	uint64_t ts = 1;
	uint32_t i, first_short = 1000000; /* tids apart from the long ones */

	for (i = 1; i <= nlong; i++)
		push(r->t, ts++, 10 * i, i, 7, B);
	for (i = 0; i < nshort; i++) {
		uint32_t tid = first_short + i;

		push(r->t, ts++, 10 * tid, tid, 1, B);
		push(r->t, ts++, 10 * tid, tid, 1, E);
		push(r->t, ts++, 10 * tid, tid, 0, X);
		if (st->live_tasks != nlong)
			fail_msg("after task %u: %u live tasks", i, st->live_tasks);
	}
	assert_int_equal(st->tasks, nlong + nshort);
	assert_int_equal(r->ntask_calls, nlong + nshort);
	assert_int_equal(r->n, nshort);

	/* the first short task's tid again: a task of its own, found by no old entry */
	push(r->t, ts++, 10 * first_short, first_short, 1, E);
	assert_int_equal(st->orphan_ends, 1);
	assert_int_equal(st->tasks, nlong + nshort + 1);
	assert_int_equal(r->ntask_calls, nlong + nshort + 1);
	assert_int_equal(st->live_tasks, nlong + 1);

	/* the long ones end at finish, in the order they began */
	spantree__finish(r->t, ts);
	assert_int_equal(r->n, nshort + nlong);
	for (i = 0; i < nlong; i++) {
		const struct span_out *s = &r->s[nshort + i];

		if (s->tid != i + 1 || s->pid != 10 * (i + 1) || s->key != 7 || !s->unfinished ||
		    s->start != i + 1 || s->end != ts)
			fail_msg("long task %u: tid %u start %llu", i, s->tid,
				 (unsigned long long)s->start);
	}
	rec__free(r);
}

static void test_exit_lets_tasks_go(void **state)
{
	lets_tasks_go(10, 100000);
}

/* When the table is compacted, more tasks are alive than its smallest index holds. */
static void test_exit_lets_tasks_go_many_alive(void **state)
{
	lets_tasks_go(1000, 5000);
}

/* --- stack depths: frames unwound by a panic ----------------------------------- */

/* A depth measured on a goroutine's stack, where a call may start over. */
#define G SPAN_DEPTH_GOROUTINE

#define P SPAN_EV_PANIC

/* A BEGIN or END (or PANIC) with a stack depth, on task tid 1 of process 10. */
static void pushd(struct spantree *t, uint64_t ts, uint32_t key, uint64_t sdepth, uint8_t kind)
{
	struct span_ev e = { .ts = ts, .pid = 10, .tid = 1, .key = key, .probe = key + 100,
			     .name = key + 200, .sdepth = sdepth, .kind = kind };

	spantree__push(t, &e);
}

static void expect_panicked(const struct rec *r, const bool *want, size_t n)
{
	assert_int_equal(r->n, n);
	for (size_t i = 0; i < n; i++) {
		if (r->s[i].panicked != want[i])
			fail_msg("span %zu: panicked %d, want %d", i, r->s[i].panicked, want[i]);
		assert_int_equal(r->s[i].probe, r->s[i].key + 100);
		assert_int_equal(r->s[i].name, r->s[i].key + 200);
	}
}

/* A new call at the depth of an open span: that frame is gone, it ended at the panic. */
static void test_depth_begin_closes_unwound(void **state)
{
	static const bool pan[] = { true, false, false };
	struct rec *r = rec__new(0, false);

	pushd(r->t, 10, 1, 100, B);
	pushd(r->t, 20, 2, 200, B);
	pushd(r->t, 30, 0, 0, P);
	pushd(r->t, 40, 3, 200, B);
	pushd(r->t, 50, 3, 200, E);
	pushd(r->t, 60, 1, 100, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 2, 1, 1, 20, 30, true }, { 3, 1, 1, 40, 50, false },
	       { 1, 1, 0, 10, 60, false });
	expect_panicked(r, pan, 3);
	assert_int_equal(spantree__stats(r->t)->unwound, 1);
	rec__free(r);
}

/* A return at a shallower depth ends everything deeper, innermost first. */
static void test_depth_end_closes_deeper(void **state)
{
	static const bool pan[] = { true, true, false };
	struct rec *r = rec__new(0, false);

	pushd(r->t, 10, 1, 100, B);
	pushd(r->t, 20, 2, 200, B);
	pushd(r->t, 25, 3, 300, B);
	pushd(r->t, 30, 0, 0, P);
	pushd(r->t, 40, 1, 100, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 3, 1, 2, 25, 30, true }, { 2, 1, 1, 20, 30, true },
	       { 1, 1, 0, 10, 40, false });
	expect_panicked(r, pan, 3);
	assert_int_equal(spantree__stats(r->t)->unwound, 2);
	assert_int_equal(spantree__stats(r->t)->orphan_ends, 0);
	rec__free(r);
}

/* Recursion: the END matches the call at its own depth, not the innermost of its key. */
static void test_depth_recursion_matches_depth(void **state)
{
	static const bool pan[] = { true, false, false };
	struct rec *r = rec__new(0, false);

	pushd(r->t, 10, 1, 100, B);
	pushd(r->t, 20, 1, 200, B);
	pushd(r->t, 30, 1, 300, B);
	pushd(r->t, 35, 0, 0, P);
	pushd(r->t, 50, 1, 200, E); /* recovered in the middle call */
	pushd(r->t, 60, 1, 100, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 1, 1, 2, 30, 35, true }, { 1, 1, 1, 20, 50, false },
	       { 1, 1, 0, 10, 60, false });
	expect_panicked(r, pan, 3);
	rec__free(r);
}

/* A panic before a span began does not move its end; without a panic, the cut is at the event. */
static void test_depth_no_panic_and_orphan(void **state)
{
	static const bool pan[] = { false, false };
	struct rec *r = rec__new(0, false);

	pushd(r->t, 5, 0, 0, P);
	pushd(r->t, 10, 2, 200, B);
	pushd(r->t, 15, 4, 250, B);
	pushd(r->t, 20, 1, 100, E); /* its call began before tracing: orphan */
	spantree__finish(r->t, 100);
	EXPECT(r, { 4, 1, 1, 15, 20, true }, { 2, 1, 0, 10, 20, true });
	expect_panicked(r, pan, 2);
	assert_int_equal(spantree__stats(r->t)->orphan_ends, 1);
	assert_int_equal(spantree__stats(r->t)->unwound, 2);
	rec__free(r);
}

/* Spans without a depth (begin/end pairs) nest by key only, and go with a dead frame around them. */
static void test_depth_pairs_between_frames(void **state)
{
	static const bool pan[] = { true, true, false, false, false };
	struct rec *r = rec__new(0, false);

	pushd(r->t, 10, 1, 100, B);
	pushd(r->t, 15, 9, 0, B);   /* pair, in frame 1 */
	pushd(r->t, 20, 2, 200, B);
	pushd(r->t, 22, 8, 0, B);   /* pair, in frame 2 */
	pushd(r->t, 25, 0, 0, P);
	pushd(r->t, 30, 5, 150, B); /* frame 2 is gone, and the pair it held */
	pushd(r->t, 35, 9, 0, E);   /* closes pair 9 only: frame 5 is above it, unfinished */
	pushd(r->t, 40, 1, 100, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 8, 1, 3, 22, 25, true }, { 2, 1, 2, 20, 25, true },
	       { 5, 1, 2, 30, 35, true }, { 9, 1, 1, 15, 35, false },
	       { 1, 1, 0, 10, 40, false });
	expect_panicked(r, pan, 5);
	rec__free(r);
}

/*
 * A Go function entered again at the same depth without a panic: its stack
 * was grown and it restarted. One span, from the first entry. After a panic
 * the same BEGIN is a new call.
 */
static void test_depth_reentry_after_stack_growth(void **state)
{
	struct rec *r = rec__new(0, false);

	pushd(r->t, 10, 1, G | 100, B);
	pushd(r->t, 20, 2, G | 200, B);
	pushd(r->t, 25, 2, G | 200, B); /* restart */
	pushd(r->t, 30, 3, G | 300, B);
	pushd(r->t, 35, 3, G | 300, B); /* restart */
	pushd(r->t, 40, 3, G | 300, E);
	pushd(r->t, 50, 2, G | 200, E);
	pushd(r->t, 60, 0, 0, P);
	pushd(r->t, 70, 5, G | 200, B);
	pushd(r->t, 75, 5, G | 200, B); /* restart: the panic came before this call */
	pushd(r->t, 80, 6, G | 300, B);
	pushd(r->t, 85, 0, 0, P);
	pushd(r->t, 90, 6, G | 300, B); /* a new call: the last one was unwound at 85 */
	pushd(r->t, 95, 6, G | 300, E);
	pushd(r->t, 96, 5, G | 200, E);
	pushd(r->t, 99, 1, G | 100, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 3, 1, 2, 30, 40, false }, { 2, 1, 1, 20, 50, false },
	       { 6, 1, 2, 80, 85, true }, { 6, 1, 2, 90, 95, false },
	       { 5, 1, 1, 70, 96, false }, { 1, 1, 0, 10, 99, false });
	assert_int_equal(spantree__stats(r->t)->reentries, 3);
	assert_int_equal(spantree__stats(r->t)->unwound, 1);
	assert_true(r->s[2].panicked);
	/* each of the 9 BEGINs came back once: 6 as spans, the 3 restarts dropped */
	assert_int_equal(r->ndrops, 3);
	rec__free(r);
}

/* A goroutine's exit after a panic: what it held ends at the panic. */
static void test_depth_exit_after_panic(void **state)
{
	struct rec *r = rec__new(0, false);

	pushd(r->t, 10, 1, 100, B);
	pushd(r->t, 30, 0, 0, P);
	pushd(r->t, 35, 2, 100, B);
	pushd(r->t, 40, 0, 0, X);
	spantree__finish(r->t, 100);
	/* 2 replaced 1 at the same depth (1 unwound by the panic at 30); 2 began after it */
	EXPECT(r, { 1, 1, 0, 10, 30, true }, { 2, 1, 0, 35, 40, true });
	assert_int_equal(r->n, 2);
	assert_true(r->s[0].panicked);
	assert_false(r->s[1].panicked);
	rec__free(r);
}

/*
 * A restart seen below a deeper open span: the Go function called
 * runtime.morestack (traced too), which never returns; the function starts
 * over at its own depth. One span for the call; morestack's is cut there.
 */
static void test_depth_reentry_below_deeper_span(void **state)
{
	struct rec *r = rec__new(0, false);

	pushd(r->t, 10, 1, G | 200, B);
	pushd(r->t, 20, 7, G | 208, B); /* morestack, called from 1's stack check */
	pushd(r->t, 30, 1, G | 200, B); /* 1 starts over on the bigger stack */
	pushd(r->t, 40, 1, G | 200, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 7, 1, 1, 20, 30, true }, { 1, 1, 0, 10, 40, false });
	assert_int_equal(spantree__stats(r->t)->reentries, 1);
	assert_int_equal(spantree__stats(r->t)->unwound, 1);
	rec__free(r);
}

/* Depths of different measures on one task (SPAN_DEPTH_KIND) are never compared. */
static void test_depth_kinds_apart(void **state)
{
	struct rec *r = rec__new(0, false);
	uint64_t c = 3ull << 60, g0 = 2ull << 60;

	pushd(r->t, 10, 1, c | 5000, B);   /* a C frame, from its stack pointer */
	pushd(r->t, 20, 2, g0 | 100, B);   /* the Go runtime on the thread's stack */
	pushd(r->t, 30, 2, g0 | 100, E);
	pushd(r->t, 40, 3, c | 5000, B);   /* the C frame's depth again: 1 is gone */
	pushd(r->t, 50, 3, c | 5000, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 2, 1, 1, 20, 30, false }, { 1, 1, 0, 10, 40, true },
	       { 3, 1, 0, 40, 50, false });
	rec__free(r);
}

static void expect_unwound(const struct rec *r, const bool *want, size_t n)
{
	assert_int_equal(r->n, n);
	for (size_t i = 0; i < n; i++)
		if (r->s[i].unwound != want[i] || (want[i] && r->s[i].unfinished))
			fail_msg("span %zu: unwound %d unfinished %d, want unwound %d", i,
				 r->s[i].unwound, r->s[i].unfinished, want[i]);
}

/*
 * A C++ exception: get (depth 300) throws, the cleanup in lookup (200) runs
 * a destructor at get's depth (get is gone: it ends there, unwound), the
 * cleanup resumes unwinding, handle (100) catches (lookup ends there,
 * unwound). After the catch, a span from before the throw that a later event
 * shows gone is unfinished, not unwound.
 */
static void test_exception_unwinds(void **state)
{
	static const bool unw[] = { true, false, true, false, false, false };
	struct rec *r = rec__new(0, false);

	pushd(r->t, 5, 9, 50, B);	      /* outer, left later by a jump no probe sees */
	pushd(r->t, 10, 1, 100, B);	      /* handle */
	pushd(r->t, 20, 2, 200, B);	      /* lookup */
	pushd(r->t, 30, 3, 300, B);	      /* get */
	pushd(r->t, 40, 0, 0, SPAN_EV_THROW);
	pushd(r->t, 50, 4, 300, B);	      /* ~Guard in lookup's cleanup */
	pushd(r->t, 55, 4, 300, E);
	pushd(r->t, 60, 0, 292, SPAN_EV_CLEANUP); /* _Unwind_Resume, called from lookup */
	pushd(r->t, 70, 0, 192, SPAN_EV_CATCH);   /* __cxa_begin_catch, called from handle */
	pushd(r->t, 80, 1, 100, E);
	pushd(r->t, 90, 5, 50, B);	      /* at outer's depth: outer is gone */
	pushd(r->t, 95, 5, 50, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 3, 1, 3, 30, 50, false }, { 4, 1, 3, 50, 55, false },
	       { 2, 1, 2, 20, 70, false }, { 1, 1, 1, 10, 80, false },
	       { 9, 1, 0, 5, 90, true }, { 5, 1, 0, 90, 95, false });
	expect_unwound(r, unw, 6);
	assert_int_equal(spantree__stats(r->t)->exceptions, 2);
	assert_int_equal(spantree__stats(r->t)->unwound, 1);
	rec__free(r);
}

/*
 * A C frame (depths from the stack pointer) entered again at the same depth
 * is a new call: the last one left by a way no probe saw (it never starts
 * over, unlike a goroutine's); after an exception, the last one was unwound.
 */
static void test_depth_c_frames_do_not_restart(void **state)
{
	struct rec *r = rec__new(0, false);
	const uint64_t c = SPAN_DEPTH_SP;

	pushd(r->t, 10, 1, c | 100, B);
	pushd(r->t, 20, 1, c | 100, B); /* a second call: the first is gone */
	pushd(r->t, 30, 0, 0, SPAN_EV_THROW);
	pushd(r->t, 40, 1, c | 100, B); /* the second was unwound by the exception */
	pushd(r->t, 50, 1, c | 100, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 1, 1, 0, 10, 20, true }, { 1, 1, 0, 20, 40, false },
	       { 1, 1, 0, 40, 50, false });
	assert_false(r->s[0].unwound);
	assert_true(r->s[1].unwound);
	assert_int_equal(spantree__stats(r->t)->reentries, 0);
	rec__free(r);
}

/* --- span ids ---------------------------------------------------------------- */

/* Each delivered span's { key, id, parent_id }, in delivery order (task marks skipped). */
struct want_id {
	uint32_t key;
	uint64_t id, parent_id;
};

static void expect_ids(const struct rec *r, const struct want_id *w, size_t n)
{
	size_t i = 0;

	for (size_t j = 0; j < r->n; j++) {
		const struct span_out *s = &r->s[j];

		if (s->key == TASK_MARK)
			continue;
		if (i >= n)
			fail_msg("span %zu (key %u) not expected", j, s->key);
		if (s->key != w[i].key || s->id != w[i].id || s->parent_id != w[i].parent_id)
			fail_msg("span %zu: got key %u id %llu parent %llu, want key %u id %llu "
				 "parent %llu",
				 j, s->key, (unsigned long long)s->id,
				 (unsigned long long)s->parent_id, w[i].key,
				 (unsigned long long)w[i].id, (unsigned long long)w[i].parent_id);
		i++;
	}
	assert_int_equal(i, n);
}

#define EXPECT_IDS(r, ...)                                                     \
	do {                                                                   \
		static const struct want_id w_[] = { __VA_ARGS__ };            \
		expect_ids(r, w_, sizeof(w_) / sizeof(w_[0]));                 \
	} while (0)

/*
 * Ids count BEGINs as they are released, across tasks; the parent is the
 * innermost span open on the task when the span began, 0 at the top.
 */
static void test_ids_nesting_siblings_tasks(void **state)
{
	struct rec *r = rec__new(0, false);

	push(r->t, 10, 10, 1, 1, B);  /* id 1 */
	push(r->t, 11, 20, 2, 5, B);  /* id 2, another task */
	push(r->t, 20, 10, 1, 2, B);  /* id 3, in 1 */
	push(r->t, 21, 20, 2, 6, B);  /* id 4, in 2 */
	push(r->t, 30, 10, 1, 2, E);
	push(r->t, 40, 10, 1, 3, B);  /* id 5, in 1: 3's sibling */
	push(r->t, 50, 10, 1, 4, B);  /* id 6, in 5 */
	push(r->t, 55, 10, 1, 4, E);
	push(r->t, 60, 10, 1, 3, E);
	push(r->t, 61, 20, 2, 6, E);
	push(r->t, 70, 10, 1, 1, E);
	push(r->t, 80, 10, 1, 7, B);  /* id 7, top level again */
	push(r->t, 90, 10, 1, 7, E);
	spantree__finish(r->t, 100);
	EXPECT_IDS(r, { 2, 3, 1 }, { 4, 6, 5 }, { 3, 5, 1 }, { 6, 4, 2 }, { 1, 1, 0 },
		   { 7, 7, 0 }, { 5, 2, 0 });
	assert_int_equal(r->s[6].tid, 2); /* 5 was open at the stop */
	assert_true(r->s[6].unfinished);
	rec__free(r);
}

/*
 * The same events in another arrival order within the window: the same ids.
 * Release is in (ts, arrival) order, and ids follow release, not arrival.
 */
static void test_ids_stable_across_arrival_order(void **state)
{
	static const struct span_ev ev[] = {
		{ .ts = 10, .pid = 10, .tid = 1, .key = 1, .kind = B },
		{ .ts = 12, .pid = 20, .tid = 2, .key = 1, .kind = B },
		{ .ts = 14, .pid = 10, .tid = 1, .key = 2, .kind = B },
		{ .ts = 16, .pid = 20, .tid = 2, .key = 2, .kind = B },
		{ .ts = 18, .pid = 10, .tid = 1, .key = 2, .kind = E },
		{ .ts = 20, .pid = 20, .tid = 2, .key = 2, .kind = E },
		{ .ts = 22, .pid = 10, .tid = 1, .key = 3, .kind = B },
		{ .ts = 24, .pid = 10, .tid = 1, .key = 3, .kind = E },
		{ .ts = 26, .pid = 10, .tid = 1, .key = 1, .kind = E },
		{ .ts = 28, .pid = 20, .tid = 2, .key = 1, .kind = E },
	};
	/* arrival orders: in order, reversed, and two CPUs' batches */
	static const size_t order[][10] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
		{ 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 },
		{ 1, 3, 5, 9, 0, 2, 4, 6, 7, 8 },
	};
	struct rec *first = NULL;

	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
		struct rec *r = rec__new(100, false);

		for (size_t i = 0; i < 10; i++)
			spantree__push(r->t, &ev[order[o][i]]);
		spantree__finish(r->t, 100);
		assert_int_equal(r->n, 5);
		if (!first) {
			first = r;
			EXPECT_IDS(r, { 2, 3, 1 }, { 2, 4, 2 }, { 3, 5, 1 }, { 1, 1, 0 },
				   { 1, 2, 0 });
			continue;
		}
		for (size_t i = 0; i < r->n; i++) {
			assert_int_equal(r->s[i].id, first->s[i].id);
			assert_int_equal(r->s[i].parent_id, first->s[i].parent_id);
		}
		rec__free(r);
	}
	rec__free(first);
}

/*
 * Spans cut off keep the ids they began with: a lost END (closed by its
 * parent's), frames a panic unwound, a call that started over (one span,
 * one id), and an exception's unwinding. What begins after a cut gets the
 * next id and the span still open below as its parent.
 */
static void test_ids_after_cuts_and_unwinds(void **state)
{
	struct rec *r = rec__new(0, false);

	pushd(r->t, 10, 1, 100, B);  /* id 1 */
	pushd(r->t, 12, 9, 0, B);    /* id 2, in 1; its END is lost */
	pushd(r->t, 14, 9, 0, B);    /* id 3, in 2 */
	pushd(r->t, 16, 9, 0, E);    /* ends 3 */
	pushd(r->t, 20, 2, G | 200, B);  /* id 4, in 2 */
	pushd(r->t, 25, 2, G | 200, B);  /* the same goroutine call starting over: still 4 */
	pushd(r->t, 30, 0, 0, P);
	pushd(r->t, 40, 3, G | 200, B);  /* id 5: 4 was unwound by the panic, 2 still open */
	pushd(r->t, 45, 3, G | 200, E);
	pushd(r->t, 50, 1, 100, E);  /* cuts 2, ends 1 */
	pushd(r->t, 60, 5, 100, B);  /* id 6, top level */
	pushd(r->t, 62, 6, 200, B);  /* id 7, in 6 */
	pushd(r->t, 64, 0, 0, SPAN_EV_THROW);
	pushd(r->t, 66, 0, 192, SPAN_EV_CATCH); /* caught in 6: 7 is unwound */
	pushd(r->t, 68, 7, 200, B);  /* id 8, in 6 */
	pushd(r->t, 69, 7, 200, E);
	pushd(r->t, 70, 5, 100, E);
	spantree__finish(r->t, 100);
	EXPECT_IDS(r, { 9, 3, 2 }, { 2, 4, 2 }, { 3, 5, 2 }, { 9, 2, 1 }, { 1, 1, 0 },
		   { 6, 7, 6 }, { 7, 8, 6 }, { 5, 6, 0 });
	assert_true(r->s[1].panicked);
	assert_true(r->s[3].unfinished);
	assert_true(r->s[5].unwound);
	assert_int_equal(spantree__stats(r->t)->reentries, 1);
	rec__free(r);
}

/*
 * A tid reused by another process, and after an exit: spans of the new task
 * are top-level (parent 0), never children of what the old one left open,
 * and ids go on counting.
 */
static void test_ids_tid_reuse(void **state)
{
	struct rec *r = rec__new(0, false);

	push(r->t, 10, 10, 1, 1, B);  /* id 1 */
	push(r->t, 20, 10, 1, 2, B);  /* id 2, in 1 */
	push(r->t, 30, 70, 1, 3, B);  /* another process, same tid: 2 and 1 end; id 3 */
	push(r->t, 40, 70, 1, 4, B);  /* id 4, in 3 */
	push(r->t, 50, 70, 1, 0, X);  /* ends 4 and 3 */
	push(r->t, 60, 70, 1, 5, B);  /* the tid again after its exit: id 5, top level */
	push(r->t, 70, 70, 1, 5, E);
	spantree__finish(r->t, 100);
	EXPECT_IDS(r, { 2, 2, 1 }, { 1, 1, 0 }, { 4, 4, 3 }, { 3, 3, 0 }, { 5, 5, 0 });
	assert_int_equal(r->s[0].pid, 10);
	assert_int_equal(r->s[2].pid, 70);
	rec__free(r);
}

/*
 * A function detached at 50 (the overhead guard stopped it): its span on top
 * ends there, unfinished; one with a call still open above it ends when that
 * call does (it ran inside it); its events after 50 are ignored; other
 * functions, and its events before 50, are untouched.
 */
static void test_detach_ends_open_spans(void **state)
{
	struct rec *r = rec__new(10, false);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 10, 10, 1, 5, B); /* thread 1: 5 on top when it is detached */
	push(r->t, 12, 20, 2, 1, B); /* thread 2: 1 > 5 > 3, 3 open at 50 */
	push(r->t, 14, 20, 2, 5, B);
	push(r->t, 16, 20, 2, 5, E); /* before the detach: a whole span */
	push(r->t, 18, 20, 2, 5, B);
	push(r->t, 20, 20, 2, 3, B);
	spantree__detach(r->t, 5, 50);
	push(r->t, 60, 10, 1, 5, E); /* after it: ignored */
	push(r->t, 61, 20, 2, 5, B);
	push(r->t, 62, 20, 2, 5, E);
	push(r->t, 70, 20, 2, 3, E); /* 3 ends: 5 below it with it */
	push(r->t, 80, 20, 2, 1, E);
	spantree__finish(r->t, 100);
	EXPECT(r, { 5, 2, 1, 14, 16, false }, { 5, 1, 0, 10, 50, true },
	       { 3, 2, 2, 20, 70, false }, { 5, 2, 1, 18, 70, true }, { 1, 2, 0, 12, 80, false });
	assert_int_equal(st->detached, 2);
	assert_int_equal(st->unfinished, 2);
	assert_int_equal(st->orphan_ends, 0);
	rec__free(r);
}

/* The detach goes through the reorder window: events stamped before it, arriving after, count. */
static void test_detach_in_time_order(void **state)
{
	struct rec *r = rec__new(100, false);

	push(r->t, 10, 10, 1, 5, B);
	spantree__detach(r->t, 5, 50);
	push(r->t, 40, 10, 1, 5, E); /* another CPU's, read after the detach was pushed */
	push(r->t, 45, 10, 1, 5, B);
	spantree__finish(r->t, 100);
	EXPECT(r, { 5, 1, 0, 10, 40, false }, { 5, 1, 0, 45, 50, true });
	assert_int_equal(spantree__stats(r->t)->detached, 1);
	rec__free(r);
}

/* Several keys detached, in any order; one detached twice is the same; a parent END cuts. */
static void test_detach_many(void **state)
{
	struct rec *r = rec__new(0, false);
	const struct spantree_stats *st = spantree__stats(r->t);

	push(r->t, 10, 10, 1, 1, B);
	push(r->t, 11, 10, 1, 9, B);
	push(r->t, 12, 10, 1, 2, B);
	push(r->t, 13, 10, 1, 7, B);
	spantree__detach(r->t, 9, 20);
	spantree__detach(r->t, 7, 21);
	spantree__detach(r->t, 9, 22);
	push(r->t, 30, 10, 1, 9, B);
	push(r->t, 31, 10, 1, 7, E);
	push(r->t, 40, 10, 1, 1, E); /* cuts 2, and 9 below it */
	spantree__finish(r->t, 100);
	EXPECT(r, { 7, 1, 3, 13, 21, true }, { 2, 1, 2, 12, 40, true }, { 9, 1, 1, 11, 40, true },
	       { 1, 1, 0, 10, 40, false });
	assert_int_equal(st->detached, 2);
	assert_int_equal(st->unfinished, 3);
	rec__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_nesting),
		cmocka_unit_test(test_siblings),
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_two_threads_interleaved),
		cmocka_unit_test(test_out_of_order_within_window),
		cmocka_unit_test(test_out_of_order_jitter),
		cmocka_unit_test(test_out_of_order_cpu_batches),
		cmocka_unit_test(test_buffer_bursts),
		cmocka_unit_test(test_buffer_reverse_burst),
		cmocka_unit_test(test_equal_ts_keep_arrival_order),
		cmocka_unit_test(test_equal_ts_out_of_place),
		cmocka_unit_test(test_unfinished_at_finish),
		cmocka_unit_test(test_unfinished_stop_before_start),
		cmocka_unit_test(test_missing_end_closed_by_parent),
		cmocka_unit_test(test_orphan_end),
		cmocka_unit_test(test_on_task_first_release_order),
		cmocka_unit_test(test_on_task_before_first_span),
		cmocka_unit_test(test_flush_upto),
		cmocka_unit_test(test_window_zero),
		cmocka_unit_test(test_window_release_boundary),
		cmocka_unit_test(test_deep_stack),
		cmocka_unit_test(test_many_tasks),
		cmocka_unit_test(test_late_events),
		cmocka_unit_test(test_tid_reuse),
		cmocka_unit_test(test_unknown_kind_ignored),
		cmocka_unit_test(test_depth_reentry_below_deeper_span),
		cmocka_unit_test(test_depth_kinds_apart),
		cmocka_unit_test(test_exception_unwinds),
		cmocka_unit_test(test_depth_c_frames_do_not_restart),
		cmocka_unit_test(test_ids_nesting_siblings_tasks),
		cmocka_unit_test(test_ids_stable_across_arrival_order),
		cmocka_unit_test(test_ids_after_cuts_and_unwinds),
		cmocka_unit_test(test_ids_tid_reuse),
		cmocka_unit_test(test_long_run_large_window),
		cmocka_unit_test(test_exit_closes_open_spans),
		cmocka_unit_test(test_exit_without_spans),
		cmocka_unit_test(test_exit_other_tids),
		cmocka_unit_test(test_exit_other_process),
		cmocka_unit_test(test_exit_out_of_order),
		cmocka_unit_test(test_exit_out_of_place),
		cmocka_unit_test(test_exit_equal_ts),
		cmocka_unit_test(test_exit_lets_tasks_go),
		cmocka_unit_test(test_exit_lets_tasks_go_many_alive),
		cmocka_unit_test(test_depth_begin_closes_unwound),
		cmocka_unit_test(test_depth_end_closes_deeper),
		cmocka_unit_test(test_depth_recursion_matches_depth),
		cmocka_unit_test(test_depth_no_panic_and_orphan),
		cmocka_unit_test(test_depth_pairs_between_frames),
		cmocka_unit_test(test_depth_exit_after_panic),
		cmocka_unit_test(test_depth_reentry_after_stack_growth),
		cmocka_unit_test(test_detach_ends_open_spans),
		cmocka_unit_test(test_detach_in_time_order),
		cmocka_unit_test(test_detach_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
