// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a process spantrace does not trace pays while spantrace traces another
 * one (bench.py, "tax on untraced processes"):
 *   taxloop getppid N    N getppid() syscalls in a loop
 *   taxloop pingpong N   N round trips of one byte between this process and a
 *                        child over two pipes (a write and a read each way)
 * Prints "ns/call X", the loop's CLOCK_MONOTONIC time over N (process start
 * and exit do not count), and "cpu-ns/call Y", the CPU time the processes
 * spent over N (the loop's thread CPU time; for pingpong, this process's
 * during the loop plus the child's): on a machine shared with other work,
 * the CPU time moves less with the neighbours than the wall time does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cost {
	double wall_ns, cpu_ns;
};

static double clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double rusage_cpu_ns(const struct rusage *ru)
{
	return ((double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec) * 1e9 +
	       ((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) * 1e3;
}

static struct cost getppid_loop(long n)
{
	double t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid); /* the libc wrapper could be cached one day */
	return (struct cost){ clock_ns(CLOCK_MONOTONIC) - t0,
			      clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0 };
}

/* Echoes every byte from in to out until in closes. */
static void echo(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			_exit(1);
	_exit(0);
}

static struct cost pingpong(long n)
{
	int there[2], back[2], status;
	double t0, c0;
	struct cost t;
	struct rusage ru;
	pid_t child;
	char c = 'x';

	if (pipe(there) || pipe(back)) {
		perror("taxloop: pipe");
		exit(1);
	}
	child = fork();
	if (child < 0) {
		perror("taxloop: fork");
		exit(1);
	}
	if (child == 0) {
		close(there[1]);
		close(back[0]);
		echo(there[0], back[1]);
	}
	close(there[0]);
	close(back[1]);
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++)
		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) {
			fprintf(stderr, "taxloop: the echo child stopped answering\n");
			exit(1);
		}
	t.wall_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	t.cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	close(there[1]);
	if (wait4(child, &status, 0, &ru) != child || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "taxloop: the echo child failed\n");
		exit(1);
	}
	t.cpu_ns += rusage_cpu_ns(&ru);
	return t;
}

int main(int argc, char **argv)
{
	long n = argc == 3 ? atol(argv[2]) : 0;
	struct cost t;

	if (n <= 0 || (strcmp(argv[1], "getppid") && strcmp(argv[1], "pingpong"))) {
		fprintf(stderr, "usage: taxloop getppid|pingpong N\n");
		return 2;
	}
	t = strcmp(argv[1], "getppid") ? pingpong(n) : getppid_loop(n);
	printf("ns/call %.3f\ncpu-ns/call %.3f\n", t.wall_ns / (double)n, t.cpu_ns / (double)n);
	return 0;
}
