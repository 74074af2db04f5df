/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* errbuf: one-line messages into a caller's buffer, set and appended, cut to fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "errbuf.h"

static void test_set(void **state)
{
	char err[16];

	errbuf__set(err, sizeof(err), "cannot read %s: %d", "x", 2);
	assert_string_equal(err, "cannot read x: "); /* 15 bytes and the NUL */
	errbuf__set(err, sizeof(err), "no %s: %d", "x", 2);
	assert_string_equal(err, "no x: 2");
	errbuf__set(err, sizeof(err), "%s", "a message longer than the buffer");
	assert_string_equal(err, "a message longe");
	errbuf__set(NULL, 0, "ignored %d", 1);
	errbuf__set(err, 0, "ignored");
	assert_string_equal(err, "a message longe");
}

static void test_add(void **state)
{
	char err[24];

	errbuf__set(err, sizeof(err), "mapped:");
	errbuf__add(err, sizeof(err), " %s", "a");
	errbuf__add(err, sizeof(err), ",%s", " b");
	assert_string_equal(err, "mapped: a, b");
	/* cut where the buffer ends, and nothing after that */
	errbuf__add(err, sizeof(err), " %s", "cccccccccccccccc");
	assert_string_equal(err, "mapped: a, b cccccccccc");
	assert_int_equal(strlen(err), sizeof(err) - 1);
	errbuf__add(err, sizeof(err), "?");
	assert_string_equal(err, "mapped: a, b cccccccccc");
	errbuf__add(NULL, 0, "ignored");
	errbuf__add(err, 0, "ignored");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
