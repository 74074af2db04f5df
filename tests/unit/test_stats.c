/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Histogram quantiles against exactly known distributions, the summary table's
 * exact text, and duration formatting at every rounding boundary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static struct hist *hist_new(void)
{
	struct hist *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	return h;
}

/* |got - want| <= want / 64, the bound stats.h promises. */
static void assert_close(uint64_t got, uint64_t want)
{
	uint64_t diff = got > want ? got - want : want - got;

	if (diff > want / 64)
		fail_msg("got %llu, want %llu within 1/64", (unsigned long long)got,
			 (unsigned long long)want);
}

/* Nearest rank on the sorted values 1..n: the q quantile is ceil(q * n). */
static uint64_t uniform_rank(double q, uint64_t n)
{
	uint64_t r = (uint64_t)(q * (double)n);

	if ((double)r < q * (double)n)
		r++;
	return r ? r : 1;
}

static void test_uniform(void **state)
{
	static const double qs[] = { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999 };
	struct hist *h = hist_new();
	uint64_t v, n = 100000;
	size_t i;

	/* Added in a scrambled order: the histogram must not care. */
	for (v = 0; v < n; v++)
		hist__add(h, 1 + (v * 7919) % n);
	assert_int_equal(h->count, n);
	assert_int_equal(h->total, n * (n + 1) / 2);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, n);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		assert_close(hist__quantile(h, qs[i]), uniform_rank(qs[i], n));
	assert_int_equal(hist__quantile(h, 0), 1);
	assert_int_equal(hist__quantile(h, 1), n);
	free(h);
}

/* Below 128 every bucket is one value wide: quantiles are exact. */
static void test_small_values_exact(void **state)
{
	struct hist *h = hist_new();
	uint64_t v;

	for (v = 0; v < 128; v++)
		hist__add(h, v);
	assert_int_equal(hist__quantile(h, 0.5), 63);   /* rank 64 */
	assert_int_equal(hist__quantile(h, 0.25), 31);  /* rank 32 */
	assert_int_equal(hist__quantile(h, 0.99), 126); /* rank ceil(126.72) = 127 */
	assert_int_equal(hist__quantile(h, 0), 0);
	assert_int_equal(hist__quantile(h, 1), 127);
	free(h);
}

static void test_constant(void **state)
{
	struct hist *h = hist_new();
	int i;

	for (i = 0; i < 1000; i++)
		hist__add(h, 12345);
	/* The bucket midpoint is clamped to [min, max]: exact here. */
	assert_int_equal(hist__quantile(h, 0.5), 12345);
	assert_int_equal(hist__quantile(h, 0.99), 12345);
	assert_int_equal(hist__quantile(h, 0), 12345);
	assert_int_equal(hist__quantile(h, 1), 12345);
	assert_int_equal(h->total, 12345000);
	free(h);
}

static void test_single_value(void **state)
{
	struct hist *h = hist_new();

	hist__add(h, 987654321);
	assert_int_equal(h->count, 1);
	assert_int_equal(h->min, 987654321);
	assert_int_equal(h->max, 987654321);
	assert_int_equal(hist__quantile(h, 0.5), 987654321);
	assert_int_equal(hist__quantile(h, 0.01), 987654321);
	assert_int_equal(hist__quantile(h, 0.99), 987654321);
	free(h);

	h = hist_new();
	hist__add(h, 0);
	assert_int_equal(hist__quantile(h, 0.5), 0);
	assert_int_equal(hist__quantile(h, 1), 0);
	free(h);
}

static void test_two_values(void **state)
{
	struct hist *h = hist_new();

	hist__add(h, 1000000);
	hist__add(h, 10);
	assert_int_equal(hist__quantile(h, 0.5), 10); /* rank 1 */
	assert_close(hist__quantile(h, 0.51), 1000000);
	assert_close(hist__quantile(h, 0.99), 1000000);
	assert_int_equal(hist__quantile(h, 0), 10);
	assert_int_equal(hist__quantile(h, 1), 1000000);
	assert_int_equal(h->total, 1000010);
	free(h);
}

static void test_min_max_exact(void **state)
{
	struct hist *h = hist_new();
	uint64_t seed = 12345, v, lo = UINT64_MAX, hi = 0;
	int i;

	for (i = 0; i < 5000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		v = (seed >> 20) % 1000000007 + 1000;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		hist__add(h, v);
	}
	assert_int_equal(h->min, lo);
	assert_int_equal(h->max, hi);
	assert_int_equal(hist__quantile(h, 0), lo);
	assert_int_equal(hist__quantile(h, 1), hi);
	assert_int_equal(hist__quantile(h, -1), lo); /* out of range clamps */
	assert_int_equal(hist__quantile(h, 2), hi);
	assert_true(hist__quantile(h, 0.0001) >= lo);
	assert_true(hist__quantile(h, 0.9999) <= hi);
	free(h);
}

