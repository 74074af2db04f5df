// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An output file that appears whole or not at all (see outfile.h for the
 * rules). Every open of the user's path is relative to its directory, opened
 * once, with O_NOFOLLOW: what was checked is what is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "errbuf.h"
#include "outfile.h"
#include "util.h"

#define OUTFILE_MODE 0600
#define OUTFILE_BUF_SIZE (1 << 20)

/*
 * Character devices an output may go to: writing to them only shows the
 * bytes or drops them. Any other device may act on hardware when written
 * (/dev/watchdog arms a reboot, /dev/mem is the machine's memory, /dev/sg*
 * sends SCSI commands, a serial port drives whatever is plugged in).
 */
static bool harmless_char_device(dev_t rdev)
{
	unsigned int ma = major(rdev), mi = minor(rdev);

	switch (ma) {
	case 1:
		return mi == 3 || mi == 7; /* /dev/null, /dev/full */
	case 4:
		return mi < 64; /* virtual consoles /dev/ttyN; 64 up are serial ports */
	case 5:
		return mi <= 1; /* /dev/tty, /dev/console; 5:2 is /dev/ptmx */
	default:
		return ma >= 136 && ma <= 143; /* pseudo-terminals /dev/pts/N */
	}
}

/* A FIFO another user made in a directory anyone may write to, as the kernel's protected_fifos. */
static bool fifo_of_another_user(const struct stat *st, const struct stat *dir, uid_t euid)
{
	return (dir->st_mode & S_ISVTX) && (dir->st_mode & (S_IWOTH | S_IWGRP)) &&
	       st->st_uid != euid && st->st_uid != dir->st_uid;
}

/* path without its trailing slashes, for suggesting a name inside it */
static int trimmed_len(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return (int)n;
}

enum outfile_kind outfile__classify(const char *path, const struct stat *st, const struct stat *dir,
				    uid_t euid, const struct outfile_use *use, char *err,
				    size_t errlen)
{
	const char *opt = use->option;

	if (!st)
		return OUTFILE_NEW;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return OUTFILE_REPLACE;
	case S_IFIFO:
		if (!fifo_of_another_user(st, dir, euid))
			return OUTFILE_STREAM;
		errbuf__set(err, errlen,
			    "%s %s is a FIFO of another user (uid %u) in a world-writable "
			    "sticky directory, who would read what spantrace writes; make the FIFO "
			    "yourself, or choose another path with %s",
			    opt, path, (unsigned int)st->st_uid, opt);
		return OUTFILE_REFUSED;
	case S_IFCHR:
		if (harmless_char_device(st->st_rdev))
			return OUTFILE_STREAM;
		errbuf__set(err, errlen,
			    "%s %s is a character device spantrace does not write to (only "
			    "terminals, /dev/null and /dev/full: a write to a device may act on "
			    "hardware); choose a file with %s",
			    opt, path, opt);
		return OUTFILE_REFUSED;
	case S_IFLNK:
		errbuf__set(err, errlen,
			    "%s %s is a symbolic link, which spantrace does not follow for "
			    "its output (another user may have planted it); name the file itself, "
			    "or %s - for standard output",
			    opt, path, opt);
		return OUTFILE_REFUSED;
	case S_IFDIR:
		errbuf__set(err, errlen, "%s %s is a directory; give a file name such as %.*s%s%s",
			    opt, path, trimmed_len(path), path,
			    path[trimmed_len(path) - 1] == '/' ? "" : "/", use->example);
		return OUTFILE_REFUSED;
	case S_IFBLK:
		errbuf__set(err, errlen,
			    "%s %s is a block device: spantrace never writes over a disk; "
			    "choose a file with %s",
			    opt, path, opt);
		return OUTFILE_REFUSED;
	default:
		errbuf__set(err, errlen, "%s %s is a socket; choose a file, a FIFO or - with %s",
			    opt, path, opt);
		return OUTFILE_REFUSED;
	}
}

