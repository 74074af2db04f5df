/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The signal state spantrace was started with: its signal mask and the
 * signals it ignores. A command started with -- gets exactly that state, as
 * it would without spantrace in between (a shell's background job ignores
 * SIGINT and SIGQUIT, nohup ignores SIGHUP), whatever spantrace blocks or
 * changes for itself afterwards.
 */
#ifndef SPANTRACE_SIGSTATE_H
#define SPANTRACE_SIGSTATE_H

#include <signal.h>

struct sigstate {
	sigset_t mask;
	sigset_t ignored; /* disposition SIG_IGN */
};

/* This process's state now: first thing in main, before anything blocks a signal. */
void sigstate__save(struct sigstate *s);
/*
 * Makes this process's state s: SIG_IGN where s ignores a signal, SIG_DFL
 * everywhere else, and s's mask. For a forked child about to exec: only
 * async-signal-safe calls. Returns 0, or -errno.
 */
int sigstate__restore(const struct sigstate *s);

#endif