static void test_empty(void **state)
{
	struct hist *h = hist_new();

	assert_int_equal(hist__quantile(h, 0), 0);
	assert_int_equal(hist__quantile(h, 0.5), 0);
	assert_int_equal(hist__quantile(h, 1), 0);
	assert_int_equal(h->count, 0);
	free(h);
}

static void test_huge_values(void **state)
{
	struct hist *h = hist_new();

	hist__add(h, UINT64_MAX);
	hist__add(h, UINT64_MAX - 1);
	hist__add(h, 1ull << 63);
	hist__add(h, (1ull << 63) - 1);
	assert_int_equal(h->count, 4);
	assert_int_equal(h->total, UINT64_MAX); /* saturates, does not wrap */
	assert_int_equal(h->min, (1ull << 63) - 1);
	assert_int_equal(h->max, UINT64_MAX);
	assert_int_equal(hist__quantile(h, 1), UINT64_MAX);
	assert_int_equal(hist__quantile(h, 0), (1ull << 63) - 1);
	assert_close(hist__quantile(h, 0.25), (1ull << 63) - 1);
	assert_close(hist__quantile(h, 0.5), 1ull << 63);
	assert_close(hist__quantile(h, 0.99), UINT64_MAX);
	assert_true(hist__quantile(h, 0.99) <= UINT64_MAX);
	free(h);
}

/* Every power of two and its neighbours lands in a bucket within 1/64. */
static void test_bucket_edges(void **state)
{
	unsigned int e;

	for (e = 0; e < 64; e++) {
		uint64_t p = 1ull << e, vs[3] = { p - 1, p, p + 1 };
		int i;

		for (i = 0; i < 3; i++) {
			struct hist h;

			memset(&h, 0, sizeof(h));
			hist__add(&h, vs[i]);
			hist__add(&h, 0);
			hist__add(&h, UINT64_MAX); /* keep the clamp out of the way */
			assert_close(hist__quantile(&h, 0.5), vs[i]);
		}
	}
}

static char *print_to_string(const struct stats *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	stats__print(s, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_print_sorted_by_total(void **state)
{
	struct stats *s = stats__new();
	char name[16] = "alpha";
	char *out;

	assert_non_null(s);
	/* The name is copied: the caller's buffer may change afterwards. */
	stats__add(s, name, 100);
	strcpy(name, "zzz");
	stats__add(s, "alpha", 100);
	stats__add(s, "alpha", 5000);
	stats__add(s, "beta", 1000000);
	/* p99 is rank 3 (5000): its bucket's midpoint 5024 is clamped to the max. */
	out = print_to_string(s);
	assert_string_equal(out,
		"span                         calls  returned        total          p50          p99\n"
		"beta                             1         1     1.000 ms     1.000 ms     1.000 ms\n"
		"alpha                            3         3     5.200 us       100 ns     5.000 us\n");
	free(out);
	stats__free(s);
}

static void test_print_empty_and_long_names(void **state)
{
	struct stats *s = stats__new();
	char *out;

	assert_non_null(s);
	out = print_to_string(s);
	assert_string_equal(out,
		"span                         calls  returned        total          p50          p99\n");
	free(out);

	/* A name longer than the column widens it for every line. */
	stats__add(s, "a_rather_long_function_name_x", 2000);
	stats__add(s, "b", 2000); /* equal totals: by name */
	out = print_to_string(s);
	assert_string_equal(out,
		"span                              calls  returned        total          p50          p99\n"
		"a_rather_long_function_name_x         1         1     2.000 us     2.000 us     2.000 us\n"
		"b                                     1         1     2.000 us     2.000 us     2.000 us\n");
	free(out);
	stats__free(s);
	stats__free(NULL);
}

/*
 * Calls that did not return are counted in calls, not timed, and the table
 * says so below itself; a name too long for the column keeps its end.
 */
static void test_print_untimed_and_very_long_names(void **state)
{
	static const char rust[] =
		"<alloc::vec::Vec<T,A> as core::iter::traits::collect::Extend<T>>::extend::h0123";
	struct stats *s = stats__new();
	char *out;

	assert_non_null(s);
	stats__add_id(s, 0, "processFile", 4000);
	stats__add_untimed_id(s, 0, "processFile");
	stats__add_untimed_id(s, 0, "processFile");
	stats__add_id(s, 1, rust, 1000);
	out = print_to_string(s);
	assert_string_equal(out,
		"span                                                             calls  returned"
		"        total          p50          p99\n"
		"processFile                                                          3         1"
		"     4.000 us     4.000 us     4.000 us\n"
		"...as core::iter::traits::collect::Extend<T>>::extend::h0123         1         1"
		"     1.000 us     1.000 us     1.000 us\n"
		"(total, p50 and p99 are of the calls that returned; the others are in the trace, "
		"marked: open at the stop, cut short, or unwound)\n");
	free(out);
	stats__free(s);
}

/*
 * What the probes add to a call, known by id: a column of its own, "?" for a
 * name it is not known for, and a line saying what it is; an id without calls
 * gets no row.
 */
static void test_print_probe_costs(void **state)
{
	struct stats *s = stats__new();
	char *out;

	assert_non_null(s);
	stats__add_id(s, 0, "hot", 30000);
	stats__add_id(s, 1, "cold", 90000);
	stats__add(s, "other", 100);
	stats__set_probe_cost_id(s, 0, 27960);
	stats__set_probe_cost_id(s, 1, 912);
	stats__set_probe_cost_id(s, 7, 5000); /* no calls: no row */
	out = print_to_string(s);
	assert_string_equal(out,
		"span                         calls  returned        total          p50          p99"
		"   probe/call\n"
		"cold                             1         1     90.00 us     90.00 us     90.00 us"
		"       912 ns\n"
		"hot                              1         1     30.00 us     30.00 us     30.00 us"
		"     27.96 us\n"
		"other                            1         1       100 ns       100 ns       100 ns"
		"            ?\n"
		"(probe/call: what spantrace's probes add to a call, calibrated at start; the "
		"durations above include part of it)\n");
	free(out);
	stats__free(s);
}

/* Many names force the table to grow; each keeps its own numbers. */
static void test_many_names(void **state)
{
	struct stats *s = stats__new();
	char name[32], *out, *line;
	int i, lines = 0;

	assert_non_null(s);
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "fn_%d", i);
		stats__add(s, name, (uint64_t)i + 1);
		stats__add(s, name, (uint64_t)i + 1);
	}
	out = print_to_string(s);
	/* Largest total first: fn_2999 with 2 x 3000 ns. */
	line = strchr(out, '\n') + 1;
	assert_memory_equal(line, "fn_2999 ", 8);
	assert_non_null(strstr(line, "     2     6.000 us     3.000 us     3.000 us\n"));
	for (line = out; (line = strchr(line, '\n')); line++)
		lines++;
	assert_int_equal(lines, 3001);
	free(out);
	stats__free(s);
}

