// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// hotloop MS: calls hot() as fast as it can for MS milliseconds, warm() every
// 2 ms and cold() every 10 ms; then prints, per 100 ms of its own clock, the
// calls of hot() made in it ("period N hot CALLS"), and the totals ("hot N
// warm N cold N"). For the overhead guard's tests: a traced hot() must soon
// run at nearly its untraced rate again, and every call of warm() and cold()
// must keep its span (warm() is called often enough to be hit while a probe
// link is replaced).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PERIOD_NS (100 * 1000 * 1000LL)
#define WARM_EVERY_NS (2 * 1000 * 1000LL)
#define COLD_EVERY_NS (10 * 1000 * 1000LL)
#define MAX_PERIODS 1000

__attribute__((noinline)) long hot(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x * 3 + 1;
}

__attribute__((noinline)) long helper(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x ^ 5;
}

/*
 * Not leaves, so they start with push %rbp, which the kernel emulates: their
 * probes cost a few times less than hot()'s, whose lea is single-stepped, and
 * together they stay under the guard's floor (10 ms of probes a second) on
 * this project's slowest machine, however little CPU the loaded host gives.
 */
__attribute__((noinline)) long warm(long x)
{
	return helper(x) - 3;
}

__attribute__((noinline)) long cold(long x)
{
	return helper(x) + 7;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static long long period_calls[MAX_PERIODS];
	long long ms = argc > 1 ? atoll(argv[1]) : 0, start, end, now, next_warm, next_cold;
	long long hot_calls = 0, warm_calls = 0, cold_calls = 0;
	long sum = 0;
	int np;

	if (ms <= 0 || ms * 1000000LL / PERIOD_NS > MAX_PERIODS) {
		fprintf(stderr, "usage: hotloop MS (1 to %lld)\n", MAX_PERIODS * PERIOD_NS / 1000000);
		return 2;
	}
	start = now = now_ns();
	end = start + ms * 1000000LL;
	next_warm = next_cold = start;
	while (now < end) {
		for (int i = 0; i < 256; i++)
			sum += hot(i);
		hot_calls += 256;
		period_calls[(now - start) / PERIOD_NS] += 256;
		now = now_ns();
		if (now >= next_warm) {
			sum += warm(sum);
			warm_calls++;
			next_warm += WARM_EVERY_NS;
		}
		if (now >= next_cold) {
			sum += cold(sum);
			cold_calls++;
			next_cold += COLD_EVERY_NS;
		}
	}
	np = (int)((ms * 1000000LL + PERIOD_NS - 1) / PERIOD_NS);
	for (int p = 0; p < np; p++)
		printf("period %d hot %lld\n", p, period_calls[p]);
	printf("hot %lld warm %lld cold %lld sum %ld\n", hot_calls, warm_calls, cold_calls, sum);
	return 0;
}
