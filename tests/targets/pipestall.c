// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Real pipe waits, for the stuck-task diagnostics.
 *
 *   pipestall full
 *	A child "pwriter" writes 1 MiB to a pipe in one write() and blocks
 *	(state S) because the parent, the only reader, does not read. Prints
 *	"writer CHILDPID reader PARENTPID pipe INODE", waits for a line on
 *	stdin, then reads everything and prints "read N" and "writer exit CODE".
 *
 *   pipestall lock
 *	A child "stuck" sleeps uninterruptibly (state D) in mutex_lock on the
 *	pipe's lock inside the kernel's pipe write: a thread "holder" of the
 *	parent is in the middle of its own write to the same pipe, holding the
 *	lock while the copy from its buffer waits in a userfaultfd fault that
 *	the parent does not resolve. SIGKILL does not end the stuck child.
 *	Prints "holder TID stuck CHILDPID pipe INODE parent PARENTPID", waits
 *	for a line on stdin, resolves the fault and prints "stuck exit CODE"
 *	or "stuck signal SIG", "holder wrote N" and "drained N".
 *
 *   pipestall trickle WRITES DELAY_MS
 *	A child "ptrickle" makes WRITES writes of 1 MiB to a pipe, one write()
 *	each, each when the parent says so; the parent, the only reader, reads
 *	4 KiB of it every DELAY_MS, so the writer waits for room many times,
 *	each time briefly, in one write. Prints "writer CHILDPID reader
 *	PARENTPID pipe INODE"; then for each write waits for a line on stdin,
 *	lets the child write, reads it all and prints "read N"; at the end
 *	prints "writer exit CODE".
 *
 *   pipestall exitspans
 *	Waits for a line on stdin, prints "exiting" and calls outer_exit(),
 *	which calls inner_exit(), which calls exit(7): the process ends with
 *	both functions open.
 *
 * Every line goes to stdout, flushed at once. A failed system call prints
 * a message on stderr and exits 2; a result other than the expected one
 * (after its line is printed) exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define NOINLINE __attribute__((noinline))
#define BARRIER() __asm__ volatile("" ::: "memory")

#define FULL_BYTES	1048576
#define LOCK_BYTES	4096
#define STUCK_MSG	"stuck-writer-16b"
#define WAIT_MS		5000

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pipestall: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* The state letter of /proc/PID/stat (or /proc/PID/task/TID/stat). */
static char proc_state(const char *path)
{
	char buf[512], *p;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		die(path);
	if (close(fd) < 0)
		die("close");
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, the last ')' ends it. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		fail("cannot parse %s: %s", path, buf);
	return p[2];
}

static ino_t pipe_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		die("fstat pipe");
	return st.st_ino;
}

/* --- full: a writer blocked on a full pipe -------------------------------- */