/*
 * Entries found by id are those of their names, whatever the id: a small one
 * (a probe index), or one too large to keep a slot for.
 */
static void test_add_by_id(void **state)
{
	struct stats *s = stats__new();
	char *out;

	assert_non_null(s);
	stats__add_id(s, 3, "work", 1000);
	stats__add_id(s, UINT32_MAX, "rare", 500);
	stats__add_id(s, 3, "work", 3000);
	stats__add(s, "work", 2000);
	stats__add_id(s, UINT32_MAX, "rare", 700);
	stats__add(s, "rare", 300);
	stats__add_id(s, UINT32_MAX, "rare", 500);
	stats__add_id(s, 100, "other", 10);
	out = print_to_string(s);
	/* p50 and p99: the midpoints of their buckets, within 1/64 */
	assert_string_equal(out,
		"span                         calls  returned        total          p50          p99\n"
		"work                             3         3     6.000 us     2.008 us     2.992 us\n"
		"rare                             4         4     2.000 us       502 ns       700 ns\n"
		"other                            1         1        10 ns        10 ns        10 ns\n");
	free(out);
	stats__free(s);
}

static void expect_fmt(uint64_t ns, const char *want)
{
	char buf[32];

	assert_string_equal(fmt_duration(ns, buf, sizeof(buf)), want);
}

static void test_fmt_duration(void **state)
{
	expect_fmt(0, "0 ns");
	expect_fmt(950, "950 ns");
	expect_fmt(999, "999 ns");
	expect_fmt(1000, "1.000 us");
	expect_fmt(1234, "1.234 us");
	expect_fmt(9999, "9.999 us");
	expect_fmt(99999, "100.0 us"); /* 99.999 rounds into a fourth digit */
	expect_fmt(10000, "10.00 us");
	expect_fmt(12345, "12.35 us"); /* half rounds up */
	expect_fmt(123456, "123.5 us");
	expect_fmt(999949, "999.9 us");
	expect_fmt(999950, "1.000 ms"); /* carries into the next unit */
	expect_fmt(1234500, "1.235 ms");
	expect_fmt(12345678, "12.35 ms");
	expect_fmt(9999500, "10.00 ms");
	expect_fmt(999999999, "1.000 s");
	expect_fmt(1000000000, "1.000 s");
	expect_fmt(59999999999ull, "60.00 s");
	expect_fmt(999949999999ull, "999.9 s");
	expect_fmt(999950000000ull, "1000 s"); /* seconds is the last unit */
	expect_fmt(3600000000000ull, "3600 s");
	expect_fmt(UINT64_MAX, "18446744074 s");
}

static void test_fmt_duration_small_buffer(void **state)
{
	char buf[5];

	/* Truncated, terminated, and the buffer is what comes back. */
	assert_ptr_equal(fmt_duration(1234, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "1.23");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_single_value),
		cmocka_unit_test(test_two_values),
		cmocka_unit_test(test_min_max_exact),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_huge_values),
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_print_sorted_by_total),
		cmocka_unit_test(test_print_empty_and_long_names),
		cmocka_unit_test(test_print_untimed_and_very_long_names),
		cmocka_unit_test(test_print_probe_costs),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_add_by_id),
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_fmt_duration_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
