// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the table of output formats (user/core/formats.c): every
 * entry is whole and found by its name and by its extension, and a path that
 * ends in no format's extension gets the default, Chrome JSON, as -o always
 * did.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "formats.h"
#include "trace.h"

/* Each entry: a name, an extension, a line of help, and a writer with every callback. */
static void test_entries_whole(void **state)
{
	assert_true(trace_nformats >= 1);
	for (size_t i = 0; i < trace_nformats; i++) {
		const struct trace_format *f = &trace_formats[i];
		const struct trace_ops *ops = f->ops;

		assert_non_null(f->name);
		assert_true(f->name[0]);
		assert_non_null(f->ext);
		assert_true(f->ext[0] == '.' && f->ext[1]);
		assert_non_null(f->what);
		assert_non_null(ops);
		assert_non_null(ops->open);
		assert_non_null(ops->process_name);
		assert_non_null(ops->thread_name);
		assert_non_null(ops->span);
		assert_non_null(ops->wait);
		assert_non_null(ops->pipe_write);
		assert_non_null(ops->instant);
		assert_non_null(ops->flow);
		assert_non_null(ops->loss);
		assert_non_null(ops->guard_stop);
		assert_non_null(ops->probe_costs);
		assert_non_null(ops->close);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(trace_formats[j].name, f->name);
	}
}

static void test_by_name(void **state)
{
	for (size_t i = 0; i < trace_nformats; i++)
		assert_ptr_equal(trace_format__by_name(trace_formats[i].name), &trace_formats[i]);
	assert_string_equal(trace_format__by_name("chrome")->ext, ".json");
	assert_null(trace_format__by_name(""));
	assert_null(trace_format__by_name("Chrome"));
	assert_null(trace_format__by_name("chrome "));
	assert_null(trace_format__by_name("perfetto-someday"));
}

static void test_for_path(void **state)
{
	const struct trace_format *chrome = trace_format__by_name("chrome");
	static const char *const others[] = {
		"-", "/dev/null", "/dev/stdout", "trace", "trace.JSON", "trace.json.gz", "json",
		"", "dir.json/trace",
	};
	char path[256];

	/* Chrome is the default: what -o wrote before there was a table */
	assert_ptr_equal(&trace_formats[0], chrome);
	for (size_t i = 0; i < trace_nformats; i++) {
		snprintf(path, sizeof(path), "/tmp/run%s", trace_formats[i].ext);
		assert_ptr_equal(trace_format__for_path(path), &trace_formats[i]);
		assert_ptr_equal(trace_format__for_path(trace_formats[i].ext), &trace_formats[i]);
	}
	assert_ptr_equal(trace_format__for_path("spantrace.json"), chrome);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_ptr_equal(trace_format__for_path(others[i]), &trace_formats[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_whole),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_for_path),
	};

	return cmocka_run_group_tests_name("formats", tests, NULL, NULL);
}