static int mode_full(void)
{
	char path[64], *buf;
	int p[2], status, i, cap, queued;
	long long total = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe2");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (prctl(PR_SET_NAME, "pwriter", 0, 0, 0) < 0)
			die("prctl");
		if (close(p[0]) < 0)
			die("close");
		buf = malloc(FULL_BYTES);
		if (!buf)
			die("malloc");
		memset(buf, 'w', FULL_BYTES);
		n = write(p[1], buf, FULL_BYTES);
		if (n < 0)
			die("write pipe");
		if (n != FULL_BYTES)
			fail("short write: %zd of %d", n, FULL_BYTES);
		exit(0);
	}
	if (close(p[1]) < 0)
		die("close");

	/*
	 * Blocked in write() means: asleep, with the pipe holding all it can.
	 * (S alone could also be a sleep before the write began.)
	 */
	cap = fcntl(p[0], F_GETPIPE_SZ);
	if (cap < 0)
		die("F_GETPIPE_SZ");
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0;; i++) {
		if (proc_state(path) == 'S') {
			if (ioctl(p[0], FIONREAD, &queued) < 0)
				die("FIONREAD");
			if (queued == cap)
				break;
		}
		if (i >= WAIT_MS / 10)
			fail("writer %d not blocked on the full pipe after %d ms",
			     pid, WAIT_MS);
		sleep_ms(10);
	}
	say("writer %d reader %d pipe %llu", pid, getpid(),
	    (unsigned long long)pipe_inode(p[0]));

	wait_line();
	buf = malloc(65536);
	if (!buf)
		die("malloc");
	for (;;) {
		n = read(p[0], buf, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read pipe");
		if (n == 0)
			break;
		total += n;
	}
	status = wait_child(pid);
	say("read %lld", total);
	if (WIFEXITED(status))
		say("writer exit %d", WEXITSTATUS(status));
	else
		say("writer signal %d", WTERMSIG(status));
	free(buf);
	if (total != FULL_BYTES || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	return 0;
}

/* --- lock: a writer in D state on the pipe's lock ------------------------- */

struct holder {
	int fd;
	void *buf;
	pid_t tid;	/* set by the thread before it writes */
	ssize_t ret;
	int err;
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	int e;

	e = pthread_setname_np(pthread_self(), "holder");
	if (e) {
		errno = e;
		die("pthread_setname_np");
	}
	__atomic_store_n(&h->tid, gettid(), __ATOMIC_RELEASE);
	/* Takes the pipe lock, then faults copying from h->buf: sleeps. */
	h->ret = write(h->fd, h->buf, LOCK_BYTES);
	h->err = errno;
	return NULL;
}

static int mode_lock(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_copy copy = { 0 };
	struct holder h = { 0 };
	struct uffd_msg msg;
	struct pollfd pfd;
	char path[64], *fill, *drainbuf;
	long psz = sysconf(_SC_PAGESIZE);
	int p[2], uffd, e, i, r, fl, status, bad = 0;
	long long drained = 0;
	pthread_t th;
	void *page;
	ssize_t n;
	pid_t pid;

	if (psz < LOCK_BYTES)
		fail("page size %ld < %d", psz, LOCK_BYTES);
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe2");

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		die("UFFDIO_API");
	page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap");
	reg.range.start = (unsigned long)page;
	reg.range.len = psz;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		die("UFFDIO_REGISTER");
	if (!(reg.ioctls & (1ULL << _UFFDIO_COPY)))
		fail("UFFDIO_COPY not available on the registered range");

	h.fd = p[1];
	h.buf = page;
	e = pthread_create(&th, NULL, holder_main, &h);
	if (e) {
		errno = e;
		die("pthread_create");
	}

	/* The fault message: the holder is inside the write, lock held. */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	do
		r = poll(&pfd, 1, WAIT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		die("poll userfaultfd");
	if (r == 0)
		fail("no userfault from the holder after %d ms", WAIT_MS);
	do
		n = read(uffd, &msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die("read userfaultfd");
	if (n != sizeof(msg))
		fail("short userfaultfd message: %zd bytes", n);
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		fail("unexpected userfaultfd event 0x%x", msg.event);
	if ((msg.arg.pagefault.address & ~(unsigned long long)(psz - 1)) !=
	    (unsigned long)page)
		fail("fault at 0x%llx, not in the registered page",
		     (unsigned long long)msg.arg.pagefault.address);

	if (fflush(stdout) == EOF)
		die("stdout");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (prctl(PR_SET_NAME, "stuck", 0, 0, 0) < 0)
			die("prctl");
		if (close(uffd) < 0 || close(p[0]) < 0)
			die("close");
		/* Sleeps in mutex_lock(&pipe->mutex), uninterruptibly. */
		n = write(p[1], STUCK_MSG, strlen(STUCK_MSG));
		if (n < 0)
			die("write pipe");
		if (n != (ssize_t)strlen(STUCK_MSG))
			fail("short write: %zd", n);
		_exit(0);
	}

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; proc_state(path) != 'D'; i++) {
		if (i >= WAIT_MS / 10)
			fail("stuck child %d not in state D after %d ms (state %c)",
			     pid, WAIT_MS, proc_state(path));
		sleep_ms(10);
	}
	say("holder %d stuck %d pipe %llu parent %d",
	    __atomic_load_n(&h.tid, __ATOMIC_ACQUIRE), pid,
	    (unsigned long long)pipe_inode(p[0]), getpid());

	wait_line();
	fill = malloc(psz);
	if (!fill)
		die("malloc");
	memset(fill, 'h', psz);
	copy.dst = (unsigned long)page;
	copy.src = (unsigned long)fill;
	copy.len = psz;
	copy.mode = 0;
	if (ioctl(uffd, UFFDIO_COPY, &copy) < 0)
		die("UFFDIO_COPY");
	if (copy.copy != psz)
		fail("UFFDIO_COPY copied %lld of %ld", (long long)copy.copy, psz);
	e = pthread_join(th, NULL);
	if (e) {
		errno = e;
		die("pthread_join");
	}
	status = wait_child(pid);
	if (WIFEXITED(status))
		say("stuck exit %d", WEXITSTATUS(status));
	else
		say("stuck signal %d", WTERMSIG(status));
	if (h.ret < 0) {
		errno = h.err;
		perror("holder write");
		bad = 1;
	}
	say("holder wrote %zd", h.ret);
	if (h.ret != LOCK_BYTES)
		bad = 1;

	fl = fcntl(p[0], F_GETFL);
	if (fl < 0 || fcntl(p[0], F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl O_NONBLOCK");
	drainbuf = malloc(65536);
	if (!drainbuf)
		die("malloc");
	for (;;) {
		n = read(p[0], drainbuf, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			die("read pipe");
		if (n == 0)
			break;
		drained += n;
	}
	say("drained %lld", drained);
	free(drainbuf);
	free(fill);
	return bad;
}

/* --- trickle: a writer waiting briefly, many times, in one write ---------- */

#define TRICKLE_BYTES 1048576
#define TRICKLE_READ 4096

static int mode_trickle(int writes, long delay_ms)
{
	char *buf, go;
	int p[2], ctl[2], status;
	long long total;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(ctl, O_CLOEXEC) < 0)
		die("pipe2");
	buf = malloc(TRICKLE_BYTES);
	if (!buf)
		die("malloc");
	memset(buf, 't', TRICKLE_BYTES);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (prctl(PR_SET_NAME, "ptrickle", 0, 0, 0) < 0)
			die("prctl");
		if (close(p[0]) < 0 || close(ctl[1]) < 0)
			die("close");
		for (int i = 0; i < writes; i++) {
			do
				n = read(ctl[0], &go, 1);
			while (n < 0 && errno == EINTR);
			if (n != 1)
				fail("no word from the parent");
			n = write(p[1], buf, TRICKLE_BYTES);
			if (n < 0)
				die("write pipe");
			if (n != TRICKLE_BYTES)
				fail("short write: %zd of %d", n, TRICKLE_BYTES);
		}
		exit(0);
	}
	if (close(p[1]) < 0 || close(ctl[0]) < 0)
		die("close");
	say("writer %d reader %d pipe %llu", pid, getpid(),
	    (unsigned long long)pipe_inode(p[0]));
	for (int i = 0; i < writes; i++) {
		wait_line();
		if (write(ctl[1], "g", 1) != 1)
			die("write control pipe");
		for (total = 0; total < TRICKLE_BYTES; total += n) {
			sleep_ms(delay_ms);
			n = read(p[0], buf, TRICKLE_READ);
			if (n < 0 && errno == EINTR)
				n = 0;
			else if (n < 0)
				die("read pipe");
			else if (n == 0)
				fail("the writer closed the pipe after %lld bytes", total);
		}
		say("read %lld", total);
	}
	status = wait_child(pid);
	if (WIFEXITED(status))
		say("writer exit %d", WEXITSTATUS(status));
	else
		say("writer signal %d", WTERMSIG(status));
	free(buf);
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

/* --- exitspans: exit with functions open ---------------------------------- */

NOINLINE void inner_exit(void)
{
	BARRIER();
	exit(7);
}

NOINLINE void outer_exit(void)
{
	BARRIER();
	inner_exit();
	BARRIER();
}

static int mode_exitspans(void)
{
	wait_line();
	say("exiting");
	outer_exit();
	return 2;	/* not reached */
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "full") == 0)
		return mode_full();
	if (argc == 2 && strcmp(argv[1], "lock") == 0)
		return mode_lock();
	if (argc == 2 && strcmp(argv[1], "exitspans") == 0)
		return mode_exitspans();
	if (argc == 4 && strcmp(argv[1], "trickle") == 0 && atoi(argv[2]) > 0 && atol(argv[3]) > 0)
		return mode_trickle(atoi(argv[2]), atol(argv[3]));
	fprintf(stderr, "usage: pipestall full|lock|exitspans|trickle WRITES DELAY_MS\n");
	return 2;
}
