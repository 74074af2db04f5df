// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Saving and restoring the signal state spantrace was started with. See sigstate.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "sigstate.h"

void sigstate__save(struct sigstate *s)
{
	struct sigaction sa;

	sigemptyset(&s->ignored);
	sigprocmask(SIG_BLOCK, NULL, &s->mask);
	/* glibc refuses (EINVAL) the two real-time signals it keeps for itself */
	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			sigaddset(&s->ignored, sig);
}

int sigstate__restore(const struct sigstate *s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		sa.sa_handler = sigismember(&s->ignored, sig) == 1 ? SIG_IGN : SIG_DFL;
		if (sigaction(sig, &sa, NULL) && errno != EINVAL)
			return -errno;
	}
	if (sigprocmask(SIG_SETMASK, &s->mask, NULL))
		return -errno;
	return 0;
}
