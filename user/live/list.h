/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --list: the functions the SPECs match in a process (-p), a command not
 * started (--) or a file, and where each would be probed or why it cannot
 * be, printed on stdout (listing.h). Nothing is loaded into the kernel,
 * attached, or started.
 */
#ifndef SPANTRACE_LIST_H
#define SPANTRACE_LIST_H

#include "opts.h"

/* The exit status: 0, or 1 after one line on stderr (no match, an unreadable file...). */
int list__run(const struct opts *o);

#endif
