/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Goroutine table: track ids, lookups across processes, deletion under churn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "goroutines.h"

static void test_ids_and_processes(void **state)
{
	struct goroutines *g = gor__new();
	struct gor *a, *b, *c;
	uint32_t ta, tb;

	assert_non_null(g);
	a = gor__get(g, 100, 1);
	ta = a->tid;
	assert_true(gor__is_tid(ta));
	assert_false(gor__is_tid(4194304));
	/* goroutine 1 of another process is another task */
	b = gor__get(g, 200, 1);
	tb = b->tid;
	assert_int_not_equal(ta, tb);
	c = gor__get(g, 100, 1);
	assert_int_equal(c->tid, ta);
	assert_int_equal(c->goid, 1);
	assert_int_equal(c->pid, 100);
	assert_false(c->named);
	assert_int_equal(gor__count(g), 2);
	assert_null(gor__find(g, 100, 2));
	gor__remove(g, 100, 1);
	assert_null(gor__find(g, 100, 1));
	assert_int_equal(gor__find(g, 200, 1)->tid, tb);
	gor__remove(g, 100, 1); /* twice: nothing */
	assert_int_equal(gor__count(g), 1);
	/* a goid seen again after its end gets a new track */
	assert_int_not_equal(gor__get(g, 100, 1)->tid, ta);
	gor__free(g);
}

/* Many goroutines come and go; the table agrees with a plain array throughout, and shrinks. */
static void test_churn(void **state)
{
	enum { N = 20000 };
	struct goroutines *g = gor__new();
	uint32_t *tid = calloc(N, sizeof(*tid));
	uint64_t seed = 1;

	for (int round = 0; round < 8 * N; round++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t goid = (seed >> 33) % N;
		uint32_t pid = 1 + (uint32_t)(goid % 3);

		if (tid[goid]) {
			struct gor *e = gor__find(g, pid, goid);

			assert_non_null(e);
			assert_int_equal(e->tid, tid[goid]);
			if (seed & (1ull << 20)) {
				gor__remove(g, pid, goid);
				tid[goid] = 0;
			}
		} else {
			assert_null(gor__find(g, pid, goid));
			tid[goid] = gor__get(g, pid, goid)->tid;
		}
	}
	for (uint64_t goid = 0; goid < N; goid++)
		if (tid[goid])
			gor__remove(g, 1 + (uint32_t)(goid % 3), goid);
	assert_int_equal(gor__count(g), 0);
	free(tid);
	gor__free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_processes),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
