// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor for make bench: an empty program, attached instead of span_enter
 * and span_exit on the very same sites, the same way (uretprobe or RET
 * probes, uprobe_multi or perf), when SPANTRACE_BENCH_FLOOR is set. What it
 * costs is what the probes cost before any of spantrace's BPF work; the
 * difference to a normal run is that work. Not loaded otherwise.
 */
#include "common.bpf.h"

SEC("uprobe")
int span_floor(struct pt_regs *ctx)
{
	return 0;
}
