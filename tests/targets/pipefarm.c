// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A host with many processes, and a writer waiting on a pipe among them: the
 * load under which spantrace's event loop must keep reading its ring buffer
 * (make bench: bench/loopbench.py).
 *
 *   pipefarm PROCS THREADS [SLEEP_MS]
 *	Starts PROCS processes that sleep holding two pipes each (four fds),
 *	then a reader, which holds the read end of pipe P and reads 64 KiB of it
 *	every 250 ms, and a writer "pfwriter", which writes 64 KiB to P at a time,
 *	so it waits on the full pipe most of the time, and runs THREADS threads
 *	that sleep SLEEP_MS (default 20) at a time, over and over: threads going
 *	off CPU and back, which spantrace keeps in its map of waits. The reader
 *	comes after every sleeper, so a search of /proc for it reads all of
 *	them first. Prints "writer PID reader PID" once all run, then waits for a
 *	line on stdin (or its end) and kills them all.
 *
 * A failed system call prints a message on stderr and exits 2.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "helpers.h"

#define CHUNK 65536
#define READ_EVERY_MS 250

static long sleep_each_ms = 20;

/* The child ends with this process: nothing outlives the farm. */
static pid_t fork_child(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			die("prctl");
		if (getppid() != parent)
			_exit(0);
	}
	return pid;
}

static void sleeper(int ready)
{
	int p[4];

	if (pipe(p) < 0 || pipe(p + 2) < 0)
		die("pipe");
	if (write(ready, "x", 1) != 1)
		die("write ready");
	close(ready);
	for (;;)
		pause();
}

static void reader(int fd)
{
	char *buf = malloc(CHUNK);

	if (!buf)
		die("malloc");
	for (;;) {
		sleep_ms(READ_EVERY_MS);
		if (read(fd, buf, CHUNK) < 0)
			die("read pipe");
	}
}

static void *churn(void *arg)
{
	for (;;)
		sleep_ms(sleep_each_ms);
	return NULL;
}

static void writer(int fd, long threads)
{
	char *buf = malloc(CHUNK);
	pthread_t th;

	if (!buf)
		die("malloc");
	memset(buf, 'w', CHUNK);
	if (prctl(PR_SET_NAME, "pfwriter", 0, 0, 0) < 0)
		die("prctl");
	for (long i = 0; i < threads; i++) {
		int e = pthread_create(&th, NULL, churn, NULL);

		if (e) {
			errno = e;
			die("pthread_create");
		}
	}
	for (;;)
		if (write(fd, buf, CHUNK) < 0)
			die("write pipe");
}

int main(int argc, char **argv)
{
	long procs, threads;
	int ready[2], p[2];
	pid_t r, w;
	char c;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: pipefarm PROCS THREADS [SLEEP_MS]\n");
		return 2;
	}
	procs = atol(argv[1]);
	threads = atol(argv[2]);
	if (argc == 4)
		sleep_each_ms = atol(argv[3]);
	if (pipe(ready) < 0)
		die("pipe");
	for (long i = 0; i < procs; i++) {
		if (fork_child() == 0) {
			close(ready[0]);
			sleeper(ready[1]);
		}
	}
	for (long i = 0; i < procs; i++)
		if (read(ready[0], &c, 1) != 1)
			die("read ready");
	close(ready[0]);
	close(ready[1]);
	if (pipe(p) < 0)
		die("pipe");
	r = fork_child();
	if (r == 0) {
		close(p[1]);
		reader(p[0]);
	}
	w = fork_child();
	if (w == 0) {
		close(p[0]);
		writer(p[1], threads);
	}
	close(p[0]);
	close(p[1]);
	say("writer %d reader %d", w, r);
	wait_line();
	return 0; /* and every child is killed (PR_SET_PDEATHSIG) */
}
