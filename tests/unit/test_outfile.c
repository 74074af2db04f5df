/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * outfile: what may be written for each kind of path (the decision alone,
 * from stat results), and the whole life of an output in a temporary
 * directory: appears whole at commit or not at all, mode 0600 whatever the
 * umask, the hidden-file fallback, write errors kept with their errno.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "outfile.h"

static const struct outfile_use use = { "the trace", "-o", "spantrace.json" };

static struct stat node(mode_t type, uid_t uid, dev_t rdev)
{
	return (struct stat){ .st_mode = type | 0644, .st_uid = uid, .st_rdev = rdev };
}

static const struct stat home_dir = { .st_mode = S_IFDIR | 0755, .st_uid = 1000 };
static const struct stat tmp_dir = { .st_mode = S_IFDIR | S_ISVTX | 0777, .st_uid = 0 };

static enum outfile_kind classify(const char *path, const struct stat *st, const struct stat *dir,
				  char *err)
{
	err[0] = 0;
	return outfile__classify(path, st, dir, 0, &use, err, 512);
}

static void test_classify_written(void **state)
{
	struct stat reg = node(S_IFREG, 1000, 0), fifo = node(S_IFIFO, 0, 0);
	char err[512];

	assert_int_equal(classify("t.json", NULL, &home_dir, err), OUTFILE_NEW);
	assert_int_equal(classify("t.json", &reg, &home_dir, err), OUTFILE_REPLACE);
	/* another user's regular file is replaced by rename, never written into */
	assert_int_equal(classify("/tmp/t.json", &reg, &tmp_dir, err), OUTFILE_REPLACE);
	assert_int_equal(classify("p", &fifo, &home_dir, err), OUTFILE_STREAM);
	/* root's own FIFO in /tmp */
	assert_int_equal(classify("/tmp/p", &fifo, &tmp_dir, err), OUTFILE_STREAM);
	assert_string_equal(err, "");
}

static void test_classify_char_devices(void **state)
{
	static const struct {
		unsigned int major, minor;
		enum outfile_kind kind;
	} devs[] = {
		{ 1, 3, OUTFILE_STREAM },    /* /dev/null */
		{ 1, 7, OUTFILE_STREAM },    /* /dev/full */
		{ 4, 1, OUTFILE_STREAM },    /* /dev/tty1 */
		{ 5, 0, OUTFILE_STREAM },    /* /dev/tty */
		{ 5, 1, OUTFILE_STREAM },    /* /dev/console */
		{ 136, 3, OUTFILE_STREAM },  /* /dev/pts/3 */
		{ 143, 0, OUTFILE_STREAM },  /* /dev/pts/1048576 */
		{ 1, 1, OUTFILE_REFUSED },   /* /dev/mem */
		{ 1, 2, OUTFILE_REFUSED },   /* /dev/kmem */
		{ 1, 4, OUTFILE_REFUSED },   /* /dev/port */
		{ 1, 11, OUTFILE_REFUSED },  /* /dev/kmsg */
		{ 4, 64, OUTFILE_REFUSED },  /* /dev/ttyS0: whatever is plugged in */
		{ 5, 2, OUTFILE_REFUSED },   /* /dev/ptmx */
		{ 10, 130, OUTFILE_REFUSED }, /* /dev/watchdog */
		{ 21, 0, OUTFILE_REFUSED },  /* /dev/sg0 */
		{ 90, 0, OUTFILE_REFUSED },  /* /dev/mtd0 */
		{ 144, 0, OUTFILE_REFUSED },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		struct stat st = node(S_IFCHR, 0, makedev(devs[i].major, devs[i].minor));

		if (classify("/dev/x", &st, &home_dir, err) != devs[i].kind)
			fail_msg("%u:%u", devs[i].major, devs[i].minor);
	}
	assert_string_equal(err, "-o /dev/x is a character device spantrace does not write to "
				 "(only terminals, /dev/null and /dev/full: a write to a device "
				 "may act on hardware); choose a file with -o");
}

