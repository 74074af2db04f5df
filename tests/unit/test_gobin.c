/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gobin: Go version and runtime.g offsets of the Go fixtures built by
 * `make fixtures` (FIXTURE_DIR): fx_go (DWARF), fx_go_stripped,
 * fx_go_nodwarf, and stripped copies retagged as Go 1.16 and Go 1.99.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture_files.h"
#include "gobin.h"

#define FX(name) FIXTURE_DIR "/" name

static void inspect_ok(const char *path, struct gobin *g)
{
	char err[256] = "";
	int ret = gobin__inspect(path, g, err, sizeof(err));

	if (ret)
		print_error("gobin__inspect(%s): %d %s\n", path, ret, err);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
}

static void check_ok(const struct gobin *g, const char *path)
{
	char err[512] = "";

	if (gobin__check(g, path, err, sizeof(err)))
		fail_msg("gobin__check(%s): %s", path, err);
	assert_string_equal(err, "");
}

/* check() fails with exactly want. */
static void check_fails(const struct gobin *g, const char *path, const char *want)
{
	char err[512] = "";

	assert_int_equal(gobin__check(g, path, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_null(strchr(err, '\n'));
}

static void test_parse_version(void **state)
{
	static const struct {
		const char *v;
		bool ok;
		int major, minor;
	} cases[] = {
		{ "go1.19.8", true, 1, 19 },
		{ "go1.17", true, 1, 17 },
		{ "go1.21rc2", true, 1, 21 },
		{ "go1.20beta1", true, 1, 20 },
		{ "go1.22.0 X:loopvar", true, 1, 22 },
		{ "go1.99.8", true, 1, 99 },
		{ "go1.9.7", true, 1, 9 },
		{ "devel go1.23-1234abcd Tue Jan 2 15:04:05 2024 +0000", false, 0, 0 },
		{ "", false, 0, 0 },
		{ "go", false, 0, 0 },
		{ "go1", false, 0, 0 },
		{ "go1.", false, 0, 0 },
		{ "go1.x", false, 0, 0 },
		{ "go1.19junk", false, 0, 0 },
		{ "go-1.19", false, 0, 0 },
		{ "1.19.8", false, 0, 0 },
		{ "go0.5", false, 0, 0 },
		{ "go1.99999999999999999999", false, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int major = -1, minor = -1;
		bool ok = gobin__parse_version(cases[i].v, &major, &minor);

		if (ok != cases[i].ok || major != cases[i].major || minor != cases[i].minor)
			fail_msg("'%s': got %d %d.%d", cases[i].v, ok, major, minor);
	}
}

static void test_version_table(void **state)
{
	static const struct {
		int major, minor;
		uint32_t goid;
	} cases[] = {
		{ 1, 16, 0 }, { 1, 17, 152 }, { 1, 19, 152 }, { 1, 22, 152 }, { 1, 23, 160 },
		{ 1, 24, 160 }, { 1, 25, 152 }, { 1, 26, 0 }, { 2, 0, 0 }, { 0, 0, 0 },
	};
	uint32_t goid, hi;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = gobin__table_offsets(cases[i].major, cases[i].minor, &goid, &hi);

		if (ok != (cases[i].goid != 0) || goid != cases[i].goid ||
		    hi != (cases[i].goid ? 8 : 0))
			fail_msg("go%d.%d: got %d goid %u hi %u", cases[i].major, cases[i].minor,
				 ok, goid, hi);
	}
}

/*
 * DWARF and the version table agree for the Go that built the fixture:
 * this is where the table is checked against the real runtime.g.
 */
static void test_dwarf(void **state)
{
	struct timespec t0, t1;
	uint32_t goid, hi;
	struct gobin g;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	inspect_ok(FX("fx_go"), &g);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("fx_go: %s, runtime.g.goid at %u from %s in %.1f ms\n", g.version,
		      g.goid_off, g.goid_from,
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_true(g.is_go);
	assert_true(g.x86_64);
	assert_true(g.has_dwarf);
	assert_int_equal(strncmp(g.version, "go1.", 4), 0);
	assert_int_equal(g.major, 1);
	assert_true(g.minor >= 17);
	assert_non_null(g.goid_from);
	assert_string_equal(g.goid_from, "DWARF");
	assert_int_equal(g.stack_hi_off, 8);
	assert_true(gobin__table_offsets(g.major, g.minor, &goid, &hi));
	assert_int_equal(g.goid_off, goid);
	assert_int_equal(g.stack_hi_off, hi);
	if (g.minor == 19)
		assert_int_equal(g.goid_off, 152);
	check_ok(&g, FX("fx_go"));
}

/* Without DWARF the same offsets come from the table. */
static void assert_from_table(const char *path)
{
	struct gobin dw, g;

	inspect_ok(FX("fx_go"), &dw);
	inspect_ok(path, &g);
	assert_true(g.is_go);
	assert_false(g.has_dwarf);
	assert_string_equal(g.version, dw.version);
	assert_int_equal(g.major, dw.major);
	assert_int_equal(g.minor, dw.minor);
	assert_non_null(g.goid_from);
	assert_string_equal(g.goid_from, "version table");
	assert_int_equal(g.goid_off, dw.goid_off);
	assert_int_equal(g.stack_hi_off, dw.stack_hi_off);
	check_ok(&g, path);
}

static void test_stripped(void **state)
{
	assert_from_table(FX("fx_go_stripped"));
}

static void test_nodwarf(void **state)
{
	assert_from_table(FX("fx_go_nodwarf"));
}

static void test_not_go(void **state)
{
	static const char *const paths[] = { FX("fx_pie"), FX("fx_nopie"), FX("libfx.so"),
					     FX("fx_pie_stripped"), FX("fx_notelf"), "/dev/null" };
	struct gobin g;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		inspect_ok(paths[i], &g);
		assert_false(g.is_go);
		assert_string_equal(g.version, "");
		assert_int_equal(g.goid_off, 0);
		assert_null(g.goid_from);
		check_ok(&g, paths[i]);
	}
}

/* From the bytes in memory (what the fuzz harness reads): what the file gives. */
static void test_inspect_mem(void **state)
{
	static const char *const paths[] = { FX("fx_go"), FX("fx_go_stripped"),
					     FX("fx_go_nodwarf"), FX("fx_go_old"),
					     FX("fx_go_unknown"), FX("fx_pie"), FX("fx_notelf") };
	size_t i, len;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		unsigned char *buf = slurp(paths[i], &len);
		struct gobin file, mem;

		inspect_ok(paths[i], &file);
		assert_int_equal(gobin__inspect_mem(buf, len, &mem), 0);
		assert_int_equal(mem.is_go, file.is_go);
		assert_int_equal(mem.x86_64, file.x86_64);
		assert_string_equal(mem.version, file.version);
		assert_int_equal(mem.major, file.major);
		assert_int_equal(mem.minor, file.minor);
		assert_int_equal(mem.has_dwarf, file.has_dwarf);
		assert_int_equal(mem.goid_off, file.goid_off);
		assert_int_equal(mem.stack_hi_off, file.stack_hi_off);
		assert_ptr_equal(mem.goid_from, file.goid_from);
		free(buf);
	}
}

static void test_unreadable(void **state)
{
	char err[256] = "";
	struct gobin g;

	assert_int_equal(gobin__inspect(FX("no_such_file"), &g, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no_such_file"));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_false(g.is_go);
	assert_int_equal(gobin__inspect(FIXTURE_DIR, &g, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "is a directory"));
	assert_null(strchr(err, '\n'));
}

static void test_old(void **state)
{
	char want[512];
	struct gobin g;

	inspect_ok(FX("fx_go_old"), &g);
	assert_true(g.is_go);
	assert_int_equal(strncmp(g.version, "go1.16.", 7), 0);
	assert_int_equal(g.major, 1);
	assert_int_equal(g.minor, 16);
	assert_int_equal(g.goid_off, 0);
	snprintf(want, sizeof(want),
		 "%s was built with %s, before Go's register ABI (1.17): spantrace reads the current goroutine from register r14; rebuild it with Go 1.17 or later",
		 FX("fx_go_old"), g.version);
	check_fails(&g, FX("fx_go_old"), want);
}

static void test_unknown(void **state)
{
	char want[512];
	struct gobin g;

	inspect_ok(FX("fx_go_unknown"), &g);
	assert_true(g.is_go);
	assert_int_equal(strncmp(g.version, "go1.99.", 7), 0);
	assert_int_equal(g.minor, 99);
	assert_int_equal(g.goid_off, 0);
	assert_null(g.goid_from);
	snprintf(want, sizeof(want),
		 "%s was built with %s, a Go version spantrace does not know, and has no DWARF to read runtime.g from: rebuild it without -ldflags=-w, or trace a binary built with Go 1.17 to 1.25",
		 FX("fx_go_unknown"), g.version);
	check_fails(&g, FX("fx_go_unknown"), want);
}

/* The messages of the cases no fixture produces. */
static void test_check_messages(void **state)
{
	struct gobin g = { .is_go = true, .x86_64 = true };

	check_fails(&g, "/x/prog",
		    "/x/prog does not say which Go version built it and has no DWARF to read runtime.g from: rebuild it without -ldflags=-w, or trace a binary built with Go 1.17 to 1.25");
	g.has_dwarf = true;
	check_fails(&g, "/x/prog",
		    "/x/prog does not say which Go version built it and its DWARF does not describe runtime.g: trace a binary built with Go 1.17 to 1.25");
	/* A devel toolchain whose DWARF gave the offsets is fine. */
	g.goid_off = 160;
	g.stack_hi_off = 8;
	check_ok(&g, "/x/prog");
	g.x86_64 = false;
	check_fails(&g, "/x/prog",
		    "/x/prog is a Go program for another architecture: spantrace traces x86-64 programs only; build it with GOARCH=amd64");
	/* Old is old, DWARF or not. */
	g = (struct gobin){ .is_go = true, .x86_64 = true, .version = "go1.16.15", .major = 1,
			    .minor = 16, .has_dwarf = true, .goid_off = 152, .stack_hi_off = 8 };
	check_fails(&g, "p",
		    "p was built with go1.16.15, before Go's register ABI (1.17): spantrace reads the current goroutine from register r14; rebuild it with Go 1.17 or later");
}

/* --- copies of fx_go_stripped, patched -------------------------------------- */

static void write_tmp(char *path, const void *buf, size_t len)
{
	int fd;

	strcpy(path, "/tmp/test_gobin.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * The Go 1.17 and older .go.buildinfo: flags without 2, and two pointers to
 * Go string headers. Here the first one points into the blob itself.
 */
static void write_old_buildinfo(char *path, const char *version, uint64_t str_addr_delta)
{
	uint64_t off, addr, size;
	unsigned char *buf, *bi;
	size_t len;

	section_of(FX("fx_go_stripped"), ".go.buildinfo", &off, &addr, &size);
	assert_true(size >= 96);
	buf = slurp(FX("fx_go_stripped"), &len);
	bi = buf + off;
	memset(bi + 16, 0, (size_t)size - 16);
	bi[14] = 8;
	bi[15] = 0;
	put64(bi + 16, addr + 48);		/* &runtime.buildVersion */
	put64(bi + 24, 0);			/* &runtime.modinfo */
	put64(bi + 48, addr + 64 + str_addr_delta);	/* its data */
	put64(bi + 56, strlen(version));	/* its len */
	memcpy(bi + 64, version, strlen(version));
	write_tmp(path, buf, len);
	free(buf);
}

static void test_old_buildinfo(void **state)
{
	char path[64];
	struct gobin g;

	write_old_buildinfo(path, "go1.17.13", 0);
	inspect_ok(path, &g);
	assert_true(g.is_go);
	assert_string_equal(g.version, "go1.17.13");
	assert_int_equal(g.minor, 17);
	assert_int_equal(g.goid_off, 152);
	assert_string_equal(g.goid_from, "version table");
	check_ok(&g, path);
	unlink(path);

	/* The string's data pointer leads nowhere: no version, no crash. */
	write_old_buildinfo(path, "go1.17.13", 1ull << 40);
	inspect_ok(path, &g);
	assert_true(g.is_go);
	assert_string_equal(g.version, "");
	assert_int_equal(g.goid_off, 0);
	unlink(path);
}

/* Without section headers, .go.buildinfo is found in the writable segment. */
static void test_no_section_headers(void **state)
{
	uint32_t goid, hi;
	Elf64_Ehdr *eh;
	unsigned char *buf;
	char path[64];
	struct gobin g;
	size_t len;

	buf = slurp(FX("fx_go_stripped"), &len);
	eh = (Elf64_Ehdr *)buf;
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_shstrndx = 0;
	write_tmp(path, buf, len);
	free(buf);
	inspect_ok(path, &g);
	assert_true(g.is_go);
	assert_int_equal(strncmp(g.version, "go1.", 4), 0);
	assert_true(gobin__table_offsets(g.major, g.minor, &goid, &hi));
	assert_int_equal(g.goid_off, goid);
	unlink(path);
}

/* Cut short or scribbled over: inspect still returns, and never crashes. */
static void test_damaged(void **state)
{
	static const size_t cuts[] = { 1, 64, 4096, 0x100000 };
	unsigned char *buf;
	char path[64];
	struct gobin g;
	unsigned seed = 1;
	size_t len, i;
	int round;

	buf = slurp(FX("fx_go"), &len);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (cuts[i] >= len)
			continue;
		write_tmp(path, buf, cuts[i]);
		inspect_ok(path, &g);
		unlink(path);
	}
	write_tmp(path, buf, len - len / 4);
	inspect_ok(path, &g);
	unlink(path);
	/* Random bytes all over, DWARF included. */
	for (round = 0; round < 8; round++) {
		unsigned char *copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, buf, len);
		for (i = 0; i < 256; i++)
			copy[64 + (size_t)rand_r(&seed) % (len - 64)] = (unsigned char)rand_r(&seed);
		write_tmp(path, copy, len);
		free(copy);
		inspect_ok(path, &g);
		unlink(path);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_version_table),
		cmocka_unit_test(test_dwarf),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_nodwarf),
		cmocka_unit_test(test_not_go),
		cmocka_unit_test(test_inspect_mem),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_old),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_check_messages),
		cmocka_unit_test(test_old_buildinfo),
		cmocka_unit_test(test_no_section_headers),
		cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
