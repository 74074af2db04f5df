// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the streaming JSON writer (user/core/json.c): nesting and commas,
 * every escape class, UTF-8 validation, number formatting, misuse and I/O
 * errors. Every expectation is the exact byte string written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define FFFD "\xef\xbf\xbd"

/* A writer on an in-memory stream; setup/teardown give each test a fresh one. */
struct out {
	char *buf;
	size_t len;
	FILE *f;
	struct jw w;
};

static int out__setup(void **state)
{
	struct out *o = calloc(1, sizeof(*o));

	if (!o)
		return -1;
	o->f = open_memstream(&o->buf, &o->len);
	if (!o->f) {
		free(o);
		return -1;
	}
	jw__init(&o->w, o->f);
	*state = o;
	return 0;
}

static int out__teardown(void **state)
{
	struct out *o = *state;

	fclose(o->f);
	free(o->buf);
	free(o);
	return 0;
}

/* Compares everything written so far; the length check catches stray NUL bytes. */
static void out__expect(struct out *o, const char *want)
{
	assert_int_equal(fflush(o->f), 0);
	assert_string_equal(o->buf, want);
	assert_int_equal(o->len, strlen(want));
}

static void escape__expect(const char *in, size_t len, const char *want)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(json__escape(f, in, len), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	free(buf);
}

/* Literal inputs may hold NUL bytes, so their length comes from sizeof. */
#define ESC(in, want) escape__expect(in, sizeof(in) - 1, want)

/* ---- nesting and commas ----------------------------------------------------- */

static void test_empty_containers(void **state)
{
	struct out *o = *state;
	struct jw *w = &o->w;

	jw__arr_begin(w);
	jw__obj_begin(w);
	jw__obj_end(w);
	jw__arr_begin(w);
	jw__arr_end(w);
	jw__obj_begin(w);
	jw__key(w, "a");
	jw__arr_begin(w);
	jw__arr_end(w);
	jw__key(w, "b");
	jw__obj_begin(w);
	jw__obj_end(w);
	jw__obj_end(w);
	jw__arr_begin(w);
	jw__arr_begin(w);
	jw__arr_end(w);
	jw__arr_end(w);
	jw__arr_end(w);
	out__expect(o, "[{},[],{\"a\":[],\"b\":{}},[[]]]");
	assert_false(jw__error(w));
}

static void test_top_level_empty(void **state)
{
	struct out *o = *state;

	jw__obj_begin(&o->w);
	jw__obj_end(&o->w);
	out__expect(o, "{}");
	assert_false(jw__error(&o->w));
}

static void test_objects_in_array(void **state)
{
	struct out *o = *state;
	struct jw *w = &o->w;

	jw__arr_begin(w);
	jw__obj_begin(w);
	jw__key(w, "a");
	jw__u64(w, 1);
	jw__key(w, "b");
	jw__str(w, "x");
	jw__obj_end(w);
	jw__obj_begin(w);
	jw__key(w, "c");
	jw__u64(w, 2);
	jw__obj_end(w);
	jw__u64(w, 3);
	jw__arr_end(w);
	out__expect(o, "[{\"a\":1,\"b\":\"x\"},{\"c\":2},3]");
	assert_false(jw__error(w));
}

static void test_arrays_in_object(void **state)
{
	struct out *o = *state;
	struct jw *w = &o->w;

	jw__obj_begin(w);
	jw__key(w, "a");
	jw__arr_begin(w);
	jw__u64(w, 1);
	jw__u64(w, 2);
	jw__arr_end(w);
	jw__key(w, "b");
	jw__arr_begin(w);
	jw__arr_begin(w);
	jw__bool(w, true);
	jw__arr_end(w);
	jw__arr_begin(w);
	jw__null(w);
	jw__bool(w, false);
	jw__arr_end(w);
	jw__arr_end(w);
	jw__key(w, "c");
	jw__u64(w, 3);
	jw__obj_end(w);
	out__expect(o, "{\"a\":[1,2],\"b\":[[true],[null,false]],\"c\":3}");
	assert_false(jw__error(w));
}

