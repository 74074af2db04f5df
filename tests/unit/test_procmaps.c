/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * procmaps: parsing /proc/PID/maps text and reading a live process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "procmaps.h"

static const char maps_text[] =
	"55d0c0a00000-55d0c0a01000 r--p 00000000 fd:01 1234   /usr/bin/app\n"
	"55d0c0a01000-55d0c0a02000 r-xp 00001000 fd:01 1234   /usr/bin/app\n"
	"55d0c0a02000-55d0c0a03000 rw-p 00002000 fd:01 1234   /usr/bin/app\n"
	"55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0   [heap]\n"
	"7f0000000000-7f0000001000 rwxp 00000000 00:00 0 \n"
	"7f0000100000-7f0000128000 r--p 00000000 103:02 99   /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f0000128000-7f00002bd000 r-xp 00028000 103:02 99   /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f0000300000-7f0000301000 r-xp 00000000 fd:01 77   /tmp/old.so (deleted)\n"
	"7f0000400000-7f0000401000 r-xp 00000000 fd:01 88   /opt/my dir/lib sp.so\n"
	"7f0000500000-7f0000501000 r--p 00000000 fd:01 55   /usr/lib/libdata.so\n"
	"7f0000600000-7f0000601000 r-xp 00001000 103:02 99   /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0   [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0   [vsyscall]";

static void test_parse_literal(void **state)
{
	struct mapped_objs m;

	assert_int_equal(mapped_objs__parse(maps_text, "/usr/bin/app", &m), 0);
	assert_int_equal(m.n, 3);

	assert_string_equal(m.v[0].path, "/usr/bin/app");
	assert_int_equal(m.v[0].inode, 1234);
	assert_int_equal(m.v[0].dev_major, 0xfd);
	assert_int_equal(m.v[0].dev_minor, 1);
	assert_true(m.v[0].is_main);

	assert_string_equal(m.v[1].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_int_equal(m.v[1].inode, 99);
	assert_int_equal(m.v[1].dev_major, 0x103);
	assert_int_equal(m.v[1].dev_minor, 2);
	assert_false(m.v[1].is_main);

	/* Spaces inside a path are kept. */
	assert_string_equal(m.v[2].path, "/opt/my dir/lib sp.so");
	assert_int_equal(m.v[2].inode, 88);
	assert_false(m.v[2].is_main);

	mapped_objs__free(&m);
	assert_null(m.v);
	assert_int_equal(m.n, 0);
	mapped_objs__free(&m);
}

static void test_parse_no_exe(void **state)
{
	struct mapped_objs m;
	size_t i;

	assert_int_equal(mapped_objs__parse(maps_text, NULL, &m), 0);
	assert_int_equal(m.n, 3);
	for (i = 0; i < m.n; i++)
		assert_false(m.v[i].is_main);
	mapped_objs__free(&m);

	/* An exe path that is not mapped executable marks nothing. */
	assert_int_equal(mapped_objs__parse(maps_text, "/usr/lib/libdata.so", &m), 0);
	for (i = 0; i < m.n; i++)
		assert_false(m.v[i].is_main);
	mapped_objs__free(&m);
}

static void test_parse_empty_and_bad(void **state)
{
	struct mapped_objs m;

	assert_int_equal(mapped_objs__parse("", "/x", &m), 0);
	assert_int_equal(m.n, 0);
	mapped_objs__free(&m);

	assert_int_equal(mapped_objs__parse("\n\n", "/x", &m), 0);
	assert_int_equal(m.n, 0);
	mapped_objs__free(&m);

	/* A broken line after a good one: error, and nothing is leaked. */
	assert_int_equal(mapped_objs__parse("1000-2000 r-xp 00000000 fd:01 5 /a\n"
					    "this is not a maps line\n",
					    "/a", &m),
			 -EINVAL);
	assert_null(m.v);
	assert_int_equal(m.n, 0);
}

static void test_load_self(void **state)
{
	char exe[PATH_MAX];
	struct mapped_objs m;
	size_t i, mains = 0;
	bool libc = false;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';

	assert_int_equal(mapped_objs__load(getpid(), &m), 0);
	assert_true(m.n >= 2);
	for (i = 0; i < m.n; i++) {
		const char *base = strrchr(m.v[i].path, '/') + 1;

		assert_int_equal(m.v[i].path[0], '/');
		if (m.v[i].is_main) {
			mains++;
			assert_string_equal(m.v[i].path, exe);
			assert_true(m.v[i].inode != 0);
		}
		if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5))
			libc = true;
	}
	assert_int_equal(mains, 1);
	assert_true(libc);
	mapped_objs__free(&m);
}

static void test_load_missing(void **state)
{
	struct mapped_objs m;

	/* Above any possible pid_max (2^22). */
	assert_int_equal(mapped_objs__load(INT_MAX, &m), -ESRCH);
	assert_null(m.v);
	assert_int_equal(mapped_objs__load(0, &m), -ESRCH);
	assert_int_equal(mapped_objs__load(-1, &m), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_literal),
		cmocka_unit_test(test_parse_no_exe),
		cmocka_unit_test(test_parse_empty_and_bad),
		cmocka_unit_test(test_load_self),
		cmocka_unit_test(test_load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
