/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Words about waits: the task-state letter, whether SIGKILL would end the
 * wait, where in the kernel it sleeps, when a stall is due to be reported and
 * the one-line report itself. Pure C, unit-tested.
 */
#ifndef SPANTRACE_STALL_H
#define SPANTRACE_STALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Of a task state (ST_TASK_* bits): "D" (uninterruptible), "S" (interruptible sleep), "T"
 * (stopped/traced). */
const char *stall__state(uint32_t state);
/* Uninterruptible sleep (D), killable or not: the states --stall reports. */
bool stall__uninterruptible(uint32_t state);
/* The sleep ends on SIGKILL: interruptible, or uninterruptible with ST_TASK_WAKEKILL. */
bool stall__killable(uint32_t state);
/*
 * Whether a kernel stack frame ("function+0xoff") is tracing's own glue: the
 * BPF program that took the stack and the tracepoint machinery that ran it
 * (bpf_prog_*, bpf_trace_run4, __bpf_trace_sched_switch,
 * __traceiter_sched_switch), never what the task was doing.
 */
bool stall__tracing_frame(const char *frame);
/*
 * Index of the frame a sleeping task waits in: the first of kstack
 * ("function+0xoff", innermost first) that is neither the scheduler itself
 * (schedule, __schedule, schedule_timeout, io_schedule ...) nor tracing's
 * glue. n if none.
 */
size_t stall__wait_frame(const char *const *kstack, size_t n);
/* Copies the function name of a "function+0xoff" frame, without a .constprop/.isra suffix. */
void stall__func(const char *frame, char *buf, size_t len);
/* A wait of dur ns is reported at threshold, then each time it has grown tenfold since. */
bool stall__due(uint64_t dur, uint64_t said, uint64_t threshold);
/* "SIGKILL", "SIGTERM", or "signal N". */
const char *stall__signame(int sig, char *buf, size_t len);

struct stall_report {
	uint32_t pid, tid;
	const char *comm;
	uint32_t state;
	uint64_t dur_ns;
	bool estimated;		   /* began before tracing: the duration is "about" */
	const char *const *kstack; /* innermost first */
	size_t nkstack;
	int fatal_sig;		   /* pending, 0 if none */
	uint64_t fatal_ns;	   /* for how long */
	uint32_t blocked_by;	   /* tid, 0 if unknown */
	const char *blocked_comm;  /* may be NULL */
	const char *blocked_reason; /* may be NULL */
	uint64_t pipe_ino;
};

/*
 * One line, no prefix, no newline, e.g.
 *   stall: pid 7 tid 8 (zfs) uninterruptible for 3.2 s in __mutex_lock
 *   [__mutex_lock+0x14c < anon_pipe_write+0x5a < vfs_write+0x23e]; SIGKILL pending 3.0 s:
 *   not killable; blocked by tid 6 (holder): holds the pipe lock; pipe 31337
 * Returns the length it needed, like snprintf.
 */
int stall__format(char *buf, size_t len, const struct stall_report *r);

#endif
