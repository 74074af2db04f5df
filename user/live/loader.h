/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SPANTRACE_LOADER_H
#define SPANTRACE_LOADER_H

#include "opts.h"
#include "sigstate.h"

/*
 * One tracing run, in order: check privileges, find the target, resolve
 * probes, open the output, load and attach, stream events into the trace
 * until the target exits, a signal, or -d; then finish the file and print the
 * summary. A command (--) starts with the signal state start, and is waited
 * for even when tracing stops first. Returns the process exit status: the
 * command's (fate.h), 0 with -p, 1 on an error. On any error nothing stays
 * attached and no output file is left behind.
 */
int loader__run(const struct opts *o, const struct sigstate *start);

#endif
