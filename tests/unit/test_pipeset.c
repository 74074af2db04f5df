/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pipeset: the distinct pipes written to, counted exactly while they fit,
 * bounded: pipes whose writers have all exited are forgotten when it is full,
 * and what still does not fit is counted as writes not told apart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "pipeset.h"

/* Processes below dead_below have exited. */
struct world {
	uint32_t dead_below;
	unsigned int asked;
};

static bool alive(void *ctx, uint32_t pid)
{
	struct world *w = ctx;

	w->asked++;
	return pid >= w->dead_below;
}

static void test_distinct(void **state)
{
	struct pipeset s = { 0 };
	struct world w = { 0 };

	for (int round = 0; round < 3; round++)
		for (uint64_t ino = 1000; ino < 1100; ino++)
			pipeset__write(&s, ino, 7, alive, &w);
	pipeset__write(&s, 0, 7, alive, &w); /* no pipe */
	assert_int_equal(s.counted, 100);
	assert_int_equal(pipeset__size(&s), 100);
	assert_int_equal(s.forgotten, 0);
	assert_int_equal(s.untracked_writes, 0);
	assert_int_equal(w.asked, 0); /* nobody asked about while there is room */
	pipeset__free(&s);
	assert_int_equal(pipeset__size(&s), 0);
}

/* Full: the pipes whose writers all exited make room; a live one is kept. */
static void test_full_forgets_exited_writers(void **state)
{
	struct pipeset s = { 0 };
	struct world w = { .dead_below = 100 };

	/* pipe 1: written by 5 (exits) then 500 (lives); pipe 2: by 5 and 6, both exit */
	pipeset__write(&s, 1, 5, alive, &w);
	pipeset__write(&s, 1, 500, alive, &w);
	pipeset__write(&s, 2, 5, alive, &w);
	pipeset__write(&s, 2, 6, alive, &w);
	/* pipe 3: three writers, one of them alive or not: never forgotten */
	pipeset__write(&s, 3, 5, alive, &w);
	pipeset__write(&s, 3, 6, alive, &w);
	pipeset__write(&s, 3, 7, alive, &w);
	/* the rest: half by exited processes */
	for (uint64_t i = 4; i <= PIPESET_MAX; i++)
		pipeset__write(&s, i, i % 2 ? 50 : 5000, alive, &w);
	assert_int_equal(pipeset__size(&s), PIPESET_MAX);
	assert_int_equal(w.asked, 0);

	/* full, and nobody exited since: not followed */
	pipeset__write(&s, 100000, 5000, alive, &w);
	assert_int_equal(s.untracked_writes, 1);
	assert_int_equal(w.asked, 0);

	pipeset__exited(&s);
	pipeset__write(&s, 100001, 5000, alive, &w);
	assert_int_equal(s.untracked_writes, 1);
	/* 2, and the odd ones from 5 to PIPESET_MAX - 1 */
	assert_int_equal(s.forgotten, 1 + (PIPESET_MAX - 4) / 2);
	assert_int_equal(pipeset__size(&s), PIPESET_MAX - s.forgotten + 1);
	assert_int_equal(s.counted, PIPESET_MAX + 1);
	/* still followed: written to again, not counted again */
	pipeset__write(&s, 1, 500, alive, &w);
	pipeset__write(&s, 3, 8, alive, &w);
	pipeset__write(&s, 4, 5000, alive, &w);
	assert_int_equal(s.counted, PIPESET_MAX + 1);
	/* forgotten, written to again: counted again, as the summary warns */
	pipeset__write(&s, 2, 5000, alive, &w);
	assert_int_equal(s.counted, PIPESET_MAX + 2);
	pipeset__free(&s);
}

/* Without a way to tell who is alive, a full set forgets nothing. */
static void test_full_without_alive(void **state)
{
	struct pipeset s = { 0 };

	for (uint64_t i = 1; i <= PIPESET_MAX + 10; i++)
		pipeset__write(&s, i, 1, NULL, NULL);
	pipeset__exited(&s);
	pipeset__write(&s, 1u << 30, 1, NULL, NULL);
	assert_int_equal(s.counted, PIPESET_MAX);
	assert_int_equal(s.untracked_writes, 11);
	assert_int_equal(s.forgotten, 0);
	pipeset__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_full_forgets_exited_writers),
		cmocka_unit_test(test_full_without_alive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
