// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
/*
 * Multi-threaded target with nested span functions in known counts:
 * each of NTHREADS workers calls outer() ITERS times, outer() calls middle()
 * 3 times, middle() calls leaf() 2 times.
 *
 *   threads [--wait] [NTHREADS] [ITERS]
 * --wait prints "ready PID" and waits for a line on stdin before working, so
 * a tracer can attach by PID first.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
/* Keeps calls real calls: no inlining, no tail call turning into a jump. */
#define BARRIER() __asm__ volatile("" ::: "memory")

static volatile unsigned long sink;
static int iters = 10;

NOINLINE void leaf(int i)
{
	for (int k = 0; k < 200; k++)
		sink += (unsigned long)(i * k);
	BARRIER();
}

NOINLINE void middle(int i)
{
	leaf(i);
	leaf(i + 1);
	BARRIER();
}

NOINLINE void outer(int i)
{
	for (int j = 0; j < 3; j++)
		middle(i + j);
	BARRIER();
}

static void *worker(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "worker-%ld", (long)arg);
	pthread_setname_np(pthread_self(), name);
	for (int i = 0; i < iters; i++)
		outer(i);
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = 4, wait = 0, a = 1;
	pthread_t *th;
	char line[16];

	if (a < argc && strcmp(argv[a], "--wait") == 0)
		wait = 1, a++;
	if (a < argc)
		nthreads = atoi(argv[a++]);
	if (a < argc)
		iters = atoi(argv[a++]);
	if (wait) {
		printf("ready %d\n", getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	th = calloc((size_t)nthreads, sizeof(*th));
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	printf("done %d threads x %d\n", nthreads, iters);
	free(th);
	return 0;
}
