// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Record files of --save-records (user/core/recfile.h) on streams that end or
 * fail exactly where a test wants: probes without an object, files cut short
 * at each part, read errors, and writes that fail at every byte. The bytes of
 * the format and a whole round trip are in test_decode.c.
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
#include <sys/types.h>

#include "recfile.h"

/*
 * A stream over bytes in memory that gives (or takes) the first limit bytes
 * and then fails with EIO, unbuffered so that each stdio call meets the
 * failure itself.
 */
struct cut_stream {
	char *data;
	size_t len, pos, limit;
};

static ssize_t cut__read(void *cookie, char *buf, size_t size)
{
	struct cut_stream *c = cookie;
	size_t n = c->len - c->pos;

	if (c->pos >= c->limit) {
		errno = EIO;
		return -1;
	}
	if (n > c->limit - c->pos)
		n = c->limit - c->pos;
	if (n > size)
		n = size;
	memcpy(buf, c->data + c->pos, n);
	c->pos += n;
	return (ssize_t)n;
}

static ssize_t cut__write(void *cookie, const char *buf, size_t size)
{
	struct cut_stream *c = cookie;
	size_t n = size;

	if (c->pos >= c->limit) {
		errno = EIO;
		return 0; /* fopencookie(3): a write that fails returns 0, never -1 */
	}
	if (n > c->limit - c->pos)
		n = c->limit - c->pos;
	c->data = realloc(c->data, c->pos + n);
	assert_non_null(c->data);
	memcpy(c->data + c->pos, buf, n);
	c->pos += n;
	c->len = c->pos;
	return (ssize_t)n;
}

static int cut__close(void *cookie)
{
	return 0;
}

static FILE *cut__open(struct cut_stream *c, const char *mode)
{
	cookie_io_functions_t io = { .read = cut__read, .write = cut__write, .close = cut__close };
	FILE *f = fopencookie(c, mode, io);

	assert_non_null(f);
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	return f;
}

/* The probe table of these tests: one function of the executable, one pair end in a library. */
static struct probe probe_v[] = {
	{ .name = "main_loop", .func = "main_loop", .object = NULL, .role = SPEC_FUNC },
	{ .name = "req_end", .func = "req_end", .object = "/usr/lib/libreq.so", .role = SPEC_END,
	  .pair = 2 },
};
static const struct probe_table probes = { .v = probe_v, .n = 2 };

/* A whole record file in memory: the header above, then records. */
struct file {
	char *buf;
	size_t len;
};

static struct file file__make(const char *const *records, size_t n)
{
	struct file fl = { 0 };
	FILE *f = open_memstream(&fl.buf, &fl.len);

	assert_non_null(f);
	assert_int_equal(recfile__write_header(f, 4242, &probes), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(recfile__write_record(f, records[i], strlen(records[i])), 0);
	assert_int_equal(fclose(f), 0);
	return fl;
}

/*
 * Opens fl as a file that ends after end bytes and whose bytes from limit on
 * cannot be read (EIO), expecting the header to read.
 */
static void file__open(const struct file *fl, size_t end, size_t limit, struct cut_stream *c,
		       struct recfile *rf)
{
	char err[256] = "";