static void test_classify_refused(void **state)
{
	struct stat lnk = node(S_IFLNK, 0, 0), dir = node(S_IFDIR, 0, 0),
		    blk = node(S_IFBLK, 0, makedev(8, 0)), sock = node(S_IFSOCK, 0, 0),
		    fifo = node(S_IFIFO, 1000, 0);
	char err[512];

	assert_int_equal(classify("/dev/stdout", &lnk, &home_dir, err), OUTFILE_REFUSED);
	assert_string_equal(err, "-o /dev/stdout is a symbolic link, which spantrace does not "
				 "follow for its output (another user may have planted it); name "
				 "the file itself, or -o - for standard output");
	assert_int_equal(classify("/srv/out", &dir, &home_dir, err), OUTFILE_REFUSED);
	assert_string_equal(err, "-o /srv/out is a directory; give a file name such as "
				 "/srv/out/spantrace.json");
	assert_int_equal(classify("/srv/out//", &dir, &home_dir, err), OUTFILE_REFUSED);
	assert_string_equal(err, "-o /srv/out// is a directory; give a file name such as "
				 "/srv/out/spantrace.json");
	assert_int_equal(classify("/", &dir, &home_dir, err), OUTFILE_REFUSED);
	assert_string_equal(err, "-o / is a directory; give a file name such as /spantrace.json");
	assert_int_equal(classify("/dev/sda", &blk, &home_dir, err), OUTFILE_REFUSED);
	assert_string_equal(err, "-o /dev/sda is a block device: spantrace never writes over a "
				 "disk; choose a file with -o");
	assert_int_equal(classify("/run/s", &sock, &home_dir, err), OUTFILE_REFUSED);
	assert_string_equal(err, "-o /run/s is a socket; choose a file, a FIFO or - with -o");
	/* a FIFO of uid 1000 in /tmp: root writing there would hand them the trace */
	assert_int_equal(classify("/tmp/p", &fifo, &tmp_dir, err), OUTFILE_REFUSED);
	assert_string_equal(err, "-o /tmp/p is a FIFO of another user (uid 1000) in a "
				 "world-writable sticky directory, who would read what spantrace "
				 "writes; make the FIFO yourself, or choose another path with -o");
	/* ... but in their own directory, or their own sticky one, it is theirs to give */
	assert_int_equal(classify("/home/u/p", &fifo, &home_dir, err), OUTFILE_STREAM);
}

/* --- the whole life of an output, in a temporary directory ----------------------- */

struct tmpdir {
	char path[64];
};

static int setup_dir(void **state)
{
	struct tmpdir *d = calloc(1, sizeof(*d));

	strcpy(d->path, "/tmp/test_outfile.XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	unsetenv("SPANTRACE_NO_TMPFILE");
	umask(022);
	*state = d;
	return 0;
}

static int teardown_dir(void **state)
{
	struct tmpdir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	unsetenv("SPANTRACE_NO_TMPFILE");
	free(d);
	return system(cmd) == 0 ? 0 : -1;
}

/* The names in the directory, sorted, joined by spaces ("" if empty). */
static char *listing(const struct tmpdir *d, char *buf, size_t len)
{
	struct dirent **v;
	int n = scandir(d->path, &v, NULL, alphasort);
	size_t used = 0;

	assert_true(n >= 0);
	buf[0] = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, ".."))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
						 v[i]->d_name);
		free(v[i]);
	}
	free(v);
	return buf;
}