static void test_value_types(void **state)
{
	struct out *o = *state;
	struct jw *w = &o->w;

	jw__arr_begin(w);
	jw__str(w, "s");
	jw__str(w, "");
	jw__str(w, NULL);
	jw__strn(w, "abcdef", 3);
	jw__u64(w, 0);
	jw__u64(w, 42);
	jw__u64(w, UINT64_MAX);
	jw__i64(w, 0);
	jw__i64(w, -1);
	jw__i64(w, INT64_MAX);
	jw__i64(w, INT64_MIN);
	jw__bool(w, true);
	jw__bool(w, false);
	jw__null(w);
	jw__ns_as_us(w, 1234567);
	jw__arr_end(w);
	out__expect(o, "[\"s\",\"\",null,\"abc\",0,42,18446744073709551615,0,-1,"
		       "9223372036854775807,-9223372036854775808,true,false,null,1234.567]");
	assert_false(jw__error(w));
}

static void test_key_escaped(void **state)
{
	struct out *o = *state;

	jw__obj_begin(&o->w);
	jw__key(&o->w, "a\"b\\c\n");
	jw__u64(&o->w, 1);
	jw__obj_end(&o->w);
	out__expect(o, "{\"a\\\"b\\\\c\\n\":1}");
}

static void test_max_depth_allowed(void **state)
{
	struct out *o = *state;
	char want[2 * JW_MAX_DEPTH + 1];
	int i;

	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw__arr_begin(&o->w);
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw__arr_end(&o->w);
	memset(want, '[', JW_MAX_DEPTH);
	memset(want + JW_MAX_DEPTH, ']', JW_MAX_DEPTH);
	want[2 * JW_MAX_DEPTH] = '\0';
	out__expect(o, want);
	assert_false(jw__error(&o->w));
}

static void test_newline(void **state)
{
	struct out *o = *state;
	struct jw *w = &o->w;

	jw__arr_begin(w);
	jw__newline(w);
	jw__u64(w, 1);
	jw__newline(w);
	jw__newline(w); /* pending, so a repeat is one line break */
	jw__obj_begin(w);
	jw__newline(w);
	jw__key(w, "a");
	jw__u64(w, 2);
	jw__newline(w);
	jw__obj_end(w);
	jw__newline(w);
	jw__arr_end(w);
	jw__newline(w); /* top level: written at once */
	out__expect(o, "[\n1,\n{\n\"a\":2\n}\n]\n");
	assert_false(jw__error(w));
}

static void test_newline_empty_array(void **state)
{
	struct out *o = *state;

	jw__arr_begin(&o->w);
	jw__newline(&o->w);
	jw__arr_end(&o->w);
	out__expect(o, "[\n]");
}

/* ---- escaping ------------------------------------------------------------------ */

static void test_escape_quote_backslash(void **state)
{
	ESC("\"", "\\\"");
	ESC("\\", "\\\\");
	ESC("a\"b\\c\"\"\\\\", "a\\\"b\\\\c\\\"\\\"\\\\\\\\");
	/* '/' may be escaped in JSON but need not be */
	ESC("a/b", "a/b");
	ESC("", "");
}

static void test_escape_all_controls(void **state)
{
	static const char want[] = "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
				   "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
				   "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
				   "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f";
	char in[32];
	int i;

	for (i = 0; i < 32; i++)
		in[i] = (char)i;
	escape__expect(in, sizeof(in), want);
}

static void test_escape_short_forms(void **state)
{
	ESC("\b", "\\b");
	ESC("\f", "\\f");
	ESC("\n", "\\n");
	ESC("\r", "\\r");
	ESC("\t", "\\t");
	ESC("a\tb\r\nc", "a\\tb\\r\\nc");
}

static void test_escape_u_forms(void **state)
{
	ESC("\x01", "\\u0001");
	ESC("\x0b", "\\u000b");
	ESC("\x1b[0m", "\\u001b[0m");
	ESC("\x1f", "\\u001f");
	ESC("x\0y", "x\\u0000y");
	ESC("\0\0", "\\u0000\\u0000");
}

