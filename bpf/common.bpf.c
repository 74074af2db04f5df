// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The maps and variables more than one BPF file uses, defined once; see
 * common.bpf.h, which declares them for the others.
 *
 * spantrace's BPF programs, by concern, all linked into one object with one
 * ring buffer:
 *   spans.bpf.c     span probes on functions (C, C++, Rust, Go), goroutines,
 *                   C++ exceptions unwinding
 *   proctree.bpf.c  the traced process tree: fork, exec, exit, fatal signals
 *   waits.bpf.c     off-CPU waits with their kernel stacks and blockers, pipe
 *                   writes, and the waits already in progress at attach
 *   floor.bpf.c     an empty span program, for make bench's floor only
 * The loader decides once which kernel-event programs load and how they
 * attach (kprobes where the kernel has them, tracepoints otherwise); see
 * user/live/kplan.c.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Wake the reader once this much is queued; it also polls on a timeout, so
 * nothing waits longer than that. Per-record wakeups would cost a syscall-ish
 * IPI per span on the traced thread. Both set by the loader: 1/8 of the ring,
 * and that divided by the number of CPUs. */
const volatile __u64 wakeup_bytes = 64 * 1024;
const volatile __u64 wakeup_check_bytes = 64 * 1024;

struct events_map events SEC(".maps");
struct tgids_map tgids SEC(".maps");
struct seen_tids_map seen_tids SEC(".maps");
struct pwrites_map pwrites SEC(".maps");
struct cpu_state_map cpu_state SEC(".maps");
struct thread_streams_map thread_streams SEC(".maps");

__u64 task_gen = 0;

__u64 dropped = 0;
__u64 stream_lost = 0;
__u64 lost_untracked = 0;
__u64 tgids_full = 0;
__u64 waits_full = 0;
