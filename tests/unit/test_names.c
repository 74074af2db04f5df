/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Interned span names: ids, references put back, the unused ones kept up to
 * a bound and then let go (their ids reused), and the bound on names held.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "names.h"

static void test_intern(void **state)
{
	struct names *n = names__new();
	uint32_t a, b;
	char buf[32];

	assert_non_null(n);
	a = names__intern(n, "request", 7);
	b = names__intern(n, "requestXYZ", 7); /* same bytes within len */
	assert_int_equal(a, 1);
	assert_int_equal(a, b);
	assert_int_equal(names__intern(n, "req\0uest", 8), names__intern(n, "req", 3));
	assert_int_not_equal(names__intern(n, "reques", 6), a);
	assert_int_equal(names__intern(n, "", 0), names__intern(n, "\0x", 2));
	assert_string_equal(names__get(n, a), "request");
	assert_null(names__get(n, 0));
	assert_null(names__get(n, 999));
	/* many distinct names: ids stay stable across index growth */
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "worker-%d", i);
		uint32_t id = names__intern(n, buf, strlen(buf));

		assert_string_equal(names__get(n, id), buf);
	}
	for (int i = 0; i < 5000; i += 7) {
		snprintf(buf, sizeof(buf), "worker-%d", i);
		assert_string_equal(names__get(n, names__intern(n, buf, sizeof(buf))), buf);
	}
	assert_int_equal(names__count(n), 4 + 5000);
	assert_string_equal(names__get(n, a), "request");
	names__free(n);
}

/* A name put back is kept: interned again, it is the same id and string. */
static void test_put_keeps(void **state)
{
	struct names *n = names__new();
	uint32_t a = names__intern(n, "alpha", 5);

	assert_int_equal(names__intern(n, "alpha", 5), a); /* two references */
	assert_int_equal(names__held(n), 1);
	names__put(n, a);
	assert_int_equal(names__held(n), 1);
	names__put(n, a);
	assert_int_equal(names__held(n), 0);
	assert_int_equal(names__count(n), 1);
	assert_string_equal(names__get(n, a), "alpha");
	assert_int_equal(names__intern(n, "alpha", 5), a);
	assert_int_equal(names__held(n), 1);
	/* putting back what was never taken changes nothing */
	names__put(n, 0);
	names__put(n, 999);
	names__put(n, a);
	names__put(n, a);
	assert_int_equal(names__held(n), 0);
	assert_int_equal(names__count(n), 1);
	names__free(n);
}

/*
 * A stream of distinct names, each put back once its span is written: the
 * table keeps the NAMES_KEEP_UNUSED most recent, lets the older go, and
 * reuses their ids, so neither the names nor the ids grow with the stream.
 */
static void test_unused_bounded(void **state)
{
	enum { N = 100000 };
	struct names *n = names__new();
	uint32_t max_id = 0, recent = 0;
	char buf[32];

	for (int i = 0; i < N; i++) {
		int len = snprintf(buf, sizeof(buf), "request-%d", i);
		uint32_t id = names__intern(n, buf, (size_t)len);

		assert_int_not_equal(id, 0);
		assert_string_equal(names__get(n, id), buf);
		if (id > max_id)
			max_id = id;
		if (i == N - 10)
			recent = id;
		names__put(n, id);
		assert_true(names__count(n) <= NAMES_KEEP_UNUSED);
	}
	assert_int_equal(names__count(n), NAMES_KEEP_UNUSED);
	assert_int_equal(names__held(n), 0);
	assert_true(max_id <= NAMES_KEEP_UNUSED + 1);
	/* a recent one is still there, under its id */
	snprintf(buf, sizeof(buf), "request-%d", N - 10);
	assert_int_equal(names__intern(n, buf, strlen(buf)), recent);
	/* an old one was let go: interned anew, with the right string */
	{
		uint32_t id = names__intern(n, "request-0", 9);

		assert_int_not_equal(id, 0);
		assert_string_equal(names__get(n, id), "request-0");
		assert_string_equal(names__get(n, recent), buf);
	}
	names__free(n);
}

/* Names in use are never let go, however many come and go around them. */
static void test_held_survive(void **state)
{
	struct names *n = names__new();
	uint32_t keep = names__intern(n, "long-running", 12);
	char buf[32];

	for (int i = 0; i < 3 * NAMES_KEEP_UNUSED; i++) {
		int len = snprintf(buf, sizeof(buf), "short-%d", i);

		names__put(n, names__intern(n, buf, (size_t)len));
	}
	assert_string_equal(names__get(n, keep), "long-running");
	assert_int_equal(names__intern(n, "long-running", 12), keep);
	names__free(n);
}

/* At most NAMES_MAX_HELD names held: one more is refused (0) until one is put back. */
static void test_held_bound(void **state)
{
	struct names *n = names__new();
	uint32_t first = 0, id;
	char buf[32];
	int len;

	for (int i = 0; i < NAMES_MAX_HELD; i++) {
		len = snprintf(buf, sizeof(buf), "open-%d", i);
		id = names__intern(n, buf, (size_t)len);
		assert_int_not_equal(id, 0);
		if (!first)
			first = id;
	}
	assert_int_equal(names__held(n), NAMES_MAX_HELD);
	assert_int_equal(names__intern(n, "one-more", 8), 0);
	/* a name already held may be held again: nothing more is stored */
	assert_int_equal(names__intern(n, "open-0", 6), first);
	names__put(n, first);
	names__put(n, first);
	id = names__intern(n, "one-more", 8);
	assert_int_not_equal(id, 0);
	assert_string_equal(names__get(n, id), "one-more");
	/* open-0 is unused now, and the bound is reached again: it cannot be held */
	assert_int_equal(names__intern(n, "open-0", 6), 0);
	assert_int_equal(names__held(n), NAMES_MAX_HELD);
	names__free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern),
		cmocka_unit_test(test_put_keeps),
		cmocka_unit_test(test_unused_bounded),
		cmocka_unit_test(test_held_survive),
		cmocka_unit_test(test_held_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
