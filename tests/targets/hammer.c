// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
/*
 * Fills a ring buffer: NTHREADS threads each call hot_fn() as fast as they
 * can for SECONDS, and hot_fn() calls hot_inner() once, so a true trace has
 * exactly one hot_inner inside each hot_fn and no hot_fn inside another.
 * Prints "calls N" (all threads' hot_fn calls) at the end.
 *
 *   hammer [NTHREADS] [SECONDS]     defaults: 2, 1
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "helpers.h"

#define NOINLINE __attribute__((noinline))
/* Keeps calls real calls: no inlining, no tail call turning into a jump. */
#define BARRIER() __asm__ volatile("" ::: "memory")

static volatile unsigned long sink;
static atomic_bool stop;
static atomic_ulong calls;

NOINLINE void hot_inner(unsigned long i)
{
	sink += i;
	BARRIER();
}

NOINLINE void hot_fn(unsigned long i)
{
	hot_inner(i);
	BARRIER();
}

static void *worker(void *arg)
{
	unsigned long n = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		hot_fn(n++);
	atomic_fetch_add(&calls, n);
	return arg;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 2;
	double seconds = argc > 2 ? atof(argv[2]) : 1;
	struct timespec t = { .tv_sec = (time_t)seconds,
			      .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9) };
	pthread_t th[64];

	if (nthreads < 1 || nthreads > 64 || !(seconds > 0)) {
		fprintf(stderr, "usage: hammer [NTHREADS 1..64] [SECONDS]\n");
		return 2;
	}
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, worker, NULL))
			die("pthread_create");
	nanosleep(&t, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	say("calls %lu", atomic_load(&calls));
	return 0;
}