static int cannot_write(const struct outfile *of, int e, char *err, size_t errlen)
{
	errbuf__set(err, errlen, "cannot write %s to %s: %s; choose another path with %s",
		    of->use->what, of->name, strerror(e), of->use->option);
	return -1;
}

void outfile__write_error(const struct outfile *of, char *err, size_t errlen)
{
	int e = of->write_errno ? of->write_errno : EIO;

	errbuf__set(err, errlen, "failed to write %s to %s: %s; %schoose another path with %s",
		    of->use->what, of->name, strerror(e),
		    e == ENOSPC || e == EDQUOT ? "free some space or " : "", of->use->option);
}

/* Splits path into its directory and last component ("a/b/" -> "a", "b"; "/" -> "/", "."). */
static int split_path(const char *path, char **dir, char **base)
{
	int n = trimmed_len(path);
	const char *slash = memrchr(path, '/', (size_t)n);

	if (!slash)
		*dir = strdup(".");
	else
		*dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	*base = slash && slash + 1 == path + n ? strdup(".") :
						 strndup(slash ? slash + 1 : path,
							 (size_t)(path + n - (slash ? slash + 1 : path)));
	return *dir && *base ? 0 : -1;
}

/* A new hidden name beside the path, ".NAME.XXXXXX", in of->tmpname. */
static int next_hidden_name(struct outfile *of)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static uint64_t counter;
	char suffix[7];
	uint64_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = mono_ns() ^ ((uint64_t)getpid() << 32) ^ ++counter;
	for (int i = 0; i < 6; i++, r /= sizeof(chars) - 1)
		suffix[i] = chars[r % (sizeof(chars) - 1)];
	suffix[6] = 0;
	free(of->tmpname);
	/* NAME cut so that the whole stays within NAME_MAX */
	if (asprintf(&of->tmpname, ".%.200s.%s", of->base, suffix) < 0) {
		of->tmpname = NULL;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * Gives the file a fresh hidden name with make(), retrying while the name is
 * taken. Returns 0, or -1 with errno (of->tmpname NULL).
 */
static int with_hidden_name(struct outfile *of, int (*make)(struct outfile *of))
{
	for (int tries = 0; tries < 100; tries++) {
		int e;

		if (next_hidden_name(of))
			return -1;
		if (make(of) == 0)
			return 0;
		e = errno;
		free(of->tmpname);
		of->tmpname = NULL;
		errno = e;
		if (e != EEXIST)
			return -1;
	}
	return -1;
}

static int create_hidden(struct outfile *of)
{
	of->fd = openat(of->dirfd, of->tmpname,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, OUTFILE_MODE);
	return of->fd < 0 ? -1 : 0;
}

/* Gives the unnamed file its first name: linkat through /proc, the way open(2) documents. */
static int link_unnamed(struct outfile *of)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", of->fd);
	return linkat(AT_FDCWD, proc, of->dirfd, of->tmpname, AT_SYMLINK_FOLLOW);
}

/* open(O_TMPFILE) errors that mean "not on this filesystem" (or "not in this kernel") */
static bool tmpfile_unsupported(int e)
{
	return e == EOPNOTSUPP || e == EISDIR || e == EINVAL;
}

/* NEW and REPLACE: an unnamed file in the path's directory, else a hidden one; 0600 either way. */
static int open_file(struct outfile *of, char *err, size_t errlen)
{
	if (!util__env_set("SPANTRACE_NO_TMPFILE")) {
		of->fd = openat(of->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, OUTFILE_MODE);
		if (of->fd < 0 && !tmpfile_unsupported(errno))
			return cannot_write(of, errno, err, errlen);
		of->unnamed = of->fd >= 0;
	}
	if (!of->unnamed && with_hidden_name(of, create_hidden))
		return cannot_write(of, errno, err, errlen);
	/* exactly 0600 whatever the umask: the output holds arguments, paths and thread names */
	if (fchmod(of->fd, OUTFILE_MODE)) {
		errbuf__set(err, errlen,
			    "cannot write %s to %s: failed to make it private (mode 0600): "
			    "%s; choose another path with %s",
			    of->use->what, of->name, strerror(errno), of->use->option);
		return -1;
	}
	return 0;
}

