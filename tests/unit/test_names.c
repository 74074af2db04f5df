/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Interned span names. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
