/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How a run ends: which signals spantrace takes and what each one does, and,
 * once the traced process has ended, spantrace's exit status and the words
 * for how it ended. Pure: the loader applies it, unit tests check it.
 *
 * With -- COMMAND, spantrace and COMMAND share the process group, so the
 * terminal sends Ctrl-C (SIGINT) and Ctrl-\ (SIGQUIT) to COMMAND itself:
 * spantrace neither stops on them nor passes them on (COMMAND would get each
 * twice, and a second Ctrl-C often means "force quit"); it traces until
 * COMMAND ends, its cleanup included. SIGTERM and SIGHUP are passed on to
 * COMMAND: a supervisor stopping spantrace stops what it runs, and spantrace
 * still traces until COMMAND ends. With -p, SIGINT, SIGTERM and SIGHUP stop
 * tracing. SIGPIPE never kills spantrace mid-trace: the write fails instead.
 *
 * A signal ignored when spantrace started stays ignored, as the command it
 * starts inherits it (nohup's SIGHUP; SIGINT and SIGQUIT of a script's
 * background job): passing it on would do nothing. Except SIGINT and SIGTERM
 * with -p, which always stop tracing, so `kill -INT` stops a tracer that a
 * script started in the background.
 */
#ifndef SPANTRACE_FATE_H
#define SPANTRACE_FATE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

enum fate_action {
	FATE_STOP,     /* -p: stop tracing, write the trace */
	FATE_PASS_ON,  /* --: send it to COMMAND, trace until it ends */
	FATE_TERMINAL, /* --: the terminal sent it to COMMAND too; trace until it ends */
	FATE_IGNORE,   /* SIGPIPE: the failed write reports it */
};

/*
 * The signals spantrace takes (blocks, and reads from a signalfd) with a
 * command (true) or with -p; ignored: those ignored when it started.
 */
void fate__signals(bool command, const sigset_t *ignored, sigset_t *set);
/* What a signal of that set does. */
enum fate_action fate__on_signal(bool command, int sig);
/* spantrace's exit status for COMMAND's wait(2) status: its code, 128+N if signal N killed it. */
int fate__exit_status(int wstatus);
/* "exited with code 3", "was killed by SIGABRT (core dumped)": the end of a wait(2) status. */
const char *fate__describe(int wstatus, char *buf, size_t len);

#endif
