// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A program that cleans up on Ctrl-C: started() once, then it waits for
 * SIGINT; on it, says "interrupted", calls cleanup() three times (spans after
 * the interrupt) and exits 130, as a shell reports a Ctrl-C.
 *   interrupt
 */
#include <signal.h>
#include <string.h>

#include "helpers.h"

#define NOINLINE __attribute__((noinline))

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

NOINLINE void started(void)
{
	__asm__ volatile("" ::: "memory");
}

NOINLINE void cleanup(int step)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	struct sigaction sa;
	sigset_t block, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	if (sigaction(SIGINT, &sa, NULL))
		die("sigaction");
	/* blocked until sigsuspend: a SIGINT after "ready" is never missed */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, &old))
		die("sigprocmask");
	sigdelset(&old, SIGINT);
	started();
	say("ready %d", getpid());
	while (!interrupted)
		sigsuspend(&old);
	say("interrupted");
	for (int i = 0; i < 3; i++)
		cleanup(i);
	return 130;
}