static void test_escape_printable_ascii_unchanged(void **state)
{
	char in[0x7f - 0x20 + 1 + 1];
	int i, n = 0;

	/* everything from space to DEL except '"' and '\\' passes through */
	for (i = 0x20; i <= 0x7f; i++)
		if (i != '"' && i != '\\')
			in[n++] = (char)i;
	in[n] = '\0';
	escape__expect(in, n, in);
}

static void test_strn_embedded_nul(void **state)
{
	struct out *o = *state;

	jw__arr_begin(&o->w);
	jw__strn(&o->w, "a\0b", 3);
	jw__strn(&o->w, "\0", 1);
	jw__str(&o->w, "c\0d"); /* a C string ends at its NUL */
	jw__arr_end(&o->w);
	out__expect(o, "[\"a\\u0000b\",\"\\u0000\",\"c\"]");
}

static void test_escape_long_runs(void **state)
{
	/* far beyond any stdio buffer, with one escape in the middle and one at the end */
	size_t n = 100000, half = n / 2;
	char *in = malloc(n), *want = malloc(n + 4), *p = want;

	assert_non_null(in);
	assert_non_null(want);
	memset(in, 'a', n);
	in[half] = '"';
	in[n - 1] = '\xc3'; /* a sequence truncated by the end of the string */

	memset(p, 'a', half);
	p += half;
	memcpy(p, "\\\"", 2);
	p += 2;
	memset(p, 'a', n - half - 2);
	p += n - half - 2;
	strcpy(p, FFFD);
	escape__expect(in, n, want);
	free(in);
	free(want);
}

/* A value longer than the writer's buffer: written around it, escapes and all. */
static void test_string_longer_than_buffer(void **state)
{
	struct out *o = *state;
	size_t n = 3 * JW_BUF_SIZE, half = n / 2, i;
	char *in = malloc(n), *want = malloc(n + 64), *p = want;

	assert_non_null(in);
	assert_non_null(want);
	memset(in, 'a', half);
	in[half] = '"';
	memset(in + half + 1, 'b', n - half - 2);
	in[n - 1] = '\x01';

	p += sprintf(p, "[\"x\",\"");
	for (i = 0; i < n - 1; i++) {
		if (in[i] == '"')
			*p++ = '\\';
		*p++ = in[i];
	}
	strcpy(p, "\\u0001\",\"y\"]");

	jw__arr_begin(&o->w);
	jw__str(&o->w, "x");
	jw__strn(&o->w, in, n);
	jw__str(&o->w, "y");
	jw__arr_end(&o->w);
	assert_false(jw__error(&o->w));
	out__expect(o, want);
	free(in);
	free(want);
}

/* ---- UTF-8 ----------------------------------------------------------------------- */

static void test_utf8_valid_unchanged(void **state)
{
	static const char *const valid[] = {
		"\xc3\xa9",		/* U+00E9, 2 bytes */
		"\xe2\x82\xac",		/* U+20AC, 3 bytes */
		"\xf0\x9f\x98\x80",	/* U+1F600, 4 bytes */
		"\xc2\x80",		/* U+0080, smallest 2-byte */
		"\xdf\xbf",		/* U+07FF, largest 2-byte */
		"\xe0\xa0\x80",		/* U+0800, smallest 3-byte */
		"\xed\x9f\xbf",		/* U+D7FF, just below the surrogates */
		"\xee\x80\x80",		/* U+E000, just above them */
		"\xef\xbf\xbd",		/* U+FFFD itself */
		"\xef\xbf\xbf",		/* U+FFFF, largest 3-byte */
		"\xf0\x90\x80\x80",	/* U+10000, smallest 4-byte */
		"\xf4\x8f\xbf\xbf",	/* U+10FFFF, the last code point */
		"gr\xc3\xbc\xc3\x9f \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8d\x95!",
	};
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		escape__expect(valid[i], strlen(valid[i]), valid[i]);
	/* escapes next to multibyte characters leave them whole */
	ESC("\xc3\xa9\"\xe2\x82\xac\n\xf0\x9f\x98\x80",
	    "\xc3\xa9\\\"\xe2\x82\xac\\n\xf0\x9f\x98\x80");
}