/* STREAM: opened as it is, nothing created or truncated, then checked to be what lstat saw. */
static int open_stream(struct outfile *of, const struct stat *seen, char *err, size_t errlen)
{
	struct stat st;
	int flags;

	/* O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of blocking */
	of->fd = openat(of->dirfd, of->base,
			O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (of->fd < 0 && errno == ENXIO && S_ISFIFO(seen->st_mode)) {
		errbuf__set(err, errlen, "%s %s is a FIFO that no process reads; start its reader "
			    "first (e.g. cat %s > %s &)", of->use->option, of->path, of->path,
			    of->use->example);
		return -1;
	}
	if (of->fd < 0)
		return cannot_write(of, errno, err, errlen);
	if (fstat(of->fd, &st))
		return cannot_write(of, errno, err, errlen);
	if (st.st_dev != seen->st_dev || st.st_ino != seen->st_ino ||
	    (st.st_mode & S_IFMT) != (seen->st_mode & S_IFMT) || st.st_rdev != seen->st_rdev) {
		errbuf__set(err, errlen, "%s %s changed while spantrace opened it; run again",
			    of->use->option, of->path);
		return -1;
	}
	flags = fcntl(of->fd, F_GETFL);
	if (flags < 0 || fcntl(of->fd, F_SETFL, flags & ~O_NONBLOCK))
		return cannot_write(of, errno, err, errlen);
	return 0;
}

static int open_path(struct outfile *of, char *err, size_t errlen)
{
	struct stat st, dir;
	char *dirpath;
	bool exists;
	int e;

	if (split_path(of->path, &dirpath, &of->base)) {
		free(dirpath);
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	of->dirfd = open(dirpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	free(dirpath);
	if (of->dirfd < 0)
		return cannot_write(of, e, err, errlen);
	if (fstat(of->dirfd, &dir))
		return cannot_write(of, errno, err, errlen);
	exists = fstatat(of->dirfd, of->base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && errno != ENOENT)
		return cannot_write(of, errno, err, errlen);
	of->kind = outfile__classify(of->path, exists ? &st : NULL, &dir, geteuid(), of->use, err,
				     errlen);
	switch (of->kind) {
	case OUTFILE_NEW:
	case OUTFILE_REPLACE:
		return open_file(of, err, errlen);
	case OUTFILE_STREAM:
		return open_stream(of, &st, err, errlen);
	default:
		return -1;
	}
}

/*
 * write() without dying of SIGPIPE when the reader of a pipe went away: EPIPE
 * then fails the write like any other error. The signal is blocked around the
 * write and a SIGPIPE it raised is taken back, so the disposition stays as it
 * was (a command started with -- inherits it).
 */
static ssize_t write_no_sigpipe(int fd, const void *buf, size_t n)
{
	static const struct timespec now;
	sigset_t pipe_set, old, pending;
	bool was_pending;
	ssize_t r;
	int e;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	r = write(fd, buf, n);
	e = errno;
	if (r < 0 && e == EPIPE && !was_pending)
		sigtimedwait(&pipe_set, NULL, &now);
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}

/* stdio's write: all of it, or keep the errno of the first failure (stdio keeps none). */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
	struct outfile *of = cookie;
	bool pipe_like = of->kind == OUTFILE_STDOUT || of->kind == OUTFILE_STREAM;
	size_t done = 0;

	if (of->discarding)
		return (ssize_t)n;
	while (done < n && !of->write_errno) {
		ssize_t r = pipe_like ? write_no_sigpipe(of->fd, buf + done, n - done) :
					write(of->fd, buf + done, n - done);

		if (r > 0)
			done += (size_t)r;
		else if (r < 0 && errno != EINTR)
			of->write_errno = errno;
		else if (r == 0)
			of->write_errno = EIO;
	}
	/* short: stdio marks the stream in error */
	return (ssize_t)done;
}

int outfile__open(struct outfile *of, const char *path, const struct outfile_use *use, char *err,
		  size_t errlen)
{
	cookie_io_functions_t io = { .write = cookie_write };

	*of = (struct outfile){ .path = path, .name = path, .use = use, .fd = -1, .dirfd = -1,
				.open = true };
	if (strcmp(path, "-") == 0) {
		of->kind = OUTFILE_STDOUT;
		of->name = "standard output";
		of->fd = STDOUT_FILENO;
	} else if (open_path(of, err, errlen)) {
		outfile__discard(of);
		return -1;
	}
	of->f = fopencookie(of, "w", io);
	if (!of->f) {
		errbuf__set(err, errlen, "out of memory");
		outfile__discard(of);
		return -1;
	}
	setvbuf(of->f, NULL, _IOFBF, OUTFILE_BUF_SIZE);
	return 0;
}

bool outfile__same_place(const struct outfile *a, const struct outfile *b)
{
	bool a_file = a->kind == OUTFILE_NEW || a->kind == OUTFILE_REPLACE;
	bool b_file = b->kind == OUTFILE_NEW || b->kind == OUTFILE_REPLACE;
	struct stat da, db;

	if (a->kind == OUTFILE_STDOUT || b->kind == OUTFILE_STDOUT)
		return a->kind == b->kind;
	return a_file && b_file && fstat(a->dirfd, &da) == 0 && fstat(b->dirfd, &db) == 0 &&
	       da.st_dev == db.st_dev && da.st_ino == db.st_ino && strcmp(a->base, b->base) == 0;
}

/* NEW, REPLACE: name the file, then rename it over the path if that is still nothing or a file. */
static int put_in_place(struct outfile *of, char *err, size_t errlen)
{
	struct stat st;

	if (of->unnamed && with_hidden_name(of, link_unnamed))
		return cannot_write(of, errno, err, errlen);
	if (fstatat(of->dirfd, of->base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		errbuf__set(err, errlen,
			    "failed to write %s to %s: something other than a file was "
			    "put there while tracing; choose another path with %s",
			    of->use->what, of->name, of->use->option);
		return -1;
	}
	if (renameat(of->dirfd, of->tmpname, of->dirfd, of->base)) {
		of->write_errno = errno;
		outfile__write_error(of, err, errlen);
		return -1;
	}
	free(of->tmpname);
	of->tmpname = NULL;
	return 0;
}

int outfile__commit(struct outfile *of, char *err, size_t errlen)
{
	bool file = of->kind == OUTFILE_NEW || of->kind == OUTFILE_REPLACE;
	int r = 0;

	if (fflush(of->f) || of->write_errno || (file && fsync(of->fd))) {
		if (!of->write_errno)
			of->write_errno = errno;
		outfile__write_error(of, err, errlen);
		r = -1;
	} else if (file) {
		r = put_in_place(of, err, errlen);
	}
	outfile__discard(of);
	return r;
}

void outfile__discard(struct outfile *of)
{
	if (!of->open)
		return;
	if (of->f) {
		of->discarding = true;
		fclose(of->f);
		of->f = NULL;
	}
	if (of->tmpname)
		unlinkat(of->dirfd, of->tmpname, 0);
	free(of->tmpname);
	of->tmpname = NULL;
	if (of->fd >= 0 && of->kind != OUTFILE_STDOUT)
		close(of->fd);
	of->fd = -1;
	if (of->dirfd >= 0)
		close(of->dirfd);
	of->dirfd = -1;
	free(of->base);
	of->base = NULL;
	of->open = false;
}
