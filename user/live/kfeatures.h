/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one place that asks the kernel what it can do. Decided once at start;
 * -v prints each choice and why.
 */
#ifndef SPANTRACE_KFEATURES_H
#define SPANTRACE_KFEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "kplan.h"

struct ksyms;

struct features {
	/* BPF_TRACE_UPROBE_MULTI links (Linux 6.6): one link per object and
	 * direction, attached and detached with one RCU grace period. */
	bool uprobe_multi;
	const char *uprobe_why;

	/* Kernel BTF, which the CO-RE kernel-event programs need. */
	bool btf;
	char btf_why[160];
	/* kprobes or tracepoints for each kernel event (decided in kplan.c) */
	struct kev_features kev;
	/* kev.syscall_tps: the tracefs ids of kev_syscall_tps[] (perf events) */
	int syscall_tp_ids[KEV_NSYSCALL_TPS];
};

/*
 * Probes the kernel once. ks (may be NULL) says which kernel functions exist.
 * SPANTRACE_NO_UPROBE_MULTI=1 forces per-function uprobes,
 * SPANTRACE_NO_KPROBES=1 forces tracepoints and SPANTRACE_NO_SYSCALL_TPS=1
 * the raw syscall tracepoints for pipe writes (tests and make bench use them).
 */
void features__probe(struct features *f, const struct ksyms *ks);

/* The tracefs id of syscall tracepoint name (one of kev_syscall_tps), or -1. */
int features__syscall_tp_id(const struct features *f, const char *name);

#endif
