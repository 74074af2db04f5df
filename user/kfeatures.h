/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one place that asks the kernel what it can do. Decided once at start;
 * -v prints each choice and why.
 */
#ifndef SPANTRACE_KFEATURES_H
#define SPANTRACE_KFEATURES_H

#include <stdbool.h>

struct features {
	/* BPF_TRACE_UPROBE_MULTI links (Linux 6.6): one link per object and
	 * direction, attached and detached with one RCU grace period. */
	bool uprobe_multi;
	const char *uprobe_why;
};

/* SPANTRACE_NO_UPROBE_MULTI=1 forces the per-function fallback (tests use it). */
void features__probe(struct features *f);

#endif
