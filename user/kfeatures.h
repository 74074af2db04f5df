/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one place that asks the kernel what it can do. Decided once at start;
 * -v prints each choice and why.
 */
#ifndef SPANTRACE_KFEATURES_H
#define SPANTRACE_KFEATURES_H

#include <stdbool.h>
#include <stddef.h>

struct ksyms;

#define FEAT_MAX_PIPE_FUNCS 2

struct features {
	/* BPF_TRACE_UPROBE_MULTI links (Linux 6.6): one link per object and
	 * direction, attached and detached with one RCU grace period. */
	bool uprobe_multi;
	const char *uprobe_why;

	/* Kernel BTF, which the CO-RE kernel-event programs need. */
	bool btf;
	char btf_why[160];
	/* kprobes: the kprobe PMU exists (CONFIG_KPROBES). */
	bool kprobes;
	char kprobes_why[160];
	/* Pipe writes: kprobes on these kernel functions, or (none) syscall tracepoints. */
	const char *pipe_funcs[FEAT_MAX_PIPE_FUNCS];
	size_t npipe_funcs;
	char pipe_why[240];
	/* Exits: a kprobe on do_exit, or the sched_process_exit tracepoint. */
	bool exit_kprobe;
	char exit_why[240];
};

/*
 * Probes the kernel once. ks (may be NULL) says which kernel functions exist.
 * SPANTRACE_NO_UPROBE_MULTI=1 forces per-function uprobes and
 * SPANTRACE_NO_KPROBES=1 forces tracepoints (tests use both).
 */
void features__probe(struct features *f, const struct ksyms *ks);

#endif
