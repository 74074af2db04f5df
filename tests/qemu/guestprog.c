// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The workload traced inside the qemu guest (tests/qemu/init.sh), with counts
 * the test asserts exactly:
 *
 *   - a reader child drains a pipe until EOF and exits 0, while this process
 *     writes NWRITES x CHUNK bytes into it, one write(2) per chunk (a chunk of
 *     PIPE_BUF bytes is written whole, so each write is one pipe write);
 *   - three children exit with codes 1, 2 and 3, each reaped in turn;
 *   - this process prints "guestprog done" and exits 0.
 *
 * So: exactly 100 pipe writes of 409600 bytes in all, and 5 process exits
 * with codes 0, 0, 1, 2, 3. Only raw system calls after fork (no stdio
 * buffers to duplicate), built static.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NWRITES	100
#define CHUNK	4096

_Static_assert(CHUNK <= PIPE_BUF, "a chunk must be written in one piece");

static void say(const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void die(const char *what)
{
	say("guestprog: ");
	say(what);
	say(" failed: ");
	say(strerror(errno));
	say("\n");
	_exit(100);
}

/* Waits for pid; returns its exit code, or -1 if it did not exit normally. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			die("waitpid");
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void reader(int fd)
{
	static char buf[CHUNK];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			_exit(101);
	}
	_exit(0);
}

int main(void)
{
	static char chunk[CHUNK];
	int pfd[2], i;
	pid_t pid;

	memset(chunk, 'x', sizeof(chunk));
	if (pipe(pfd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(pfd[1]);
		reader(pfd[0]);
	}
	close(pfd[0]);
	for (i = 0; i < NWRITES; i++) {
		/* No signal handlers here: a write cannot be interrupted. */
		if (write(pfd[1], chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk))
			die("write to the pipe");
	}
	close(pfd[1]);
	if (reap(pid) != 0) {
		say("guestprog: the reader did not exit 0\n");
		return 1;
	}

	for (i = 1; i <= 3; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(i);
		if (reap(pid) != i) {
			say("guestprog: a child did not exit with its code\n");
			return 1;
		}
	}

	say("guestprog done\n");
	return 0;
}
