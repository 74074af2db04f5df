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

/* ":name=argN" at the end of a SPEC names spans from an argument. */
static void test_parse_name_arg(void **state)
{
	char err[384] = "";
	struct spec s;

	assert_int_equal(spec__parse("libfoo:span_*:name=arg2", &s, err, sizeof(err)), 0);
	assert_string_equal(s.object, "libfoo");
	assert_string_equal(s.pattern, "span_*");
	assert_int_equal(s.name_arg, 2);
	assert_int_equal(s.role, SPEC_FUNC);
	spec__free(&s);
	assert_int_equal(spec__parse("main.WithTask:name=arg8", &s, err, sizeof(err)), 0);
	assert_null(s.object);
	assert_string_equal(s.pattern, "main.WithTask");
	assert_int_equal(s.name_arg, 8);
	spec__free(&s);
	assert_int_equal(spec__parse("f", &s, err, sizeof(err)), 0);
	assert_int_equal(s.name_arg, -1);
	spec__free(&s);
	assert_rejected("f:name=arg9", "name=arg9 in 'f:name=arg9' is out of range");
	assert_rejected("f:name=arg", "bad name in 'f:name=arg': write :name=argN");
	assert_rejected("f:name=x0", "bad name");
	assert_rejected("f:name=arg1x", "bad name");
	assert_rejected(":name=arg1", "empty SPEC");
}

static void pair_ok(const char *text, const char *bobj, const char *bpat, int name,
		    const char *eobj, const char *epat)
{
	char err[384] = "";
	struct spec b, e;

	if (spec__parse_pair(text, 3, &b, &e, err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	assert_int_equal(b.role, SPEC_BEGIN);
	assert_int_equal(e.role, SPEC_END);
	assert_int_equal(b.pair, 3);
	assert_int_equal(e.pair, 3);
	assert_int_equal(b.name_arg, name);
	assert_int_equal(e.name_arg, -1);
	if (bobj)
		assert_string_equal(b.object, bobj);
	else
		assert_null(b.object);
	if (eobj)
		assert_string_equal(e.object, eobj);
	else
		assert_null(e.object);
	assert_string_equal(b.pattern, bpat);
	assert_string_equal(e.pattern, epat);
	assert_string_equal(b.text, text);
	spec__free(&b);
	spec__free(&e);
}

static void pair_err(const char *text, const char *reason)
{
	char err[384] = "";
	struct spec b, e;

	assert_int_equal(spec__parse_pair(text, 0, &b, &e, err, sizeof(err)), -EINVAL);
	if (!strstr(err, reason))
		fail_msg("%s: got '%s', want '%s'", text, err, reason);
	assert_null(b.text);
	assert_null(e.text);
}

static void test_parse_pair(void **state)
{
	pair_ok("span_begin=span_end", NULL, "span_begin", -1, NULL, "span_end");
	pair_ok("span_begin:name=arg0=span_end", NULL, "span_begin", 0, NULL, "span_end");
	pair_ok("main.With*:name=arg2=main.With*.func1", NULL, "main.With*", 2, NULL,
		"main.With*.func1");
	/* END inherits BEGIN's object, or names its own */
	pair_ok("libapi:b=e", "libapi", "b", -1, "libapi", "e");
	pair_ok("libapi:b:name=arg1=libother:e", "libapi", "b", 1, "libother", "e");
	pair_ok("ns::b=ns::e", NULL, "ns::b", -1, NULL, "ns::e");

	pair_err("span_begin", "is not BEGIN=END");
	pair_err("=e", "has an empty BEGIN");
	pair_err("b=", "has an empty END");
	pair_err("a=b=c", "more than one '='");
	pair_err("b=e:name=arg0", "the name comes from BEGIN's arguments");
	pair_err("b:name=arg12=e", "out of range");
	pair_err("b:name=argx=e", "bad name");
	pair_err(":b=e", "empty OBJECT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_pattern_only),
		cmocka_unit_test(test_parse_object),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_name_arg),
		cmocka_unit_test(test_parse_pair),
		cmocka_unit_test(test_object_matches),
		cmocka_unit_test(test_pattern_matches),
		cmocka_unit_test(test_suggest_close),
		cmocka_unit_test(test_suggest_order),
		cmocka_unit_test(test_suggest_ties_by_name),
		cmocka_unit_test(test_suggest_long_and_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
