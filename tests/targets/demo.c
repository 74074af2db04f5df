// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The program `make demo` traces: a small "request server" with worker
 * threads, each request parsed, looked up in a cache and rendered.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))
#define BARRIER() __asm__ volatile("" ::: "memory")

static void busy_us(long us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

NOINLINE void demo_parse(int req)
{
	busy_us(20 + req % 7 * 5);
	BARRIER();
}

NOINLINE int demo_cache_lookup(int req)
{
	busy_us(req % 4 == 0 ? 300 : 15); /* every 4th request misses */
	BARRIER();
	return req % 4 != 0;
}

NOINLINE void demo_render(int req)
{
	busy_us(50);
	BARRIER();
}

NOINLINE void demo_handle_request(int req)
{
	demo_parse(req);
	if (!demo_cache_lookup(req))
		demo_render(req);
	BARRIER();
}

static void *worker(void *arg)
{
	long id = (long)arg;
	char name[16];

	snprintf(name, sizeof(name), "demo-worker-%ld", id);
	pthread_setname_np(pthread_self(), name);
	for (int r = 0; r < 50; r++)
		demo_handle_request((int)(id * 100 + r));
	return NULL;
}

int main(void)
{
	pthread_t th[3];

	for (long i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	printf("demo: handled 150 requests on 3 threads\n");
	return 0;
}