	*c = (struct cut_stream){ .data = fl->buf, .len = end, .limit = limit };
	assert_int_equal(recfile__open(cut__open(c, "r"), "recs", rf, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* The header's size: everything before the first record's length. */
static size_t header_len(void)
{
	struct file fl = file__make(NULL, 0);
	size_t len = fl.len;

	free(fl.buf);
	return len;
}

/* A probe without an object is written as "" and read back as NULL, as it was. */
static void test_probe_without_object(void **state)
{
	struct file fl = file__make(NULL, 0);
	struct cut_stream c;
	struct recfile rf;

	file__open(&fl, fl.len, SIZE_MAX, &c, &rf);
	assert_int_equal(rf.target_pid, 4242);
	assert_int_equal(rf.probes.n, 2);
	assert_string_equal(rf.probes.v[0].name, "main_loop");
	assert_string_equal(rf.probes.v[0].func, "main_loop");
	assert_null(rf.probes.v[0].object);
	assert_int_equal(rf.probes.v[0].role, SPEC_FUNC);
	assert_int_equal(rf.probes.v[0].name_arg, -1);
	assert_string_equal(rf.probes.v[1].name, "req_end");
	assert_string_equal(rf.probes.v[1].object, "/usr/lib/libreq.so");
	assert_int_equal(rf.probes.v[1].role, SPEC_END);
	assert_int_equal(rf.probes.v[1].pair, 2);
	assert_int_equal(rf.probes.v[1].name_arg, -1);
	recfile__close(&rf);
	free(fl.buf);
}

/* A file that ends after the target pid, before the number of probes. */
static void test_header_without_probe_count(void **state)
{
	static const char text[] = "SPANREC1\x07\0\0\0";
	struct cut_stream c = { .data = (char *)text, .len = sizeof(text) - 1, .limit = SIZE_MAX };
	struct recfile rf;
	char err[256];

	assert_int_equal(recfile__open(cut__open(&c, "r"), "recs", &rf, err, sizeof(err)), -1);
	assert_string_equal(err, "recs: the probe table is cut short");
	assert_null(rf.f);
}

/*
 * A file cut short in a record, in its length or in the bytes the caller
 * asked for: the records before it, then the end, marked truncated. Cut
 * between records, the end is clean.
 */
static void test_record_cut_short(void **state)
{
	static const char *const records[] = { "first", "second record" };
	struct file fl = file__make(records, 2);
	size_t second = fl.len - strlen(records[1]) - 4; /* where its length starts */
	char buf[64];
	uint32_t size;

	for (size_t end = second; end < fl.len; end++) {
		struct cut_stream c;
		struct recfile rf;

		file__open(&fl, end, SIZE_MAX, &c, &rf);
		assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 1);
		assert_int_equal(size, 5);
		assert_memory_equal(buf, "first", 5);
		assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 0);
		assert_int_equal(rf.truncated, end > second);
		assert_int_equal(rf.nrecords, 1);
		recfile__close(&rf);
	}
	free(fl.buf);
}

/*
 * A read that fails is not the end of the file: -1 (errno from the stream),
 * whether it fails in a record's length or in its bytes.
 */
static void test_read_error(void **state)
{
	static const char *const records[] = { "only record" };
	struct file fl = file__make(records, 1);
	size_t start = header_len();
	char buf[64];
	uint32_t size;

	assert_int_equal(start + 4 + strlen(records[0]), fl.len);
	for (size_t limit = start; limit < fl.len; limit++) {
		struct cut_stream c;
		struct recfile rf;

		file__open(&fl, fl.len, limit, &c, &rf);
		errno = 0;
		assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), -1);
		assert_int_equal(errno, EIO);
		assert_false(rf.truncated);
		assert_int_equal(rf.nrecords, 0);
		recfile__close(&rf);
	}
	free(fl.buf);
}

/* Writes that fail at any byte of the header, or of a record, fail the call. */
static void test_write_error_at_every_byte(void **state)
{
	struct file fl = file__make(NULL, 0);

	for (size_t limit = 0; limit <= fl.len; limit++) {
		struct cut_stream c = { .limit = limit };
		FILE *f = cut__open(&c, "w");

		assert_int_equal(recfile__write_header(f, 4242, &probes), limit < fl.len ? -1 : 0);
		assert_int_equal(c.len, limit);
		if (c.len)
			assert_memory_equal(c.data, fl.buf, c.len);
		fclose(f);
		free(c.data);
	}
	for (size_t limit = 0; limit <= 4 + 3; limit++) {
		struct cut_stream c = { .limit = limit };
		FILE *f = cut__open(&c, "w");

		assert_int_equal(recfile__write_record(f, "abc", 3), limit < 7 ? -1 : 0);
		assert_int_equal(c.len, limit);
		fclose(f);
		free(c.data);
	}
	free(fl.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_without_object),
		cmocka_unit_test(test_header_without_probe_count),
		cmocka_unit_test(test_record_cut_short),
		cmocka_unit_test(test_read_error),
		cmocka_unit_test(test_write_error_at_every_byte),
	};

	return cmocka_run_group_tests_name("recfile", tests, NULL, NULL);
}
