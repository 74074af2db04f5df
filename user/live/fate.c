// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* How a run ends: signals, exit status, last words. See fate.h. */
#include <stdio.h>
#include <sys/wait.h>

#include "fate.h"
#include "stall.h"

void fate__signals(bool command, const sigset_t *ignored, sigset_t *set)
{
	static const int with_command[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE };
	static const int with_pid[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	const int *v = command ? with_command : with_pid;
	size_t n = command ? sizeof(with_command) / sizeof(*v) : sizeof(with_pid) / sizeof(*v);

	sigemptyset(set);
	for (size_t i = 0; i < n; i++) {
		bool always = !command && (v[i] == SIGINT || v[i] == SIGTERM);

		if (always || sigismember(ignored, v[i]) != 1)
			sigaddset(set, v[i]);
	}
}

enum fate_action fate__on_signal(bool command, int sig)
{
	if (sig == SIGPIPE)
		return FATE_IGNORE;
	if (!command)
		return FATE_STOP;
	return sig == SIGINT || sig == SIGQUIT ? FATE_TERMINAL : FATE_PASS_ON;
}

int fate__exit_status(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

const char *fate__describe(int wstatus, char *buf, size_t len)
{
	char sig[32];

	if (WIFSIGNALED(wstatus))
		snprintf(buf, len, "was killed by %s%s",
			 stall__signame(WTERMSIG(wstatus), sig, sizeof(sig)),
			 WCOREDUMP(wstatus) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(wstatus));
	return buf;
}
