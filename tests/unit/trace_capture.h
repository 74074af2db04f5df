/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A trace writer for unit tests that records each call as one line of text,
 * and EXPECT(w, lines...): the lines written since the last check are exactly
 * these. Include after cmocka.h.
 */
#ifndef SPANTRACE_TEST_TRACE_CAPTURE_H
#define SPANTRACE_TEST_TRACE_CAPTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

struct trace_writer {
	char *lines[64];
	size_t n;
	size_t seen; /* lines already checked */
};

static void capture__line(struct trace_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void capture__line(struct trace_writer *w, const char *fmt, ...)
{
	va_list ap;

	assert_true(w->n < sizeof(w->lines) / sizeof(w->lines[0]));
	va_start(ap, fmt);
	assert_true(vasprintf(&w->lines[w->n++], fmt, ap) >= 0);
	va_end(ap);
}

static void capture__process_name(struct trace_writer *w, uint32_t pid, const char *name)
{
	capture__line(w, "process_name %u %s", pid, name);
}

static void capture__thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid,
				 const char *name)
{
	capture__line(w, "thread_name %u/%u %s", pid, tid, name);
}

static void capture__span(struct trace_writer *w, const struct trace_span *s)
{
	capture__line(w, "span %u/%u %s %llu+%llu id=%llu parent=%llu depth=%u func=%s object=%s"
		      "%s%s%s%s%s",
		      s->pid, s->tid, s->name, (unsigned long long)s->start_ns,
		      (unsigned long long)s->dur_ns, (unsigned long long)s->id,
		      (unsigned long long)s->parent_id, s->depth, s->func,
		      s->object ? s->object : "-", s->unfinished ? " unfinished" : "",
		      s->panicked ? " panicked" : "", s->truncated ? " truncated" : "",
		      s->unwound ? " unwound" : "", s->after_loss ? " after_loss" : "");
}

static void capture__loss(struct trace_writer *w, const struct trace_loss *l)
{
	capture__line(w, "loss events=%llu tasks=%u after_loss=%llu",
		      (unsigned long long)l->events, l->tasks, (unsigned long long)l->after_loss);
}

static void capture__flow(struct trace_writer *w, const struct trace_flow *fl)
{
	static const char *const kinds[] = { [TRACE_FORK] = "fork", [TRACE_THREAD] = "thread",
					     [TRACE_GOROUTINE] = "goroutine" };

	assert_true((size_t)fl->kind < sizeof(kinds) / sizeof(kinds[0]));
	capture__line(w, "flow %u/%u -> %u/%u %llu %s", fl->from_pid, fl->from_tid, fl->to_pid,
		      fl->to_tid, (unsigned long long)fl->ts_ns, kinds[fl->kind]);
}

/* " blocked_by=N" and " reason='...'" when set. */
static void capture__blocker(char *buf, size_t len, uint32_t by, const char *reason)
{
	int n = by ? snprintf(buf, len, " blocked_by=%u", by) : 0;

	buf[n] = 0;
	if (reason)
		snprintf(buf + n, len - (size_t)n, " reason='%s'", reason);
}

static void capture__wait(struct trace_writer *w, const struct trace_wait *wt)
{
	char stack[1024] = "", blk[256];
	size_t at = 0;

	for (size_t i = 0; i < wt->nkstack; i++)
		at += (size_t)snprintf(stack + at, sizeof(stack) - at, "%s%s", i ? " < " : "",
				       wt->kstack[i]);
	capture__blocker(blk, sizeof(blk), wt->blocked_by, wt->blocked_reason);
	capture__line(w, "wait %u/%u in=%s %llu+%llu %s%s [%s]%s%s%s%s%s", wt->pid, wt->tid,
		      wt->func ? wt->func : "-", (unsigned long long)wt->start_ns,
		      (unsigned long long)wt->dur_ns,
		      wt->state, wt->killable ? " killable" : "", stack,
		      wt->fatal_signal ? " fatal=" : "", wt->fatal_signal ? wt->fatal_signal : "",
		      blk, wt->start_estimated ? " estimated" : "",
		      wt->unfinished ? " unfinished" : "");
	if (wt->pipe_ino)
		capture__line(w, "  pipe %llu", (unsigned long long)wt->pipe_ino);
}

static void capture__pipe_write(struct trace_writer *w, const struct trace_pipe_write *pw)
{
	char blk[256];

	capture__blocker(blk, sizeof(blk), pw->blocked_by, pw->blocked_reason);
	capture__line(w, "pipe_write %u/%u %llu+%llu pipe=%llu result=%lld requested=%llu "
		      "blocked=%llu%s%s", pw->pid, pw->tid, (unsigned long long)pw->start_ns,
		      (unsigned long long)pw->dur_ns, (unsigned long long)pw->pipe_ino,
		      (long long)pw->result, (unsigned long long)pw->requested,
		      (unsigned long long)pw->blocked_ns, blk, pw->unfinished ? " unfinished" : "");
}

static void capture__instant(struct trace_writer *w, const struct trace_instant *in)
{
	static const char *const kinds[] = {
		[TRACE_EXEC] = "exec",
		[TRACE_EXIT] = "exit",
		[TRACE_THREAD_EXIT] = "thread_exit",
		[TRACE_FATAL_SIGNAL] = "fatal_signal",
	};
	char args[512] = "";
	size_t at = 0;

	assert_true((size_t)in->kind < sizeof(kinds) / sizeof(kinds[0]));

	for (size_t i = 0; i < in->nargs; i++) {
		const struct trace_arg *a = &in->args[i];

		if (a->type == TA_STR)
			at += (size_t)snprintf(args + at, sizeof(args) - at, " %s='%s'", a->key,
					       a->s);
		else
			at += (size_t)snprintf(args + at, sizeof(args) - at, " %s=%lld", a->key,
					       (long long)a->i);
	}
	capture__line(w, "instant %u/%u %llu %s%s", in->pid, in->tid,
		      (unsigned long long)in->ts_ns, kinds[in->kind], args);
}

static const struct trace_ops capture_ops = {
	.process_name = capture__process_name,
	.thread_name = capture__thread_name,
	.span = capture__span,
	.wait = capture__wait,
	.pipe_write = capture__pipe_write,
	.instant = capture__instant,
	.flow = capture__flow,
	.loss = capture__loss,
};

/* The lines written since the last check are exactly want[0..n). */
static void capture__expect(struct trace_writer *w, const char *const *want, size_t n)
{
	size_t got = w->n - w->seen;

	for (size_t i = 0; i < got || i < n; i++) {
		const char *g = i < got ? w->lines[w->seen + i] : "(none)";
		const char *x = i < n ? want[i] : "(none)";

		if (strcmp(g, x))
			print_error("line %zu: got  \"%s\"\n         want \"%s\"\n", i, g, x);
		assert_string_equal(g, x);
	}
	w->seen = w->n;
}

static void capture__free(struct trace_writer *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->lines[i]);
	w->n = w->seen = 0;
}

#define EXPECT(w, ...)                                                                 \
	do {                                                                           \
		static const char *const want_[] = { __VA_ARGS__ };                    \
		capture__expect(w, want_, sizeof(want_) / sizeof(want_[0]));           \
	} while (0)
#define EXPECT_NOTHING(w) capture__expect(w, NULL, 0)

#endif
