/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * spec: SPEC parsing, object and pattern matching, suggestions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spec.h"

static void assert_parses(const char *text, const char *object, const char *pattern)
{
	char err[256] = "";
	struct spec s;

	assert_int_equal(spec__parse(text, &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(s.text, text);
	if (object)
		assert_string_equal(s.object, object);
	else
		assert_null(s.object);
	assert_string_equal(s.pattern, pattern);
	spec__free(&s);
	assert_null(s.text);
	assert_null(s.pattern);
}

static void assert_rejected(const char *text, const char *reason)
{
	char err[256] = "";
	struct spec s;

	assert_int_equal(spec__parse(text, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, reason));
	assert_null(strchr(err, '\n'));
	assert_null(s.text);
	assert_null(s.object);
	assert_null(s.pattern);
	spec__free(&s);
}

static void test_parse_pattern_only(void **state)
{
	assert_parses("foo", NULL, "foo");
	assert_parses("demo_*", NULL, "demo_*");
	assert_parses("ns::f*", NULL, "ns::f*");
	assert_parses("::f", NULL, "::f");
	assert_parses("a::b::c*", NULL, "a::b::c*");
}

static void test_parse_object(void **state)
{
	assert_parses("libc:malloc", "libc", "malloc");
	assert_parses("libfoo:ns::f*", "libfoo", "ns::f*");
	assert_parses("/usr/lib/libx.so:f", "/usr/lib/libx.so", "f");
	assert_parses("libsqlite3:sqlite3_*", "libsqlite3", "sqlite3_*");
	/* Only the first separator splits; the rest belongs to the pattern. */
	assert_parses("a:b:c", "a", "b:c");
	/* An odd run of colons: the first one separates. */
	assert_parses("libfoo:::f", "libfoo", "::f");
}

static void test_parse_errors(void **state)
{
	char err[256] = "";
	struct spec s;

	assert_rejected("", "empty SPEC");
	assert_rejected("libc:", "empty PATTERN");
	assert_rejected(":foo", "empty OBJECT");
	assert_rejected(":", "empty OBJECT");

	assert_int_equal(spec__parse(NULL, &s, err, sizeof(err)), -EINVAL);
	assert_string_not_equal(err, "");
	/* A tiny or absent error buffer must not be overrun. */
	assert_int_equal(spec__parse("libc:", &s, err, 4), -EINVAL);
	assert_int_equal(strlen(err), 3);
	assert_int_equal(spec__parse("libc:", &s, NULL, 0), -EINVAL);
}

static void test_object_matches(void **state)
{
	const char *sqlite = "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6";

	assert_true(spec__object_matches("libsqlite3", sqlite));
	assert_true(spec__object_matches("libsql", sqlite));
	assert_true(spec__object_matches("libsqlite3.so.0.8.6", sqlite));
	assert_false(spec__object_matches("sqlite3", sqlite));
	/* Directories in the path are not part of the basename. */
	assert_false(spec__object_matches("x86_64", sqlite));
	assert_true(spec__object_matches(sqlite, sqlite));
	assert_false(spec__object_matches("/usr/lib/x86_64-linux-gnu/libsqlite3.so", sqlite));
	assert_false(spec__object_matches("/libsqlite3.so.0.8.6", sqlite));
	assert_true(spec__object_matches("app", "app"));
}

static void test_pattern_matches(void **state)
{
	assert_true(spec__pattern_matches("fx_*", "fx_alpha"));
	assert_true(spec__pattern_matches("fx_alpha", "fx_alpha"));
	assert_false(spec__pattern_matches("fx_alpha", "fx_alphab"));
	assert_true(spec__pattern_matches("fx_?eta", "fx_beta"));
	assert_true(spec__pattern_matches("fx_[ab]*", "fx_beta"));
	assert_false(spec__pattern_matches("fx_[ab]*", "fx_gamma"));
	assert_true(spec__pattern_matches("ns::f*", "ns::foo"));
	assert_true(spec__pattern_matches("*", "anything"));
	assert_false(spec__pattern_matches("Fx_*", "fx_alpha"));
}

/* "ht_find" twice: symbol lists repeat names (static functions, aliases). */
static const char *const names[] = {
	"ht_find", "ht_insert", "ht_delete", "sqlite3_step", "sqlite3_open", "sqlite3_prepare_v2",
	"main", "process_request", "ht_find", "ht_fin",
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

static void test_suggest_close(void **state)
{
	const char *out[4];
	size_t n;

	n = spec__suggest("ht_fnd", names, NNAMES, out, 4);
	assert_true(n >= 1);
	assert_string_equal(out[0], "ht_find");

	n = spec__suggest("sqlite3_stpe", names, NNAMES, out, 4);
	assert_true(n >= 1);
	assert_string_equal(out[0], "sqlite3_step");

	/* Glob characters are ignored when measuring. */
	n = spec__suggest("ht_fnd*", names, NNAMES, out, 4);
	assert_true(n >= 1);
	assert_string_equal(out[0], "ht_find");

	n = spec__suggest("zzqqxxyywwvv", names, NNAMES, out, 4);
	assert_int_equal(n, 0);
	n = spec__suggest("*?", names, NNAMES, out, 4);
	assert_int_equal(n, 0);
	n = spec__suggest("ht_fnd", names, NNAMES, out, 0);
	assert_int_equal(n, 0);
	n = spec__suggest("ht_fnd", names, 0, out, 4);
	assert_int_equal(n, 0);
}

static void test_suggest_order(void **state)
{
	const char *out[8];
	size_t n;

	/*
	 * "ht_fi": "ht_fin" (1) before "ht_find" (2, listed twice but suggested
	 * once); "ht_insert" is too far from a 5-letter key.
	 */
	n = spec__suggest("ht_fi", names, NNAMES, out, 8);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "ht_fin");
	assert_string_equal(out[1], "ht_find");

	/* Substring hits count at any length difference, closest first. */
	n = spec__suggest("sqlite3", names, NNAMES, out, 8);
	assert_int_equal(n, 3);
	assert_string_equal(out[0], "sqlite3_open");
	assert_string_equal(out[1], "sqlite3_step");
	assert_string_equal(out[2], "sqlite3_prepare_v2");

	/* max caps the result and keeps the best ones. */
	n = spec__suggest("sqlite3", names, NNAMES, out, 1);
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "sqlite3_open");
}

static void test_suggest_ties_by_name(void **state)
{
	static const char *const tie[] = { "fz", "fb", "fa", "fc" };
	const char *out[4];
	size_t n;

	n = spec__suggest("fx", tie, 4, out, 3);
	assert_int_equal(n, 3);
	assert_string_equal(out[0], "fa");
	assert_string_equal(out[1], "fb");
	assert_string_equal(out[2], "fc");
}

static void test_suggest_long_and_many(void **state)
{
	const size_t count = 100000;
	const char **many = calloc(count, sizeof(*many));
	char *store = calloc(count, 48);
	char longname[400];
	const char *out[5];
	struct timespec t0, t1;
	double secs;
	size_t i, n;

	assert_non_null(many);
	assert_non_null(store);
	for (i = 0; i < count; i++) {
		snprintf(store + i * 48, 48, "module_%zu_handler_%zu", i % 977, i);
		many[i] = store + i * 48;
	}
	many[count / 2] = "sqlite3_step";
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	many[count / 3] = longname;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = spec__suggest("sqlite3_stpe", many, count, out, 5);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "sqlite3_step");
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Generous: sanitizer builds are several times slower. */
	assert_true(secs < 2.0);

	/* A name longer than the compared prefix is still matched safely. */
	n = spec__suggest(longname, many, count, out, 5);
	assert_true(n >= 1);
	assert_ptr_equal(out[0], longname);

	free(many);
	free(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_pattern_only),
		cmocka_unit_test(test_parse_object),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_object_matches),
		cmocka_unit_test(test_pattern_matches),
		cmocka_unit_test(test_suggest_close),
		cmocka_unit_test(test_suggest_order),
		cmocka_unit_test(test_suggest_ties_by_name),
		cmocka_unit_test(test_suggest_long_and_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
