/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the test targets share: every failure exits 2 (so a test never passes
 * by accident), lines on stdout are flushed at once (nothing stays buffered
 * over fork), and stdin is read without stdio so no input waits in a buffer.
 */
#ifndef SPANTRACE_TARGET_HELPERS_H
#define SPANTRACE_TARGET_HELPERS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline void die(const char *what)
{
	perror(what);
	exit(2);
}

/* One line on stdout, flushed at once. */
static inline void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vprintf(fmt, ap) < 0)
		die("printf");
	va_end(ap);
	if (putchar('\n') == EOF || fflush(stdout) == EOF)
		die("stdout");
}

/* Waits for one line (or EOF) on stdin. */
static inline void wait_line(void)
{
	char c;
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read stdin");
		if (n == 0 || c == '\n')
			return;
	}
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) < 0)
		if (errno != EINTR)
			die("nanosleep");
}

/* The wait(2) status of child pid. */
static inline int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return status;
}

#endif
