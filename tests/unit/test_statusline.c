// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* statusline: the live status line's text, whole, from two samples. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "statusline.h"

static void expect(const struct status_sample *now, const struct status_sample *prev,
		   const char *want)
{
	char buf[256];

	statusline__format(buf, sizeof(buf), now, prev);
	assert_string_equal(buf, want);
}

static void test_first_sample(void **state)
{
	const struct status_sample s = { .at_ns = 2000000000, .events = 3000, .spans = 999,
					 .open_spans = 4, .lost = 0, .bytes = 1000 };

	expect(&s, NULL, "2s | 1.50k events/s | 999 spans, 4 open | 0 lost | trace 1000 | "
		  "overhead -");
}

/* events/s over the time since the previous sample; sizes in 1024s, counts in 1000s */
static void test_rate_since_previous(void **state)
{
	const struct status_sample prev = { .at_ns = 1000000000, .events = 1000000 };
	const struct status_sample now = { .at_ns = 3000000000, .events = 3470000,
					   .spans = 123456789, .open_spans = 12345, .lost = 7,
					   .bytes = 5ull << 30, .cut = true,
					   .overhead = { .known = true, .percent = 4.25 } };

	expect(&now, &prev, "3s | 1.24M events/s | 123M spans, 12.3k open | 7 lost | "
		  "trace 5.00G (cut) | overhead 4.2%");
}

static void test_count_only(void **state)
{
	const struct status_sample s = { .at_ns = 61500000000, .events = 0, .no_trace = true };

	expect(&s, NULL, "61s | 0 events/s | 0 spans, 0 open | 0 lost | trace none (-c) | "
		  "overhead -");
}

/* a short buffer: cut, terminated */
static void test_short_buffer(void **state)
{
	const struct status_sample s = { .at_ns = 1000000000 };
	char buf[8];

	statusline__format(buf, sizeof(buf), &s, NULL);
	assert_string_equal(buf, "1s | 0 ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sample),
		cmocka_unit_test(test_rate_since_previous),
		cmocka_unit_test(test_count_only),
		cmocka_unit_test(test_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
