/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * objfile: only regular files are opened, and never by following a symlink
 * the target could plant; a FIFO cannot block; the kept fd's /proc/self/fd
 * name reaches the same inode; identity is compared as /proc/PID/maps names
 * files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "objfile.h"

static char dir[] = "/tmp/st-objfile-XXXXXX";
static char file[64], fifo[64], link_path[64];

static int setup(void **state)
{
	int fd;

	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(link_path, sizeof(link_path), "%s/link", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, "contents\n", 9) != 9 || close(fd))
		return -1;
	if (mkfifo(fifo, 0644) || symlink(file, link_path))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	unlink(file);
	unlink(fifo);
	unlink(link_path);
	return rmdir(dir);
}

static void assert_same_file(int fd, const char *path)
{
	struct stat a, b;

	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_dev, b.st_dev);
	assert_int_equal(a.st_ino, b.st_ino);
}

static void test_regular_file(void **state)
{
	char why[256] = "", buf[16] = "";
	char *self;
	int fd, fd2;

	fd = objfile__open(file, 0, why, sizeof(why));
	assert_true(fd >= 0);
	assert_string_equal(why, "");
	assert_same_file(fd, file);
	/* Opened for reading, and its /proc/self/fd name reaches the same file. */
	assert_int_equal(pread(fd, buf, 8, 0), 8);
	assert_string_equal(buf, "contents");
	self = objfile__fd_path(fd);
	assert_non_null(self);
	assert_int_equal(strncmp(self, "/proc/self/fd/", 14), 0);
	fd2 = open(self, O_RDONLY);
	assert_true(fd2 >= 0);
	assert_same_file(fd2, file);
	close(fd2);
	free(self);
	close(fd);
}

/* Each refused without blocking (a FIFO with no writer would block open()). */
static void test_not_regular(void **state)
{
	static const struct {
		const char *path;
		const char *why;
	} cases[] = {
		{ fifo, "it is a FIFO, not a regular file" },
		{ link_path, "it is a symbolic link, not a regular file" },
		{ dir, "it is a directory, not a regular file" },
		{ "/dev/null", "it is a character device, not a regular file" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "";

		errno = 0;
		assert_int_equal(objfile__open(cases[i].path, 0, why, sizeof(why)), -1);
		assert_int_equal(errno, EINVAL);
		assert_string_equal(why, cases[i].why);
	}
}

static void test_missing(void **state)
{
	char why[256], path[80];

	snprintf(path, sizeof(path), "%s/none", dir);
	errno = 0;
	assert_int_equal(objfile__open(path, 0, why, sizeof(why)), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(why, "No such file or directory");
}

/* A /proc magic link is followed to the file itself. */
static void test_magic_link(void **state)
{
	char why[256] = "";
	int fd;

	fd = objfile__open("/proc/self/exe", OBJFILE_MAGIC_LINK, why, sizeof(why));
	assert_true(fd >= 0);
	assert_same_file(fd, "/proc/self/exe");
	close(fd);
}

/* On ext4 and tmpfs (where the tests run) stat() and /proc/PID/maps agree. */
static void test_maps_id(void **state)
{
	struct maps_file_id id;
	char why[256] = "";
	struct stat st;
	int fd = objfile__open(file, 0, why, sizeof(why));

	assert_true(fd >= 0);
	assert_int_equal(objfile__maps_id(fd, &id, why, sizeof(why)), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(id.major, major(st.st_dev));
	assert_int_equal(id.minor, minor(st.st_dev));
	assert_int_equal(id.ino, st.st_ino);

	assert_int_equal(objfile__check(fd, &id, why, sizeof(why)), 0);
	close(fd);
}

static void test_check_mismatch(void **state)
{
	struct maps_file_id id, other;
	char why[256] = "", want[256];
	int fd = objfile__open(file, 0, why, sizeof(why));

	assert_true(fd >= 0);
	assert_int_equal(objfile__maps_id(fd, &id, why, sizeof(why)), 0);
	other = id;
	other.ino++;
	assert_int_equal(objfile__check(fd, &other, why, sizeof(why)), -1);
	snprintf(want, sizeof(want),
		 "it is device %02x:%02x inode %llu, not %02x:%02x inode %llu as its maps line "
		 "says",
		 id.major, id.minor, (unsigned long long)id.ino, id.major, id.minor,
		 (unsigned long long)other.ino);
	assert_string_equal(why, want);
	other = id;
	other.minor++;
	assert_int_equal(objfile__check(fd, &other, why, sizeof(why)), -1);
	close(fd);
}

/*
 * /proc/PID/map_files reaches a mapped file even after it was deleted. Following
 * those links takes CAP_SYS_ADMIN: skipped without it.
 */
static void test_map_files_deleted(void **state)
{
	char tmp[80], link[96], why[256] = "", buf[16] = "";
	struct maps_file_id id;
	struct stat st;
	void *at;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/mapped", dir);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "mapped!\n", 8), 8);
	assert_int_equal(fstat(fd, &st), 0);
	at = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(at != MAP_FAILED);
	close(fd);
	assert_int_equal(unlink(tmp), 0);

	snprintf(link, sizeof(link), "/proc/self/map_files/%lx-%lx", (unsigned long)at,
		 (unsigned long)at + 4096);
	fd = objfile__open(link, OBJFILE_MAGIC_LINK, why, sizeof(why));
	if (fd < 0 && errno == EPERM) {
		munmap(at, 4096);
		skip();
	}
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 7, 0), 7);
	assert_string_equal(buf, "mapped!");
	assert_int_equal(objfile__maps_id(fd, &id, why, sizeof(why)), 0);
	assert_int_equal(id.ino, st.st_ino);
	close(fd);
	munmap(at, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_magic_link),
		cmocka_unit_test(test_maps_id),
		cmocka_unit_test(test_check_mismatch),
		cmocka_unit_test(test_map_files_deleted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