static char *path_in(const struct tmpdir *d, const char *name, char *buf)
{
	sprintf(buf, "%s/%s", d->path, name);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void assert_content(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
	fclose(f);
	assert_string_equal(buf, text);
}

static void test_new_file_appears_at_commit(void **state)
{
	struct tmpdir *d = *state;
	char path[128], ls[256], err[512] = "";
	struct outfile of;
	struct stat st;

	assert_int_equal(outfile__open(&of, path_in(d, "t.json", path), &use, err, sizeof(err)), 0);
	assert_int_equal(of.kind, OUTFILE_NEW);
	assert_true(of.unnamed);
	fputs("{\"traceEvents\":[]}\n", of.f);
	assert_int_equal(fflush(of.f), 0);
	/* written, yet nothing in the directory until the commit */
	assert_string_equal(listing(d, ls, sizeof(ls)), "");
	assert_int_equal(outfile__commit(&of, err, sizeof(err)), 0);
	assert_string_equal(listing(d, ls, sizeof(ls)), "t.json");
	assert_content(path, "{\"traceEvents\":[]}\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_replace_regular_file(void **state)
{
	struct tmpdir *d = *state;
	char path[128], other[128], ls[256], err[512] = "";
	struct outfile of;
	struct stat st;

	write_file(path_in(d, "t.json", path), "old\n");
	chmod(path, 0644);
	/* a second link to the old file: replaced by rename, the old inode is never written */
	assert_int_equal(link(path, path_in(d, "other", other)), 0);
	assert_int_equal(outfile__open(&of, path, &use, err, sizeof(err)), 0);
	assert_int_equal(of.kind, OUTFILE_REPLACE);
	fputs("new\n", of.f);
	assert_int_equal(outfile__commit(&of, err, sizeof(err)), 0);
	assert_content(path, "new\n");
	assert_content(other, "old\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_string_equal(listing(d, ls, sizeof(ls)), "other t.json");
}

static void test_discard_leaves_nothing(void **state)
{
	struct tmpdir *d = *state;
	char path[128], ls[256], err[512] = "";
	struct outfile of;

	write_file(path_in(d, "t.json", path), "old\n");
	assert_int_equal(outfile__open(&of, path, &use, err, sizeof(err)), 0);
	fputs("half a trace", of.f);
	outfile__discard(&of);
	outfile__discard(&of); /* idempotent */
	assert_content(path, "old\n");
	assert_string_equal(listing(d, ls, sizeof(ls)), "t.json");
}

/* Without O_TMPFILE: a hidden .NAME.XXXXXX, 0600, renamed at commit or removed. */
static void test_hidden_file_fallback(void **state)
{
	struct tmpdir *d = *state;
	char path[128], hidden[128], ls[256], err[512] = "";
	struct outfile of;
	struct stat st;

	setenv("SPANTRACE_NO_TMPFILE", "1", 1);
	umask(0);
	assert_int_equal(outfile__open(&of, path_in(d, "t.json", path), &use, err, sizeof(err)), 0);
	assert_false(of.unnamed);
	assert_non_null(of.tmpname);
	assert_int_equal(strncmp(of.tmpname, ".t.json.", 8), 0);
	assert_int_equal(strlen(of.tmpname), strlen(".t.json.XXXXXX"));
	assert_string_equal(listing(d, ls, sizeof(ls)), of.tmpname);
	assert_int_equal(stat(path_in(d, of.tmpname, hidden), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fputs("whole\n", of.f);
	assert_int_equal(outfile__commit(&of, err, sizeof(err)), 0);
	assert_string_equal(listing(d, ls, sizeof(ls)), "t.json");
	assert_content(path, "whole\n");

	assert_int_equal(outfile__open(&of, path, &use, err, sizeof(err)), 0);
	fputs("half", of.f);
	outfile__discard(&of);
	assert_string_equal(listing(d, ls, sizeof(ls)), "t.json");
	assert_content(path, "whole\n");
}

/* Something other than a file put at the path while tracing: nothing is renamed over it. */
static void test_commit_refuses_a_changed_path(void **state)
{
	struct tmpdir *d = *state;
	char path[128], ls[256], err[512] = "";
	struct outfile of;

	assert_int_equal(outfile__open(&of, path_in(d, "t.json", path), &use, err, sizeof(err)), 0);
	fputs("trace", of.f);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(outfile__commit(&of, err, sizeof(err)), -1);
	assert_true(strstr(err, "failed to write the trace to ") == err);
	assert_non_null(strstr(err, "t.json: something other than a file was put there while "
				    "tracing; choose another path with -o"));
	assert_string_equal(listing(d, ls, sizeof(ls)), "t.json");
}

static void test_refused_paths_untouched(void **state)
{
	struct tmpdir *d = *state;
	char path[128], victim[128], ls[256], err[512] = "", want[512];
	struct outfile of;

	write_file(path_in(d, "victim", victim), "root's\n");
	assert_int_equal(symlink(victim, path_in(d, "t.json", path)), 0);
	assert_int_equal(outfile__open(&of, path, &use, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "-o %s is a symbolic link", path);
	assert_true(strstr(err, want) == err);
	assert_content(victim, "root's\n");
	assert_string_equal(listing(d, ls, sizeof(ls)), "t.json victim");

	assert_int_equal(outfile__open(&of, d->path, &use, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "-o %s is a directory; give a file name such as "
		 "%s/spantrace.json", d->path, d->path);
	assert_string_equal(err, want);

	assert_int_equal(outfile__open(&of, "/nonexistent/dir/t.json", &use, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot write the trace to /nonexistent/dir/t.json: No such file "
				 "or directory; choose another path with -o");
	assert_string_equal(listing(d, ls, sizeof(ls)), "t.json victim");
}

static void test_fifo(void **state)
{
	struct tmpdir *d = *state;
	char path[128], buf[64] = "", err[512] = "", want[512];
	struct outfile of;
	int rd;

	assert_int_equal(mkfifo(path_in(d, "p", path), 0600), 0);
	assert_int_equal(outfile__open(&of, path, &use, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "-o %s is a FIFO that no process reads; start its reader "
		 "first (e.g. cat %s > spantrace.json &)", path, path);
	assert_string_equal(err, want);

	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(outfile__open(&of, path, &use, err, sizeof(err)), 0);
	assert_int_equal(of.kind, OUTFILE_STREAM);
	assert_false(fcntl(of.fd, F_GETFL) & O_NONBLOCK);
	fputs("through the fifo", of.f);
	assert_int_equal(outfile__commit(&of, err, sizeof(err)), 0);
	assert_int_equal(read(rd, buf, sizeof(buf) - 1), 16);
	assert_string_equal(buf, "through the fifo");
	close(rd);
}

/* A reader gone: EPIPE kept, and no SIGPIPE (the test process would die of it). */
static void test_broken_pipe(void **state)
{
	struct tmpdir *d = *state;
	char path[128], err[512] = "", want[512];
	struct outfile of;
	int rd;

	assert_int_equal(mkfifo(path_in(d, "p", path), 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_int_equal(outfile__open(&of, path, &use, err, sizeof(err)), 0);
	close(rd);
	fputs("nobody reads this", of.f);
	assert_int_not_equal(fflush(of.f), 0);
	assert_int_equal(outfile__error(&of), EPIPE);
	assert_int_equal(outfile__commit(&of, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "failed to write the trace to %s: Broken pipe; choose "
		 "another path with -o", path);
	assert_string_equal(err, want);
}

/* /dev/full: every write fails with ENOSPC, kept from the failing write itself. */
static void test_write_error_errno(void **state)
{
	char err[512] = "";
	struct outfile of;
	static char big[(1 << 20) + 1];

	assert_int_equal(outfile__open(&of, "/dev/full", &use, err, sizeof(err)), 0);
	assert_int_equal(of.kind, OUTFILE_STREAM);
	assert_int_equal(outfile__error(&of), 0);
	/* more than the stream's buffer: the first write to the device happens here */
	fwrite(big, 1, sizeof(big), of.f);
	assert_int_equal(outfile__error(&of), ENOSPC);
	errno = ENOENT; /* a later call must not change the cause */
	outfile__write_error(&of, err, sizeof(err));
	assert_string_equal(err, "failed to write the trace to /dev/full: No space left on device; "
				 "free some space or choose another path with -o");
	assert_int_equal(outfile__commit(&of, err, sizeof(err)), -1);
	assert_string_equal(err, "failed to write the trace to /dev/full: No space left on device; "
				 "free some space or choose another path with -o");
}

static void test_same_place(void **state)
{
	struct tmpdir *d = *state;
	char a[128], b[128], sub[128], err[512] = "";
	struct outfile t, r;

	path_in(d, "t.json", a);
	snprintf(b, sizeof(b), "%s/./sub/../t.json", d->path);
	assert_int_equal(mkdir(path_in(d, "sub", sub), 0700), 0);
	assert_int_equal(outfile__open(&t, a, &use, err, sizeof(err)), 0);
	assert_int_equal(outfile__open(&r, b, &use, err, sizeof(err)), 0);
	assert_true(outfile__same_place(&t, &r));
	outfile__discard(&r);
	assert_int_equal(outfile__open(&r, path_in(d, "rec.bin", b), &use, err, sizeof(err)), 0);
	assert_false(outfile__same_place(&t, &r));
	outfile__discard(&r);
	/* both to /dev/null is fine; both to standard output would mix them */
	assert_int_equal(outfile__open(&r, "/dev/null", &use, err, sizeof(err)), 0);
	assert_false(outfile__same_place(&t, &r));
	outfile__discard(&t);
	assert_int_equal(outfile__open(&t, "/dev/null", &use, err, sizeof(err)), 0);
	assert_false(outfile__same_place(&t, &r));
	outfile__discard(&t);
	outfile__discard(&r);
	assert_int_equal(outfile__open(&t, "-", &use, err, sizeof(err)), 0);
	assert_int_equal(outfile__open(&r, "-", &use, err, sizeof(err)), 0);
	assert_true(outfile__same_place(&t, &r));
	outfile__discard(&t);
	outfile__discard(&r);
}

static void test_stdout(void **state)
{
	char err[512] = "";
	struct outfile of;

	assert_int_equal(outfile__open(&of, "-", &use, err, sizeof(err)), 0);
	assert_int_equal(of.kind, OUTFILE_STDOUT);
	assert_string_equal(of.name, "standard output");
	outfile__discard(&of);
	/* standard output stays open */
	assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_written),
		cmocka_unit_test(test_classify_char_devices),
		cmocka_unit_test(test_classify_refused),
		cmocka_unit_test_setup_teardown(test_new_file_appears_at_commit, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_replace_regular_file, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_discard_leaves_nothing, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_hidden_file_fallback, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_commit_refuses_a_changed_path, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_refused_paths_untouched, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_fifo, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_broken_pipe, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_same_place, setup_dir, teardown_dir),
		cmocka_unit_test(test_write_error_errno),
		cmocka_unit_test(test_stdout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
