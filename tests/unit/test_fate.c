/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fate: which signals spantrace takes with a command and with -p, what each
 * does, the exit status for a command's wait status and the words for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "fate.h"

/* The members of set among signals 1..31, as a bit mask (bit N-1: signal N, as in /proc). */
static unsigned long bits(const sigset_t *set)
{
	unsigned long b = 0;

	for (int sig = 1; sig < 32; sig++)
		if (sigismember(set, sig) == 1)
			b |= 1ul << (sig - 1);
	return b;
}

#define BIT(sig) (1ul << ((sig) - 1))

static sigset_t of(int n, ...)
{
	sigset_t s;
	va_list ap;

	sigemptyset(&s);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		sigaddset(&s, va_arg(ap, int));
	va_end(ap);
	return s;
}

static void test_signals_taken(void **state)
{
	sigset_t none = of(0), set;
	sigset_t bg_job = of(2, SIGINT, SIGQUIT), nohup = of(1, SIGHUP);
	sigset_t all = of(5, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE);

	fate__signals(true, &none, &set);
	assert_int_equal(bits(&set),
			 BIT(SIGINT) | BIT(SIGQUIT) | BIT(SIGTERM) | BIT(SIGHUP) | BIT(SIGPIPE));
	fate__signals(false, &none, &set);
	assert_int_equal(bits(&set), BIT(SIGINT) | BIT(SIGTERM) | BIT(SIGHUP) | BIT(SIGPIPE));

	/* a background job of a script: its command ignores them as well */
	fate__signals(true, &bg_job, &set);
	assert_int_equal(bits(&set), BIT(SIGTERM) | BIT(SIGHUP) | BIT(SIGPIPE));
	/* nohup: a hangup is not passed on, nor stops -p */
	fate__signals(true, &nohup, &set);
	assert_int_equal(bits(&set), BIT(SIGINT) | BIT(SIGQUIT) | BIT(SIGTERM) | BIT(SIGPIPE));
	fate__signals(false, &nohup, &set);
	assert_int_equal(bits(&set), BIT(SIGINT) | BIT(SIGTERM) | BIT(SIGPIPE));
	/* -p: SIGINT and SIGTERM stop tracing even if ignored at start */
	fate__signals(false, &all, &set);
	assert_int_equal(bits(&set), BIT(SIGINT) | BIT(SIGTERM));
	fate__signals(true, &all, &set);
	assert_int_equal(bits(&set), 0);
}

static void test_on_signal(void **state)
{
	assert_int_equal(fate__on_signal(true, SIGINT), FATE_TERMINAL);
	assert_int_equal(fate__on_signal(true, SIGQUIT), FATE_TERMINAL);
	assert_int_equal(fate__on_signal(true, SIGTERM), FATE_PASS_ON);
	assert_int_equal(fate__on_signal(true, SIGHUP), FATE_PASS_ON);
	assert_int_equal(fate__on_signal(true, SIGPIPE), FATE_IGNORE);
	assert_int_equal(fate__on_signal(false, SIGINT), FATE_STOP);
	assert_int_equal(fate__on_signal(false, SIGTERM), FATE_STOP);
	assert_int_equal(fate__on_signal(false, SIGHUP), FATE_STOP);
	assert_int_equal(fate__on_signal(false, SIGPIPE), FATE_IGNORE);
}

static void test_exit_status(void **state)
{
	assert_int_equal(fate__exit_status(W_EXITCODE(0, 0)), 0);
	assert_int_equal(fate__exit_status(W_EXITCODE(3, 0)), 3);
	assert_int_equal(fate__exit_status(W_EXITCODE(255, 0)), 255);
	assert_int_equal(fate__exit_status(W_EXITCODE(0, SIGKILL)), 137);
	assert_int_equal(fate__exit_status(W_EXITCODE(0, SIGINT)), 130);
	assert_int_equal(fate__exit_status(W_EXITCODE(0, SIGABRT) | WCOREFLAG), 134);
}

static void test_describe(void **state)
{
	char buf[64];

	assert_string_equal(fate__describe(W_EXITCODE(0, 0), buf, sizeof(buf)),
			    "exited with code 0");
	assert_string_equal(fate__describe(W_EXITCODE(3, 0), buf, sizeof(buf)),
			    "exited with code 3");
	assert_string_equal(fate__describe(W_EXITCODE(0, SIGKILL), buf, sizeof(buf)),
			    "was killed by SIGKILL");
	assert_string_equal(fate__describe(W_EXITCODE(0, SIGABRT) | WCOREFLAG, buf, sizeof(buf)),
			    "was killed by SIGABRT (core dumped)");
	/* a real-time signal is named as glibc numbers it (SIGRTMIN is 34) */
	assert_string_equal(fate__describe(W_EXITCODE(0, 40), buf, sizeof(buf)),
			    "was killed by SIGRTMIN+6");
	/* truncated, still terminated */
	assert_string_equal(fate__describe(W_EXITCODE(3, 0), buf, 7), "exited");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_taken),
		cmocka_unit_test(test_on_signal),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