static void test_utf8_stray_continuation(void **state)
{
	ESC("\x80", FFFD);
	ESC("\xbf", FFFD);
	ESC("a\x80\x80z", "a" FFFD FFFD "z");
	ESC("\xc3\xa9\xa9", "\xc3\xa9" FFFD); /* one continuation too many */
	ESC("\xf0\x9f\x98\x80\x80", "\xf0\x9f\x98\x80" FFFD);
}

static void test_utf8_truncated(void **state)
{
	ESC("\xc3", FFFD);
	ESC("\xe2\x82", FFFD FFFD);
	ESC("\xf0\x9f\x98", FFFD FFFD FFFD);
	/* cut short by ASCII, by an escape, by another lead byte */
	ESC("\xe2\x82" "A", FFFD FFFD "A");
	ESC("\xf0\x9f\x98\"", FFFD FFFD FFFD "\\\"");
	ESC("\xc3\n", FFFD "\\n");
	ESC("\xe2\xc3\xa9", FFFD "\xc3\xa9");
	ESC("\xf0\x9f\xf0\x9f\x98\x80", FFFD FFFD "\xf0\x9f\x98\x80");
	ESC("\xc3\0", FFFD "\\u0000");
}

static void test_utf8_overlong(void **state)
{
	ESC("\xc0\x80", FFFD FFFD);		 /* NUL as 2 bytes */
	ESC("\xc0\xaf", FFFD FFFD);		 /* '/' as 2 bytes */
	ESC("\xc1\xbf", FFFD FFFD);		 /* U+007F as 2 bytes */
	ESC("\xe0\x80\x80", FFFD FFFD FFFD);	 /* NUL as 3 bytes */
	ESC("\xe0\x9f\xbf", FFFD FFFD FFFD);	 /* U+07FF as 3 bytes */
	ESC("\xf0\x80\x80\x80", FFFD FFFD FFFD FFFD); /* NUL as 4 bytes */
	ESC("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD); /* U+FFFF as 4 bytes */
}

static void test_utf8_surrogates(void **state)
{
	ESC("\xed\xa0\x80", FFFD FFFD FFFD); /* U+D800 */
	ESC("\xed\xbf\xbf", FFFD FFFD FFFD); /* U+DFFF */
	ESC("\xed\xb0\x80", FFFD FFFD FFFD); /* U+DC00 */
	/* a CESU-8 pair for U+1F600 is two surrogates, not one character */
	ESC("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
}

static void test_utf8_above_max(void **state)
{
	ESC("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* U+110000 */
	ESC("\xf4\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
	ESC("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	ESC("\xf7\xbf\xbf\xbf", FFFD FFFD FFFD FFFD);
	ESC("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD); /* old 5-byte form */
	ESC("\xfc\x84\x80\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD FFFD); /* old 6-byte form */
}

static void test_utf8_never_valid_bytes(void **state)
{
	static const unsigned char bad[] = { 0xc0, 0xc1, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
					     0xfb, 0xfc, 0xfd, 0xfe, 0xff };
	size_t i;
	char in[4];

	for (i = 0; i < sizeof(bad); i++) {
		/* alone, and followed by a continuation byte it might have claimed */
		in[0] = (char)bad[i];
		escape__expect(in, 1, FFFD);
		in[1] = 'x';
		escape__expect(in, 2, FFFD "x");
		in[1] = '\x80';
		in[2] = '\x80';
		escape__expect(in, 3, FFFD FFFD FFFD);
	}
}

/* Independent strict decoder: checks the escaper's output, not its logic. */
static bool utf8__is_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp, min;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* The inside of a JSON string: no raw control bytes or quotes, well-formed escapes. */
static bool json__is_string_body(const unsigned char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == '"')
			return false;
		if (s[i] != '\\')
			continue;
		if (++i == n)
			return false;
		if (strchr("\"\\/bfnrt", s[i]))
			continue;
		if (s[i] != 'u' || n - i < 5)
			return false;
		for (k = 1; k <= 4; k++)
			if (!strchr("0123456789abcdefABCDEF", s[i + k]))
				return false;
		i += 4;
	}
	return utf8__is_valid(s, n);
}

static uint64_t rng__next(uint64_t *s)
{
	/* xorshift64: deterministic, so a failure reproduces */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_escape_random_bytes(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned char in[64];
	char *buf;
	size_t n, len, i;
	int round;
	FILE *f;

	for (round = 0; round < 20000; round++) {
		len = rng__next(&seed) % sizeof(in);
		for (i = 0; i < len; i++) {
			uint64_t r = rng__next(&seed);
			unsigned char b = r >> 8;

			/* mostly high bytes, where the UTF-8 cases are */
			in[i] = (r & 3) ? 0x80 | b : b;
		}
		buf = NULL;
		f = open_memstream(&buf, &n);
		assert_non_null(f);
		assert_int_equal(json__escape(f, (const char *)in, len), 0);
		assert_int_equal(fclose(f), 0);
		if (!json__is_string_body((unsigned char *)buf, n)) {
			print_error("round %d: invalid output\n", round);
			fail();
		}
		/* valid input without anything to escape must come out unchanged */
		if (utf8__is_valid(in, len) && !memchr(in, '"', len) && !memchr(in, '\\', len)) {
			for (i = 0; i < len && in[i] >= 0x20; i++)
				;
			if (i == len) {
				assert_int_equal(n, len);
				assert_memory_equal(buf, in, len);
			}
		}
		free(buf);
	}
}

/* Ends the array on both streams and checks the writer produced exactly the expected bytes. */
static void expect_same_array(struct jw *w, FILE *fg, FILE *fw, char **got, size_t *ngot,
			      char **want, size_t *nwant)
{
	jw__arr_end(w);
	fputc(']', fw);
	jw__release(w);
	assert_false(jw__error(w));
	assert_int_equal(fclose(fg), 0);
	assert_int_equal(fclose(fw), 0);
	assert_int_equal(*ngot, *nwant);
	assert_memory_equal(*got, *want, *nwant);
	free(*got);
	free(*want);
}

/*
 * Strings go through a word-at-a-time path when nothing in them needs
 * escaping: the same bytes as json__escape's byte loop must come out, for
 * every length around the word sizes, a byte to escape at every place, and
 * at every fill of the writer's buffer (a held writer, strings appended
 * until it has wrapped several times). Each input is a heap block of exactly
 * its length, so ASan sees a read past it.
 */
static void test_str_words_match_escape(void **state)
{
	static const unsigned char special[] = { '"', '\\', '\n', 0x01, 0x1f, 0x7f, 0x80, 0xc3, 0xff };
	uint64_t seed = 0x2545f4914f6cdd1dull;
	char *got = NULL, *want = NULL;
	size_t ngot = 0, nwant = 0;
	FILE *fg = open_memstream(&got, &ngot), *fw = open_memstream(&want, &nwant);
	struct jw w;

	assert_non_null(fg);
	assert_non_null(fw);
	jw__init(&w, fg);
	jw__hold(&w);
	jw__arr_begin(&w);
	fputc('[', fw);
	for (int round = 0; round < 20000; round++) {
		size_t len = rng__next(&seed) % 41;
		unsigned char *in = malloc(len ? len : 1);

		assert_non_null(in);
		for (size_t i = 0; i < len; i++)
			in[i] = 0x20 + rng__next(&seed) % 0x5f; /* printable ASCII */
		/* half of them: one or two bytes that need more than a copy */
		for (int k = rng__next(&seed) % 4; len && k > 1; k--)
			in[rng__next(&seed) % len] = special[rng__next(&seed) % sizeof(special)];
		jw__strn(&w, (const char *)in, len);
		if (round)
			fputc(',', fw);
		fputc('"', fw);
		assert_int_equal(json__escape(fw, (const char *)in, len), 0);
		fputc('"', fw);
		free(in);
	}
	expect_same_array(&w, fg, fw, &got, &ngot, &want, &nwant);
}

/* Numbers are written in place: every digit count, and across a buffer boundary. */
static void test_numbers_every_width(void **state)
{
	char *got = NULL, *want = NULL;
	size_t ngot = 0, nwant = 0;
	FILE *fg = open_memstream(&got, &ngot), *fw = open_memstream(&want, &nwant);
	struct jw w;
	uint64_t v = 1;

	assert_non_null(fg);
	assert_non_null(fw);
	jw__init(&w, fg);
	jw__hold(&w);
	jw__arr_begin(&w);
	fputc('[', fw);
	for (int round = 0; round < 2000; round++) {
		uint64_t x = round % 3 == 0 ? v - 1 : round % 3 == 1 ? v : v * 7 + 3;

		if (round)
			fputc(',', fw);
		jw__u64(&w, x);
		jw__ns_as_us(&w, x);
		fprintf(fw, "%llu,%llu.%03llu", (unsigned long long)x,
			(unsigned long long)(x / 1000), (unsigned long long)(x % 1000));
		v = v > UINT64_MAX / 10 ? 1 : v * 10;
	}
	jw__u64(&w, UINT64_MAX);
	jw__ns_as_us(&w, UINT64_MAX);
	fprintf(fw, ",%llu,%llu.%03llu", (unsigned long long)UINT64_MAX,
		(unsigned long long)(UINT64_MAX / 1000), (unsigned long long)(UINT64_MAX % 1000));
	expect_same_array(&w, fg, fw, &got, &ngot, &want, &nwant);
}

static size_t utf8__encode(uint32_t cp, unsigned char *p)
{
	if (cp < 0x80) {
		p[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = 0xc0 | cp >> 6;
		p[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = 0xe0 | cp >> 12;
		p[1] = 0x80 | (cp >> 6 & 0x3f);
		p[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	p[0] = 0xf0 | cp >> 18;
	p[1] = 0x80 | (cp >> 12 & 0x3f);
	p[2] = 0x80 | (cp >> 6 & 0x3f);
	p[3] = 0x80 | (cp & 0x3f);
	return 4;
}

static void test_utf8_random_valid_unchanged(void **state)
{
	uint64_t seed = 12345;
	unsigned char in[4 * 32 + 1];
	size_t len, i;
	int round;

	for (round = 0; round < 5000; round++) {
		len = 0;
		for (i = 0; i < 32; i++) {
			uint32_t cp = 0x80 + rng__next(&seed) % (0x110000 - 0x80);

			if (cp >= 0xd800 && cp <= 0xdfff)
				cp -= 0x800;
			len += utf8__encode(cp, in + len);
		}
		in[len] = '\0';
		escape__expect((const char *)in, len, (const char *)in);
	}
}

/* ---- numbers --------------------------------------------------------------------- */

static void test_ns_as_us(void **state)
{
	struct out *o = *state;
	static const uint64_t ns[] = { 0, 5, 999, 1000, 1001, 1234567, 1000000000, UINT64_MAX };
	size_t i;

	jw__arr_begin(&o->w);
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		jw__ns_as_us(&o->w, ns[i]);
	jw__arr_end(&o->w);
	out__expect(o, "[0.000,0.005,0.999,1.000,1.001,1234.567,1000000.000,"
		       "18446744073709551.615]");
	assert_false(jw__error(&o->w));
}

static void test_ns_as_us_as_value(void **state)
{
	struct out *o = *state;

	jw__obj_begin(&o->w);
	jw__key(&o->w, "ts");
	jw__ns_as_us(&o->w, 1000);
	jw__obj_end(&o->w);
	out__expect(o, "{\"ts\":1.000}");
}

/* ---- misuse ---------------------------------------------------------------------- */

static void test_misuse_end_without_begin(void **state)
{
	struct out *o = *state;

	jw__obj_end(&o->w);
	assert_true(jw__error(&o->w));
	out__expect(o, "");
}

static void test_misuse_arr_end_without_begin(void **state)
{
	struct out *o = *state;

	jw__arr_end(&o->w);
	assert_true(jw__error(&o->w));
	out__expect(o, "");
}

static void test_misuse_end_twice(void **state)
{
	struct out *o = *state;

	jw__arr_begin(&o->w);
	jw__arr_end(&o->w);
	assert_false(jw__error(&o->w));
	jw__arr_end(&o->w);
	assert_true(jw__error(&o->w));
	out__expect(o, "[]");
}

static void test_misuse_mismatched_end(void **state)
{
	struct out *o = *state;

	jw__arr_begin(&o->w);
	jw__obj_end(&o->w);
	assert_true(jw__error(&o->w));
	out__expect(o, "[");
}

static void test_misuse_value_without_key(void **state)
{
	struct out *o = *state;

	jw__obj_begin(&o->w);
	jw__u64(&o->w, 1);
	assert_true(jw__error(&o->w));
	out__expect(o, "{");
}

static void test_misuse_container_without_key(void **state)
{
	struct out *o = *state;

	jw__obj_begin(&o->w);
	jw__key(&o->w, "a");
	jw__u64(&o->w, 1);
	jw__arr_begin(&o->w);
	assert_true(jw__error(&o->w));
	out__expect(o, "{\"a\":1");
}

static void test_misuse_key_in_array(void **state)
{
	struct out *o = *state;

	jw__arr_begin(&o->w);
	jw__u64(&o->w, 1);
	jw__key(&o->w, "a");
	assert_true(jw__error(&o->w));
	out__expect(o, "[1");
}

static void test_misuse_key_at_top_level(void **state)
{
	struct out *o = *state;

	jw__key(&o->w, "a");
	assert_true(jw__error(&o->w));
	out__expect(o, "");
}

static void test_misuse_two_keys(void **state)
{
	struct out *o = *state;

	jw__obj_begin(&o->w);
	jw__key(&o->w, "a");
	jw__key(&o->w, "b");
	assert_true(jw__error(&o->w));
	out__expect(o, "{\"a\":");
}

static void test_misuse_key_without_value(void **state)
{
	struct out *o = *state;

	jw__obj_begin(&o->w);
	jw__key(&o->w, "a");
	jw__obj_end(&o->w);
	assert_true(jw__error(&o->w));
	out__expect(o, "{\"a\":");
}

static void test_misuse_null_key(void **state)
{
	struct out *o = *state;

	jw__obj_begin(&o->w);
	jw__key(&o->w, NULL);
	assert_true(jw__error(&o->w));
	out__expect(o, "{");
}

static void test_misuse_too_deep(void **state)
{
	struct out *o = *state;
	char want[4 * JW_MAX_DEPTH + 1] = "";
	int i;

	for (i = 0; i < JW_MAX_DEPTH; i++) {
		jw__obj_begin(&o->w);
		jw__key(&o->w, "");
		strcat(want, "{\"\":");
	}
	assert_false(jw__error(&o->w));
	jw__arr_begin(&o->w);
	assert_true(jw__error(&o->w));
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw__obj_end(&o->w);
	/* neither the refused bracket nor anything after it */
	out__expect(o, want);
}

static void test_misuse_freezes_writer(void **state)
{
	struct out *o = *state;
	struct jw *w = &o->w;

	jw__arr_begin(w);
	jw__u64(w, 1);
	jw__obj_end(w);
	/* everything after the misuse is dropped, even calls that would be valid */
	jw__u64(w, 2);
	jw__str(w, "x");
	jw__newline(w);
	jw__arr_end(w);
	assert_true(jw__error(w));
	out__expect(o, "[1");
}

/* ---- I/O errors ------------------------------------------------------------------ */

static void test_io_error_read_only_stream(void **state)
{
	FILE *f = fopen("/dev/null", "r");
	struct jw w;

	assert_non_null(f);
	jw__init(&w, f);
	assert_false(jw__error(&w));
	jw__obj_begin(&w);
	jw__key(&w, "a");
	jw__str(&w, "b");
	jw__obj_end(&w);
	assert_true(jw__error(&w));
	assert_int_equal(json__escape(f, "abc", 3), -1);
	fclose(f);
}

static void test_io_error_full_buffer(void **state)
{
	char buf[8];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct jw w;

	assert_non_null(f);
	jw__init(&w, f);
	jw__str(&w, "longer than the eight byte buffer");
	/* stdio buffers the write; the error appears when the buffer goes out */
	fflush(f);
	assert_true(jw__error(&w));
	fclose(f);
}

static void test_io_error_unbuffered(void **state)
{
	char buf[8];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct jw w;

	assert_non_null(f);
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	assert_int_equal(json__escape(f, "0123456789abcdef", 16), -1);
	clearerr(f);
	rewind(f);
	jw__init(&w, f);
	jw__arr_begin(&w);
	jw__str(&w, "0123456789");
	/* the failed write froze the writer: no error from a later misuse needed */
	assert_true(w.error);
	assert_true(jw__error(&w));
	fclose(f);
}

/* A run longer than the buffer goes to the stream in one write: its failure counts too. */
static void test_io_error_long_string(void **state)
{
	char buf[8], *in = malloc(2 * JW_BUF_SIZE);
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct jw w;

	assert_non_null(in);
	assert_non_null(f);
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	memset(in, 'a', 2 * JW_BUF_SIZE);
	jw__init(&w, f);
	jw__strn(&w, in, 2 * JW_BUF_SIZE);
	assert_true(w.error);
	assert_true(jw__error(&w));
	fclose(f);
	free(in);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, out__setup, out__teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty_containers),
		T(test_top_level_empty),
		T(test_objects_in_array),
		T(test_arrays_in_object),
		T(test_value_types),
		T(test_key_escaped),
		T(test_max_depth_allowed),
		T(test_newline),
		T(test_newline_empty_array),
		cmocka_unit_test(test_escape_quote_backslash),
		cmocka_unit_test(test_escape_all_controls),
		cmocka_unit_test(test_escape_short_forms),
		cmocka_unit_test(test_escape_u_forms),
		cmocka_unit_test(test_escape_printable_ascii_unchanged),
		T(test_strn_embedded_nul),
		cmocka_unit_test(test_escape_long_runs),
		T(test_string_longer_than_buffer),
		cmocka_unit_test(test_utf8_valid_unchanged),
		cmocka_unit_test(test_utf8_stray_continuation),
		cmocka_unit_test(test_utf8_truncated),
		cmocka_unit_test(test_utf8_overlong),
		cmocka_unit_test(test_utf8_surrogates),
		cmocka_unit_test(test_utf8_above_max),
		cmocka_unit_test(test_utf8_never_valid_bytes),
		cmocka_unit_test(test_escape_random_bytes),
		cmocka_unit_test(test_str_words_match_escape),
		cmocka_unit_test(test_numbers_every_width),
		cmocka_unit_test(test_utf8_random_valid_unchanged),
		T(test_ns_as_us),
		T(test_ns_as_us_as_value),
		T(test_misuse_end_without_begin),
		T(test_misuse_arr_end_without_begin),
		T(test_misuse_end_twice),
		T(test_misuse_mismatched_end),
		T(test_misuse_value_without_key),
		T(test_misuse_container_without_key),
		T(test_misuse_key_in_array),
		T(test_misuse_key_at_top_level),
		T(test_misuse_two_keys),
		T(test_misuse_key_without_value),
		T(test_misuse_null_key),
		T(test_misuse_too_deep),
		T(test_misuse_freezes_writer),
		cmocka_unit_test(test_io_error_read_only_stream),
		cmocka_unit_test(test_io_error_full_buffer),
		cmocka_unit_test(test_io_error_unbuffered),
		cmocka_unit_test(test_io_error_long_string),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
