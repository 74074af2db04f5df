// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
/*
 * A program with an explicit begin/end span API, as an in-app tracing
 * library has: span_begin(name) pushes onto a thread-local stack, span_end()
 * pops it. The tracer pairs them with --span 'span_begin=span_end'.
 *
 * main runs span "main" around NTHREADS workers; each worker does, ITERS
 * times:
 *
 *   request { parse {} db { query { sleep 2 ms } } }
 *
 * so a worker makes ITERS x 4 = 8 spans and the whole run 3 x 8 + 1 = 25.
 * Prints "spanapi done 25" at the end; a broken stack or count exits 2.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

#define NTHREADS 3
#define ITERS 2
#define MAX_DEPTH 16
#define SPAN_API __attribute__((noinline, noclone, used))
/* Keeps calls real calls: no inlining, no tail call turning into a jump. */
#define BARRIER() __asm__ volatile("" ::: "memory")

SPAN_API void span_begin(const char *name);
SPAN_API void span_end(void);

static __thread const char *span_stack[MAX_DEPTH];
static __thread int span_depth;
static volatile unsigned long sink;
static unsigned long spans_done;

/* Real-ish work: a hash of the name, so the body is not empty. */
static __attribute__((noinline)) unsigned long span_hash(const char *name)
{
	unsigned long h = 5381;

	for (const char *p = name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h;
}

/* Calls out first, so that a frame-pointer build starts it with push rbp. */
SPAN_API void span_begin(const char *name)
{
	sink += span_hash(name);
	if (span_depth == MAX_DEPTH) {
		fprintf(stderr, "span_begin(%s): stack full\n", name);
		exit(2);
	}
	span_stack[span_depth++] = name;
	BARRIER();
}

SPAN_API void span_end(void)
{
	if (span_depth == 0) {
		fprintf(stderr, "span_end: no open span\n");
		exit(2);
	}
	sink += (unsigned long)strlen(span_stack[--span_depth]);
	__atomic_fetch_add(&spans_done, 1, __ATOMIC_RELAXED);
	BARRIER();
}

static void *worker(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "spanapi-%ld", (long)arg);
	pthread_setname_np(pthread_self(), name);
	for (int i = 0; i < ITERS; i++) {
		span_begin("request");
		span_begin("parse");
		span_end();
		span_begin("db");
		span_begin("query");
		sleep_ms(2);
		span_end();
		span_end();
		span_end();
	}
	if (span_depth != 0) {
		fprintf(stderr, "worker %ld: %d spans left open\n", (long)arg, span_depth);
		exit(2);
	}
	BARRIER();
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];
	unsigned long done;
	int err;

	span_begin("main");
	for (long k = 0; k < NTHREADS; k++) {
		err = pthread_create(&th[k], NULL, worker, (void *)k);
		if (err) {
			errno = err;
			die("pthread_create");
		}
	}
	for (int k = 0; k < NTHREADS; k++) {
		err = pthread_join(th[k], NULL);
		if (err) {
			errno = err;
			die("pthread_join");
		}
	}
	span_end();
	done = __atomic_load_n(&spans_done, __ATOMIC_RELAXED);
	say("spanapi done %lu", done);
	return done == NTHREADS * ITERS * 4 + 1 ? 0 : 2;
}
