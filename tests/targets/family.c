// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A process tree created while traced: forks, an exec, a kill, a thread.
 *
 * Prints "ready PID" and waits for a line on stdin (the tracer attaches
 * meanwhile). Then the root "family" runs, one child at a time:
 *   A "fam-a": family_work(1), exit(3)
 *   B "fam-b": family_work(2), forks C "fam-c" (family_work(3), exit 0),
 *	waits for it, exit(4)
 *   D "fam-d": family_work(4), execs /bin/sh -c "exit 5" (comm becomes "sh")
 *   E "fam-e": family_work(5), pauses until the root's SIGTERM (sent 50 ms
 *	after E has returned from family_work)
 *   thread "fam-t": family_work(6)
 * and last family_work(0) itself: 7 calls in 6 processes and 1 thread.
 * Prints "A exit 3", "B exit 4", "D exit 5", "E signal 15" (each child's
 * real wait status, in that form), then "done".
 *
 * A failed system call prints a message on stderr and exits 2; after
 * "done", the exit code is 1 if a status was not the expected one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

/* noclone: the one traced symbol, no family_work.constprop.N copies. */
#define TRACED __attribute__((noinline, noclone))
#define BARRIER() __asm__ volatile("" ::: "memory")

static volatile unsigned long sink;

static void set_name(const char *name)
{
	if (prctl(PR_SET_NAME, name, 0, 0, 0) < 0)
		die("prctl PR_SET_NAME");
}

/* "X exit N" or "X signal N"; returns whether it is the expected one. */
static int report(const char *who, int status, int sig, int code)
{
	if (WIFEXITED(status)) {
		say("%s exit %d", who, WEXITSTATUS(status));
		return !sig && WEXITSTATUS(status) == code;
	}
	if (WIFSIGNALED(status)) {
		say("%s signal %d", who, WTERMSIG(status));
		return sig && WTERMSIG(status) == sig;
	}
	say("%s status 0x%x", who, status);
	return 0;
}

TRACED void family_work(int n)
{
	for (volatile int i = 0; i < 1000; i++)
		sink += (unsigned long)(n + i);
	BARRIER();
}

static pid_t spawn(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	return pid;
}

static void *thread_main(void *arg)
{
	int e;

	(void)arg;
	e = pthread_setname_np(pthread_self(), "fam-t");
	if (e) {
		errno = e;
		die("pthread_setname_np");
	}
	family_work(6);
	return NULL;
}

int main(void)
{
	int sa, sb, sd, se, sc, syncp[2], e, ok = 1;
	pthread_t th;
	sigset_t set;
	ssize_t n;
	pid_t pid, c;
	char b;

	set_name("family");
	/* E must die of SIGTERM even if we were started with it ignored/blocked. */
	if (signal(SIGTERM, SIG_DFL) == SIG_ERR)
		die("signal");
	if (sigemptyset(&set) < 0 || sigaddset(&set, SIGTERM) < 0 ||
	    sigprocmask(SIG_UNBLOCK, &set, NULL) < 0)
		die("sigprocmask");

	say("ready %d", getpid());
	wait_line();

	/* 1. A */
	pid = spawn();
	if (pid == 0) {
		set_name("fam-a");
		family_work(1);
		exit(3);
	}
	sa = wait_child(pid);

	/* 2. B, and its child C */
	pid = spawn();
	if (pid == 0) {
		set_name("fam-b");
		family_work(2);
		c = spawn();
		if (c == 0) {
			set_name("fam-c");
			family_work(3);
			exit(0);
		}
		sc = wait_child(c);
		if (!WIFEXITED(sc) || WEXITSTATUS(sc) != 0) {
			fprintf(stderr, "family: C status 0x%x\n", sc);
			exit(6);
		}
		exit(4);
	}
	sb = wait_child(pid);

	/* 3. D, which execs */
	pid = spawn();
	if (pid == 0) {
		set_name("fam-d");
		family_work(4);
		execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
		die("execl /bin/sh");
	}
	sd = wait_child(pid);

	/*
	 * 4. E, killed by SIGTERM. It tells us through a pipe when its
	 * family_work is done, so the signal cannot come before the call.
	 */
	if (pipe(syncp) < 0)
		die("pipe");
	pid = spawn();
	if (pid == 0) {
		set_name("fam-e");
		family_work(5);
		if (close(syncp[0]) < 0)
			die("close");
		if (write(syncp[1], "e", 1) != 1)
			die("write sync pipe");
		if (close(syncp[1]) < 0)
			die("close");
		for (;;)
			pause();
	}
	if (close(syncp[1]) < 0)
		die("close");
	do
		n = read(syncp[0], &b, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die("read sync pipe");
	if (n == 0) {
		fprintf(stderr, "family: E ended before its family_work\n");
		ok = 0;
	}
	if (close(syncp[0]) < 0)
		die("close");
	sleep_ms(50);
	if (kill(pid, SIGTERM) < 0)
		die("kill E");
	se = wait_child(pid);

	/* 5. a thread */
	e = pthread_create(&th, NULL, thread_main, NULL);
	if (e) {
		errno = e;
		die("pthread_create");
	}
	e = pthread_join(th, NULL);
	if (e) {
		errno = e;
		die("pthread_join");
	}

	/* 6. the root itself */
	family_work(0);
	ok &= report("A", sa, 0, 3);
	ok &= report("B", sb, 0, 4);
	ok &= report("D", sd, 0, 5);
	ok &= report("E", se, SIGTERM, 0);
	say("done");
	return ok ? 0 : 1;
}
