// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "spantrace.h"
#include "stall.h"

/* Frames shown after the one the task waits in. */
#define STALL_FRAMES 4

const char *stall__state(uint32_t state)
{
	if (state & ST_TASK_UNINTERRUPTIBLE)
		return "D";
	if (state & ST_TASK_INTERRUPTIBLE)
		return "S";
	if (state & ST_TASK_STOPPED_BITS)
		return "T";
	return "R";
}

bool stall__uninterruptible(uint32_t state)
{
	return (state & ST_TASK_UNINTERRUPTIBLE) != 0;
}

bool stall__killable(uint32_t state)
{
	return (state & ST_TASK_INTERRUPTIBLE) || (state & ST_TASK_WAKEKILL);
}

static bool is_sched_frame(const char *f)
{
	static const char *const sched[] = {
		"__schedule",	     "schedule",	   "schedule_preempt_disabled",
		"schedule_timeout", "io_schedule",	   "io_schedule_timeout",
		"preempt_schedule", "preempt_schedule_common", "schedule_hrtimeout_range_clock",
		"schedule_hrtimeout_range", "__cond_resched",
	};
	char fn[128];

	stall__func(f, fn, sizeof(fn));
	for (size_t i = 0; i < sizeof(sched) / sizeof(sched[0]); i++)
		if (strcmp(fn, sched[i]) == 0)
			return true;
	return false;
}

bool stall__tracing_frame(const char *frame)
{
	static const char *const glue[] = { "bpf_prog_", "__bpf_prog_", "bpf_trace_run",
					    "__bpf_trace_", "__traceiter_" };

	for (size_t i = 0; i < sizeof(glue) / sizeof(glue[0]); i++)
		if (strncmp(frame, glue[i], strlen(glue[i])) == 0)
			return true;
	return false;
}

size_t stall__wait_frame(const char *const *kstack, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_sched_frame(kstack[i]) && !stall__tracing_frame(kstack[i]))
			return i;
	return n;
}

void stall__func(const char *frame, char *buf, size_t len)
{
	size_t n = strcspn(frame, "+");
	const char *dot = memchr(frame, '.', n);

	/* compiler clones: __mutex_lock.constprop.0 is __mutex_lock */
	if (dot && dot != frame)
		n = (size_t)(dot - frame);
	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, frame, n);
	buf[n] = 0;
}

bool stall__due(uint64_t dur, uint64_t said, uint64_t threshold)
{
	if (dur < threshold)
		return false;
	if (!said)
		return true;
	return dur / 10 >= said;
}

/*
 * Real-time signals are named as glibc numbers them (kill -l, Python's
 * signal.SIGRTMIN): glibc keeps 32 and 33 for itself, so SIGRTMIN is 34.
 */
#define GLIBC_SIGRTMIN 34
#define KERNEL_SIGRTMAX 64

const char *stall__signame(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 && sig < GLIBC_SIGRTMIN ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig == KERNEL_SIGRTMAX)
		snprintf(buf, len, "SIGRTMAX");
	else if (sig == GLIBC_SIGRTMIN)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig > GLIBC_SIGRTMIN && sig < KERNEL_SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - GLIBC_SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* Appends to buf[*at, len), keeping *at as the length that would be needed. */
#define PUT(...)                                                                               \
	do {                                                                                   \
		int k_ = snprintf(buf + (*at < len ? *at : len), *at < len ? len - *at : 0,    \
				  __VA_ARGS__);                                                \
		if (k_ > 0)                                                                    \
			*at += (size_t)k_;                                                     \
	} while (0)

static void put_secs(char *buf, size_t len, size_t *at, uint64_t ns)
{
	PUT("%.1f s", (double)ns / 1e9);
}

int stall__format(char *buf, size_t len, const struct stall_report *r)
{
	size_t at0 = 0, *at = &at0;
	size_t w = stall__wait_frame(r->kstack, r->nkstack);
	char fn[128], sig[32];

	if (len)
		buf[0] = 0;
	PUT("stall: pid %u tid %u (%s) %s for %s", r->pid, r->tid, r->comm ? r->comm : "?",
	    stall__uninterruptible(r->state) ? "uninterruptible" : "sleeping",
	    r->estimated ? "about " : "");
	put_secs(buf, len, at, r->dur_ns);
	if (w < r->nkstack) {
		stall__func(r->kstack[w], fn, sizeof(fn));
		PUT(" in %s [", fn);
		for (size_t i = w; i < r->nkstack && i < w + STALL_FRAMES; i++)
			PUT("%s%s", i == w ? "" : " < ", r->kstack[i]);
		PUT("]");
	}
	if (r->fatal_sig) {
		PUT("; %s pending ", stall__signame(r->fatal_sig, sig, sizeof(sig)));
		put_secs(buf, len, at, r->fatal_ns);
		PUT(": %s", stall__killable(r->state) ? "killable" : "not killable");
	}
	if (r->blocked_by) {
		PUT("; blocked by tid %u", r->blocked_by);
		if (r->blocked_comm)
			PUT(" (%s)", r->blocked_comm);
		if (r->blocked_reason)
			PUT(": %s", r->blocked_reason);
	} else if (r->blocked_reason) {
		PUT("; %s", r->blocked_reason);
	}
	if (r->pipe_ino)
		PUT("; pipe %llu", (unsigned long long)r->pipe_ino);
	return (int)*at;
}
