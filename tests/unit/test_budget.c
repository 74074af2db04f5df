/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The overhead guard's decision (user/core/budget.c): which functions stop, in which order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "budget.h"

#define MS (1000ull * 1000)
#define S (1000ull * MS)

static const struct budget five = { .max_share = 0.05, .floor_ns_per_s = 10 * MS };

/* budget__choose over fns, with room for all; the count, and out[] compared with want. */
static void expect_choice(const struct budget *b, const struct budget_fn *fns, size_t n,
			  uint64_t cpu, uint64_t period, const size_t *want, size_t nwant)
{
	size_t out[16];

	assert_true(n <= 16);
	assert_int_equal(budget__choose(b, fns, n, cpu, period, out), nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_int_equal(out[i], want[i]);
}

static void test_within_budget_stops_nothing(void **state)
{
	/* 40 ms of probes in 1 s of CPU: 4% */
	struct budget_fn f[] = { { .calls = 1000, .cost_ns = 30 * MS }, { .cost_ns = 10 * MS } };

	expect_choice(&five, f, 2, 1 * S, 1 * S, NULL, 0);
	assert_int_equal(budget__total(f, 2), 40 * MS);
}

static void test_costliest_first_as_few_as_needed(void **state)
{
	/* 136 ms in 200 ms of CPU (68%); 5% of it is 10 ms: stop 100, then 30 (6 ms left) */
	struct budget_fn f[] = { { .cost_ns = 5 * MS }, { .cost_ns = 100 * MS },
				 { .cost_ns = 30 * MS }, { .cost_ns = 1 * MS } };
	static const size_t want[] = { 1, 2 };

	expect_choice(&five, f, 4, 200 * MS, 1 * S, want, 2);
}

static void test_one_hot_function_among_cold_ones(void **state)
{
	/* the guard's case: one function taking most of a CPU, others a little */
	struct budget_fn f[] = { { .cost_ns = 2 * MS }, { .cost_ns = 900 * MS },
				 { .cost_ns = 3 * MS } };
	static const size_t want[] = { 1 };

	expect_choice(&five, f, 3, 1 * S, 1 * S, want, 1);
}

static void test_ties_lower_index_first(void **state)
{
	struct budget_fn f[] = { { .cost_ns = 50 * MS }, { .cost_ns = 80 * MS },
				 { .cost_ns = 80 * MS }, { .cost_ns = 50 * MS } };
	static const size_t want[] = { 1, 2, 0 };

	/* 260 ms of 1 s: allowed 50 ms, so 80 + 80 + 50 go */
	expect_choice(&five, f, 4, 1 * S, 1 * S, want, 3);
}

static void test_stopped_functions_neither_counted_nor_chosen(void **state)
{
	struct budget_fn f[] = { { .cost_ns = 900 * MS, .stopped = true }, { .cost_ns = 20 * MS },
				 { .cost_ns = 40 * MS } };
	static const size_t want[] = { 2 };

	assert_int_equal(budget__total(f, 3), 60 * MS);
	/* 60 ms of 1 s, 50 allowed: only 40 must go */
	expect_choice(&five, f, 3, 1 * S, 1 * S, want, 1);
}

static void test_floor_keeps_a_sleepy_process_traced(void **state)
{
	/* 3 ms of probes in 5 ms of CPU (60%), but under 10 ms a second: nothing stops */
	struct budget_fn f[] = { { .cost_ns = 3 * MS } };

	expect_choice(&five, f, 1, 5 * MS, 1 * S, NULL, 0);
	/* the floor is per second: over half a second it is 5 ms */
	assert_int_equal(budget__allowed(&five, 5 * MS, S / 2), 5 * MS);
	{
		static const size_t want[] = { 0 };
		struct budget_fn g[] = { { .cost_ns = 6 * MS } };

		expect_choice(&five, g, 1, 8 * MS, S / 2, want, 1);
	}
}

static void test_share_above_floor(void **state)
{
	/* 4 CPUs busy: 5% is 200 ms, above the floor */
	assert_int_equal(budget__allowed(&five, 4 * S, 1 * S), 200 * MS);
	assert_int_equal(budget__allowed(&five, 0, 1 * S), 10 * MS);
}

static void test_costless_functions_never_chosen(void **state)
{
	/* over budget with nothing left that costs: no function is stopped for nothing */
	struct budget_fn f[] = { { .calls = 5 }, { .cost_ns = 0 } };
	struct budget strict = { .max_share = 0.01, .floor_ns_per_s = 0 };

	expect_choice(&strict, f, 2, 1 * S, 1 * S, NULL, 0);
	{
		struct budget_fn g[] = { { .cost_ns = 500 * MS }, { .calls = 9 } };
		static const size_t want[] = { 0 };

		expect_choice(&strict, g, 2, 0, 1 * S, want, 1);
	}
}

static void test_estimate(void **state)
{
	assert_int_equal(budget__estimate(1000, 900, 1000, 350), 1250000);
	assert_int_equal(budget__estimate(0, 900, 7, 0), 0);
	/* saturates rather than wraps: a wrapped sum would look cheap */
	assert_true(budget__estimate(UINT64_MAX / 2, 3, 1, 1) == UINT64_MAX);
	assert_true(budget__estimate(UINT64_MAX, 1, UINT64_MAX, 1) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_within_budget_stops_nothing),
		cmocka_unit_test(test_costliest_first_as_few_as_needed),
		cmocka_unit_test(test_one_hot_function_among_cold_ones),
		cmocka_unit_test(test_ties_lower_index_first),
		cmocka_unit_test(test_stopped_functions_neither_counted_nor_chosen),
		cmocka_unit_test(test_floor_keeps_a_sleepy_process_traced),
		cmocka_unit_test(test_share_above_floor),
		cmocka_unit_test(test_costless_functions_never_chosen),
		cmocka_unit_test(test_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
