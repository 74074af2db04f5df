// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Enters wrapper() -> hold(), which sleeps for a long time: spans still open
 * when tracing stops. Also done() once before, to have a finished span.
 * With "wait", it first says "ready PID" and waits for a line on stdin (for a
 * tracer to attach by PID).
 *   sleeper [SECONDS [wait]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define NOINLINE __attribute__((noinline))

NOINLINE void done(void)
{
	__asm__ volatile("" ::: "memory");
}

NOINLINE void hold(unsigned s)
{
	/* Printed from inside hold(): its entry (and wrapper's) is already recorded. */
	printf("holding %d\n", getpid());
	fflush(stdout);
	sleep(s);
	__asm__ volatile("" ::: "memory");
}

NOINLINE void wrapper(unsigned s)
{
	hold(s);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	unsigned s = argc > 1 ? (unsigned)atoi(argv[1]) : 30;

	if (argc > 2 && strcmp(argv[2], "wait") == 0) {
		say("ready %d", getpid());
		wait_line();
	}
	done();
	wrapper(s);
	return 0;
}
