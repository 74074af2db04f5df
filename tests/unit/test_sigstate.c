/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sigstate: the mask and ignored signals saved at start are what a forked
 * child gets back, whatever the process blocked, ignored or caught since.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sigstate.h"

static void on_signal(int sig)
{
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	assert_int_equal(sigaction(sig, &sa, NULL), 0);
}

static void (*handler_of(int sig))(int)
{
	struct sigaction sa;

	sigaction(sig, NULL, &sa);
	return sa.sa_handler;
}

static void block_only(int n, ...)
{
	sigset_t set;
	va_list ap;

	sigemptyset(&set);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		sigaddset(&set, va_arg(ap, int));
	va_end(ap);
	assert_int_equal(sigprocmask(SIG_SETMASK, &set, NULL), 0);
}

/* In the child: a bit per check that failed, 0 if the state is the one saved. */
static int child_checks(void)
{
	sigset_t mask;
	int bad = 0;

	sigprocmask(SIG_BLOCK, NULL, &mask);
	bad |= (sigismember(&mask, SIGUSR1) != 1) << 0;
	bad |= (sigismember(&mask, SIGINT) != 0) << 1;
	bad |= (handler_of(SIGUSR2) != SIG_IGN) << 2;
	bad |= (handler_of(SIGCHLD) != SIG_IGN) << 3;
	bad |= (handler_of(SIGHUP) != SIG_DFL) << 4;
	bad |= (handler_of(SIGTERM) != SIG_DFL) << 5;
	return bad;
}

static void test_child_gets_saved_state(void **state)
{
	struct sigstate s;
	pid_t pid;
	int st;

	/* as started: SIGUSR1 blocked, SIGUSR2 and SIGCHLD ignored, SIGTERM caught */
	block_only(1, SIGUSR1);
	set_handler(SIGUSR2, SIG_IGN);
	set_handler(SIGCHLD, SIG_IGN);
	set_handler(SIGTERM, on_signal);
	sigstate__save(&s);
	assert_int_equal(sigismember(&s.mask, SIGUSR1), 1);
	assert_int_equal(sigismember(&s.mask, SIGINT), 0);
	assert_int_equal(sigismember(&s.ignored, SIGUSR2), 1);
	assert_int_equal(sigismember(&s.ignored, SIGCHLD), 1);
	assert_int_equal(sigismember(&s.ignored, SIGTERM), 0);

	/* what the process did since: block other signals, ignore others, reap its children */
	block_only(2, SIGINT, SIGTERM);
	set_handler(SIGUSR2, SIG_DFL);
	set_handler(SIGCHLD, SIG_DFL);
	set_handler(SIGHUP, SIG_IGN);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(sigstate__restore(&s) ? 100 : child_checks());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	block_only(0);
	set_handler(SIGHUP, SIG_DFL);
	set_handler(SIGTERM, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_gets_saved_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
