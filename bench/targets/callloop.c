// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// callloop FUNC N: one thread calls FUNC N times in a tight loop and prints
// "ns/call X" (CLOCK_MONOTONIC around the loop only, so a tracer's startup and
// teardown do not count). make bench (bench/bench.py) traces these functions.
//
// This file is built with -O2 -fcf-protection -fno-omit-frame-pointer, so
// bench_cet starts with endbr64 then push %rbp, as every function of a
// CET-built distribution package does. bench_push and bench_leaf live in
// callloop_nocet.c (-fcf-protection=none): push first, and a `lea; ret` leaf.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// noipa: no inlining, cloning or IPA facts (pure/const) that would let GCC
// hoist or drop the calls; clang has no noipa, noinline is enough there.
#if defined(__clang__)
#define BENCH_FN __attribute__((noinline, used))
#else
#define BENCH_FN __attribute__((noipa, used))
#endif

long bench_push(long a, long b);
long bench_leaf(long a, long b);
long bench_cet(long a, long b);
long bench_cet_helper(long a, long b);

BENCH_FN long bench_cet_helper(long a, long b)
{
	return a ^ b;
}

// Non-leaf: calls the helper, so it keeps its frame (endbr64; push %rbp; ...).
BENCH_FN long bench_cet(long a, long b)
{
	return bench_cet_helper(a, b) + 1;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define LOOP(fn)                                                    \
	do {                                                        \
		for (long i = 0; i < n; i++)                        \
			sum += fn(i, sum);                          \
	} while (0)

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: callloop bench_cet|bench_push|bench_leaf N\n");
		return 2;
	}
	const char *f = argv[1];
	char *end;
	long n = strtol(argv[2], &end, 10);
	if (*end || n <= 0) {
		fprintf(stderr, "callloop: bad N '%s'\n", argv[2]);
		return 2;
	}
	long sum = 0;
	double t0 = now_ns();
	if (!strcmp(f, "bench_cet"))
		LOOP(bench_cet);
	else if (!strcmp(f, "bench_push"))
		LOOP(bench_push);
	else if (!strcmp(f, "bench_leaf"))
		LOOP(bench_leaf);
	else {
		fprintf(stderr, "callloop: unknown function '%s' (bench_cet, bench_push, bench_leaf)\n", f);
		return 2;
	}
	double t1 = now_ns();
	printf("ns/call %.3f\n", (t1 - t0) / n);
	printf("calls %ld sum %ld\n", n, sum);
	return 0;
}
