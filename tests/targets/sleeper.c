// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Enters wrapper() -> hold(), which sleeps for a long time: spans still open
 * when tracing stops. Also done() once before, to have a finished span.
 *   sleeper [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

	done();
	wrapper(s);
	return 0;
}
