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
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static void assert_obj(const struct mapped_obj *o, const char *path, bool deleted, uint64_t start,
		       uint64_t end, uint32_t major, uint32_t minor, uint64_t ino)
{
	assert_string_equal(o->path, path);
	assert_int_equal(o->deleted, deleted);
	assert_int_equal(o->start, start);
	assert_int_equal(o->end, end);
	assert_int_equal(o->id.major, major);
	assert_int_equal(o->id.minor, minor);
	assert_int_equal(o->id.ino, ino);
}

static void test_parse_literal(void **state)
{
	struct mapped_objs m;

	assert_int_equal(mapped_objs__parse(maps_text, &m), 0);
	assert_int_equal(m.n, 4);

	/* Each file keeps its first executable mapping: its map_files name. */
	assert_obj(&m.v[0], "/usr/bin/app", false, 0x55d0c0a01000, 0x55d0c0a02000, 0xfd, 1, 1234);
	/* libc is mapped executable twice: one entry. */
	assert_obj(&m.v[1], "/usr/lib/x86_64-linux-gnu/libc.so.6", false, 0x7f0000128000,
		   0x7f00002bd000, 0x103, 2, 99);
	/* A deleted file is kept, named without the kernel's suffix, and flagged. */
	assert_obj(&m.v[2], "/tmp/old.so", true, 0x7f0000300000, 0x7f0000301000, 0xfd, 1, 77);
	/* Spaces inside a path are kept. */
	assert_obj(&m.v[3], "/opt/my dir/lib sp.so", false, 0x7f0000400000, 0x7f0000401000, 0xfd,
		   1, 88);

	mapped_objs__free(&m);
	assert_null(m.v);
	assert_int_equal(m.n, 0);
	mapped_objs__free(&m);
}

/*
 * One entry per file, by device and inode: one path for two files (the old
 * one deleted, a new one there since) gives two, one inode number on two
 * devices too; one file mapped under two names (a hard link) gives one.
 */
static void test_parse_identity(void **state)
{
	static const char text[] =
		"1000-2000 r-xp 00000000 08:01 10   /usr/lib/libx.so (deleted)\n"
		"3000-4000 r-xp 00000000 08:01 11   /usr/lib/libx.so\n"
		"5000-6000 r-xp 00000000 08:02 11   /usr/lib/libx.so\n"
		"7000-8000 r-xp 00001000 08:01 10   /usr/lib/libx-link.so\n"
		"9000-a000 r-xp 00000000 00:01 1024   /memfd:jit (deleted)\n"
		"b000-c000 r-xp 00000000 08:01 12   /srv/a (deleted) (deleted)\n";
	struct mapped_objs m;

	assert_int_equal(mapped_objs__parse(text, &m), 0);
	assert_int_equal(m.n, 5);
	assert_obj(&m.v[0], "/usr/lib/libx.so", true, 0x1000, 0x2000, 8, 1, 10);
	assert_obj(&m.v[1], "/usr/lib/libx.so", false, 0x3000, 0x4000, 8, 1, 11);
	assert_obj(&m.v[2], "/usr/lib/libx.so", false, 0x5000, 0x6000, 8, 2, 11);
	assert_obj(&m.v[3], "/memfd:jit", true, 0x9000, 0xa000, 0, 1, 1024);
	/* Only the kernel's suffix goes: a name of its own that ends like it stays. */
	assert_obj(&m.v[4], "/srv/a (deleted)", true, 0xb000, 0xc000, 8, 1, 12);
	mapped_objs__free(&m);
}

static void test_parse_empty_and_bad(void **state)
{
	struct mapped_objs m;

	assert_int_equal(mapped_objs__parse("", &m), 0);
	assert_int_equal(m.n, 0);
	mapped_objs__free(&m);

	assert_int_equal(mapped_objs__parse("\n\n", &m), 0);
	assert_int_equal(m.n, 0);
	mapped_objs__free(&m);

	/* A broken line after a good one: error, and nothing is leaked. */
	assert_int_equal(mapped_objs__parse("1000-2000 r-xp 00000000 fd:01 5 /a\n"
					    "this is not a maps line\n",
					    &m),
			 -EINVAL);
	assert_null(m.v);
	assert_int_equal(m.n, 0);

	/* A mapping that ends where it starts (found by fuzzing): not a maps line. */
	assert_int_equal(mapped_objs__parse("400000-400000 r-xp 00000000 fd:00 12 /bin/a\n", &m),
			 -EINVAL);
	assert_int_equal(m.n, 0);
}

static void test_file_at(void **state)
{
	struct maps_file_id id;

	assert_int_equal(maps__file_at(maps_text, 0x55d0c0a00000, &id), 0);
	assert_int_equal(id.major, 0xfd);
	assert_int_equal(id.minor, 1);
	assert_int_equal(id.ino, 1234);
	/* Any mapping, executable or not, with or without a file. */
	assert_int_equal(maps__file_at(maps_text, 0x7f0000500000, &id), 0);
	assert_int_equal(id.ino, 55);
	assert_int_equal(maps__file_at(maps_text, 0x55d0c1000000, &id), 0);
	assert_int_equal(id.major, 0);
	assert_int_equal(id.ino, 0);
	/* Only where a mapping starts. */
	assert_int_equal(maps__file_at(maps_text, 0x55d0c0a00800, &id), -ENOENT);
	assert_int_equal(maps__file_at(maps_text, 0x1000, &id), -ENOENT);
	assert_int_equal(maps__file_at("", 0x1000, &id), -ENOENT);
}

static void test_load_self(void **state)
{
	struct mapped_objs m;
	size_t i, mains = 0;
	bool libc = false;
	struct stat exe;

	assert_int_equal(stat("/proc/self/exe", &exe), 0);
	assert_int_equal(mapped_objs__load(getpid(), &m), 0);
	assert_true(m.n >= 2);
	for (i = 0; i < m.n; i++) {
		const char *base = strrchr(m.v[i].path, '/') + 1;

		assert_int_equal(m.v[i].path[0], '/');
		assert_false(m.v[i].deleted);
		assert_true(m.v[i].start < m.v[i].end);
		/* The build directory is on ext4 or tmpfs: stat() and maps agree on devices. */
		if (m.v[i].id.ino == exe.st_ino && m.v[i].id.major == major(exe.st_dev) &&
		    m.v[i].id.minor == minor(exe.st_dev))
			mains++;
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
		cmocka_unit_test(test_parse_identity),
		cmocka_unit_test(test_parse_empty_and_bad),
		cmocka_unit_test(test_file_at),
		cmocka_unit_test(test_load_self),
		cmocka_unit_test(test_load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
