// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Chrome Trace Event Format, JSON object form, as read by Perfetto,
 * chrome://tracing and speedscope:
 *
 *   {"traceEvents":[
 *   {"name":"process_name","ph":"M",...},
 *   {"name":"f","cat":"span","ph":"X","ts":1.000,"dur":0.250,...}
 *   ],"displayTimeUnit":"ns","otherData":{"producer":"spantrace"}}
 *
 * otherData also says what was lost, when anything was (trace_loss):
 * "lost_events", "lost_events_tasks", "after_loss_spans".
 *
 * With a size limit (trace_ops.max_size), an event that would take the file
 * past the limit less CHROME_CLOSE_ROOM is taken back whole, and so is every
 * event after it; the document still ends properly and otherData says
 * "truncated_at_bytes" (the size of the events written) and
 * "unwritten_events". Only an event longer than JW_BUF_SIZE, which reaches
 * the stream in pieces, can pass the limit: it is written whole, and the cut
 * comes after it.
 *
 * Spans become complete ("X") events rather than B/E pairs: one event per
 * span, and viewers need no matching. Timestamps are microseconds by the
 * format's definition; three decimals keep nanosecond precision. A reader
 * that adds ts and dur in doubles must find a span inside its parent when
 * both end at the same nanosecond (spans closed together at the stop, or cut
 * at their parent's end); see chrome__span_dur.
 *
 * The overhead guard's stops are global instants (cat "overhead", named
 * "stopped tracing FUNC") with what it measured in args; the probe costs it
 * calibrated go to otherData ("probe_cost_ns", by kind of site).
 *
 * Kernel events share the tasks' tracks: off-CPU waits and pipe writes are
 * "X" slices too (cat "wait" and "pipe"), exits and signals thread-scoped
 * instants ("i"), and a fork is a flow arrow ("s" to "f") between two
 * zero-length slices, one on each task's track. Names, categories and the
 * arrows' ids are made here, from the facts the records carry (trace.h).
 *
 * Each event reaches the stream whole, in one write, when its call returns:
 * the JSON writer holds its output until then (a stdio call per value was
 * most of the cost of a span).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "trace.h"

/*
 * The span written last, for the next one: spans of a task arrive children
 * first, and spans closed at one instant arrive one after the other.
 */
struct chrome_last_span {
	bool set;
	uint32_t pid, tid, depth;
	uint64_t end_ns;
	double end_us; /* ts + dur as a reader computes it from the file */
};

/* The calibrated probe costs, for otherData. */
#define CHROME_MAX_COSTS 8
struct chrome_costs {
	char kind[CHROME_MAX_COSTS][24];
	uint64_t ns[CHROME_MAX_COSTS];
	size_t n;
};

/* Room kept under a size limit for the end of the document (otherData's numbers at their longest). */
#define CHROME_CLOSE_ROOM 512

struct trace_writer {
	struct jw jw;
	struct chrome_last_span last;
	struct chrome_costs costs;
	struct trace_loss loss; /* for otherData */
	uint64_t max_size;	/* 0: no limit */
	struct jw_mark mark;	/* where the event being written began */
	bool cut;		/* the limit was reached: no more events */
	uint64_t cut_at;	/* bytes written when it was */
	uint64_t unwritten;	/* events taken back since */
};

/* Each event between these two: taken back whole if it does not fit under the limit. */
static void chrome__hold(struct trace_writer *w)
{
	jw__hold(&w->jw);
	jw__mark(&w->jw, &w->mark);
}

static void chrome__release(struct trace_writer *w)
{
	struct jw *jw = &w->jw;
	bool over = w->max_size && jw->written + jw->len + CHROME_CLOSE_ROOM > w->max_size;

	if (!w->cut && over) {
		w->cut = true;
		if (!jw__rollback(jw, &w->mark)) {
			jw__release(jw); /* partly out already: the whole of it, then the cut */
			w->cut_at = jw->written;
			jw->muted = true;
			return;
		}
		w->cut_at = jw->written;
		jw->muted = true;
	}
	if (w->cut) {
		jw__rollback(jw, &w->mark);
		w->unwritten++;
	}
	jw__release(jw);
}

static struct trace_writer *chrome__open(FILE *f)
{
	struct trace_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	jw__init(&w->jw, f);
	jw__obj_begin(&w->jw);
	jw__key(&w->jw, "traceEvents");
	jw__arr_begin(&w->jw);
	return w;
}

/* Opens an event, one per line; the caller adds the rest and closes it. */
static void chrome__event_begin(struct jw *jw, const char *name, const char *cat, const char *ph)
{
	jw__newline(jw);
	jw__obj_begin(jw);
	jw__key(jw, "name");
	jw__str(jw, name);
	if (cat) {
		jw__key(jw, "cat");
		jw__str(jw, cat);
	}
	jw__key(jw, "ph");
	jw__str(jw, ph);
}

static void chrome__ids(struct jw *jw, uint32_t pid, uint32_t tid)
{
	jw__key(jw, "pid");
	jw__u64(jw, pid);
	jw__key(jw, "tid");
	jw__u64(jw, tid);
}

static void chrome__metadata(struct trace_writer *w, const char *what, uint32_t pid, uint32_t tid,
			     const char *name)
{
	struct jw *jw = &w->jw;

	chrome__hold(w);
	chrome__event_begin(jw, what, NULL, "M");
	chrome__ids(jw, pid, tid);
	jw__key(jw, "args");
	jw__obj_begin(jw);
	jw__key(jw, "name");
	jw__str(jw, name);
	jw__obj_end(jw);
	jw__obj_end(jw);
	chrome__release(w);
}

static void chrome__process_name(struct trace_writer *w, uint32_t pid, const char *name)
{
	/* Chrome keys a process's metadata by its main thread: tid == pid. */
	chrome__metadata(w, "process_name", pid, pid, name);
}

static void chrome__thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid,
				const char *name)
{
	chrome__metadata(w, "thread_name", pid, tid, name);
}

/* Optional args: absent rather than 0/null, so a viewer's args panel shows only what is known. */
static void chrome__opt_u64(struct jw *jw, const char *key, uint64_t v)
{
	if (v) {
		jw__key(jw, key);
		jw__u64(jw, v);
	}
}

static void chrome__opt_str(struct jw *jw, const char *key, const char *s)
{
	if (s) {
		jw__key(jw, key);
		jw__str(jw, s);
	}
}

static void chrome__opt_true(struct jw *jw, const char *key, bool v)
{
	if (v) {
		jw__key(jw, key);
		jw__bool(jw, true);
	}
}

/* Opens a complete ("X") event up to its start; the caller writes "dur" next. */
static void chrome__complete_open(struct jw *jw, const char *name, const char *cat,
				  uint64_t start_ns)
{
	chrome__event_begin(jw, name, cat, "X");
	jw__key(jw, "ts");
	jw__ns_as_us(jw, start_ns);
	jw__key(jw, "dur");
}

/* Opens a complete ("X") event up to its ids; the caller adds args and closes it. */
static void chrome__complete_begin(struct jw *jw, const char *name, const char *cat,
				   uint64_t start_ns, uint64_t dur_ns, uint32_t pid, uint32_t tid)
{
	chrome__complete_open(jw, name, cat, start_ns);
	jw__ns_as_us(jw, dur_ns);
	chrome__ids(jw, pid, tid);
}

/* ns / 1000 as a reader parses its three-decimal form: the nearest double. */
static double chrome__us(uint64_t ns)
{
	char buf[32];

	if (ns < (1ull << 53)) /* exact as a double: one correctly rounded division */
		return (double)ns / 1000.0;
	snprintf(buf, sizeof(buf), "%llu.%03u", (unsigned long long)(ns / 1000),
		 (unsigned int)(ns % 1000));
	return strtod(buf, NULL);
}

/* The next double above a positive one. */
static double chrome__next_up(double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	bits++;
	memcpy(&v, &bits, sizeof(v));
	return v;
}

/*
 * Whether s encloses the span written just before it and ends with it: its
 * parent or further up, on the same task, at the same nanosecond.
 */
static bool chrome__ends_with_last(const struct chrome_last_span *last,
				   const struct trace_span *s)
{
	return last->set && last->pid == s->pid && last->tid == s->tid &&
	       last->depth > s->depth && last->end_ns == s->start_ns + s->dur_ns;
}

/*
 * The duration to write for s, in microseconds, when its three-decimal form
 * will not do; 0 when it will. ts and dur are rounded to doubles on reading
 * and their sum rounded again, so two spans ending at the same nanosecond
 * can end a rounding apart: a child then overlaps its parent by 1e-7 us.
 * The parent then gets the duration that ends it exactly where its child
 * ends for the reader; it differs from the true one by less than a
 * rounding (a reader rounding to nanoseconds gets the true one back).
 */
static double chrome__span_dur(const struct chrome_last_span *last, const struct trace_span *s)
{
	double ts = chrome__us(s->start_ns), dur;

	if (!chrome__ends_with_last(last, s) || ts + chrome__us(s->dur_ns) >= last->end_us)
		return 0;
	dur = last->end_us - ts; /* exact when ts >= dur (Sterbenz); else rounded, so: */
	while (ts + dur < last->end_us)
		dur = chrome__next_up(dur);
	return dur;
}

static void chrome__span(struct trace_writer *w, const struct trace_span *s)
{
	struct jw *jw = &w->jw;
	double dur = chrome__span_dur(&w->last, s);

	chrome__hold(w);
	chrome__complete_open(jw, s->name, "span", s->start_ns);
	if (dur) {
		jw__us(jw, dur);
	} else {
		jw__ns_as_us(jw, s->dur_ns);
		dur = chrome__us(s->dur_ns);
	}
	chrome__ids(jw, s->pid, s->tid);
	w->last = (struct chrome_last_span){ .set = true, .pid = s->pid, .tid = s->tid,
					     .depth = s->depth, .end_ns = s->start_ns + s->dur_ns,
					     .end_us = chrome__us(s->start_ns) + dur };
	jw__key(jw, "args");
	jw__obj_begin(jw);
	jw__key(jw, "func");
	jw__str(jw, s->func);
	chrome__opt_str(jw, "object", s->object);
	chrome__opt_true(jw, "unfinished", s->unfinished);
	chrome__opt_true(jw, "panicked", s->panicked);
	chrome__opt_true(jw, "unwound", s->unwound);
	chrome__opt_true(jw, "name_truncated", s->truncated);
	chrome__opt_true(jw, "after_loss", s->after_loss);
	jw__obj_end(jw);
	jw__obj_end(jw);
	chrome__release(w);
}

/*
 * A name formatted from fmt: in buf if it fits, else in memory the caller
 * frees (free it when the result is not buf). Out of memory: cut, in buf.
 */
static char *chrome__name(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap, again;
	char *big;
	int n;

	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n < len || !(big = malloc((size_t)n + 1))) {
		va_end(again);
		return buf;
	}
	vsnprintf(big, (size_t)n + 1, fmt, again);
	va_end(again);
	return big;
}

/* A wait's name: how the task sleeps, and where, e.g. "uninterruptible: __mutex_lock". */
static char *chrome__wait_name(const struct trace_wait *wt, char *buf, size_t len)
{
	const char *how = wt->state[0] == 'D' ? "uninterruptible" :
			  wt->state[0] == 'S' ? "sleep" :
						"stopped";

	return chrome__name(buf, len, "%s%s%s", how, wt->func ? ": " : "",
			    wt->func ? wt->func : "");
}

static void chrome__wait(struct trace_writer *w, const struct trace_wait *wt)
{
	struct jw *jw = &w->jw;
	char buf[128], *name = chrome__wait_name(wt, buf, sizeof(buf));
	size_t i;

	chrome__hold(w);
	chrome__complete_begin(jw, name, "wait", wt->start_ns, wt->dur_ns, wt->pid, wt->tid);
	jw__key(jw, "args");
	jw__obj_begin(jw);
	jw__key(jw, "state");
	jw__str(jw, wt->state);
	jw__key(jw, "killable");
	jw__bool(jw, wt->killable);
	/* always present, even empty: a wait without a stack is worth noticing */
	jw__key(jw, "kstack");
	jw__arr_begin(jw);
	for (i = 0; i < wt->nkstack; i++)
		jw__str(jw, wt->kstack[i]);
	jw__arr_end(jw);
	chrome__opt_str(jw, "fatal_signal", wt->fatal_signal);
	chrome__opt_u64(jw, "blocked_by", wt->blocked_by);
	chrome__opt_str(jw, "blocked_reason", wt->blocked_reason);
	chrome__opt_u64(jw, "pipe", wt->pipe_ino);
	chrome__opt_true(jw, "start_estimated", wt->start_estimated);
	chrome__opt_true(jw, "unfinished", wt->unfinished);
	jw__obj_end(jw);
	jw__obj_end(jw);
	chrome__release(w);
	if (name != buf)
		free(name);
}

static void chrome__pipe_write(struct trace_writer *w, const struct trace_pipe_write *pw)
{
	struct jw *jw = &w->jw;

	chrome__hold(w);
	chrome__complete_begin(jw, "pipe write", "pipe", pw->start_ns, pw->dur_ns, pw->pid,
			       pw->tid);
	jw__key(jw, "args");
	jw__obj_begin(jw);
	jw__key(jw, "pipe");
	jw__u64(jw, pw->pipe_ino);
	jw__key(jw, "result");
	jw__i64(jw, pw->result);
	chrome__opt_u64(jw, "requested", pw->requested);
	jw__key(jw, "blocked_ns");
	jw__u64(jw, pw->blocked_ns);
	chrome__opt_u64(jw, "blocked_by", pw->blocked_by);
	chrome__opt_str(jw, "blocked_reason", pw->blocked_reason);
	chrome__opt_true(jw, "unfinished", pw->unfinished);
	jw__obj_end(jw);
	jw__obj_end(jw);
	chrome__release(w);
}

/* Each kind of instant's name and category. */
static const struct {
	const char *name, *cat;
} chrome__instants[] = {
	[TRACE_EXEC] = { "exec", "exec" },
	[TRACE_EXIT] = { "exit", "exit" },
	[TRACE_THREAD_EXIT] = { "thread exit", "exit" },
	[TRACE_FATAL_SIGNAL] = { "fatal signal", "signal" },
};

/* Opens an instant event ("i") of scope ("t" thread, "p" process, "g" global) at ts_ns. */
static void chrome__instant_begin(struct jw *jw, const char *name, const char *cat,
				  const char *scope, uint64_t ts_ns, uint32_t pid, uint32_t tid)
{
	chrome__event_begin(jw, name, cat, "i");
	jw__key(jw, "s");
	jw__str(jw, scope);
	jw__key(jw, "ts");
	jw__ns_as_us(jw, ts_ns);
	chrome__ids(jw, pid, tid);
}

static void chrome__instant(struct trace_writer *w, const struct trace_instant *in)
{
	struct jw *jw = &w->jw;
	size_t i;

	if ((size_t)in->kind >= sizeof(chrome__instants) / sizeof(chrome__instants[0]))
		return; /* none the decoder makes */
	chrome__hold(w);
	/* thread scope: a mark on the task's own track, not a line across the process */
	chrome__instant_begin(jw, chrome__instants[in->kind].name, chrome__instants[in->kind].cat,
			      "t", in->ts_ns, in->pid, in->tid);
	jw__key(jw, "args");
	jw__obj_begin(jw);
	for (i = 0; i < in->nargs; i++) {
		const struct trace_arg *a = &in->args[i];

		jw__key(jw, a->key);
		switch (a->type) {
		case TA_STR:
			jw__str(jw, a->s);
			break;
		case TA_INT:
			jw__i64(jw, a->i);
			break;
		case TA_BOOL:
			jw__bool(jw, a->i != 0);
			break;
		default:
			/* a value is due after the key: null keeps the document valid */
			jw__null(jw);
			break;
		}
	}
	jw__obj_end(jw);
	jw__obj_end(jw);
	chrome__release(w);
}

/*
 * One end of a flow arrow: a zero-length slice, then the flow event bound to
 * it. Importers attach flow events to slices, never to a bare point, and the
 * slice that happens to be open on the track (a span, a wait, or none) is
 * not one to rely on. Perfetto binds "s", and "f" with "bp":"e", to the
 * topmost slice open on the thread's track when it reads the flow event (an
 * "f" without "bp" waits for the next slice to begin there); among events
 * with equal ts it reads longer "X" slices first and keeps file order
 * otherwise, so a zero-length slice written just before its flow event is
 * the topmost one. DevTools pairs a flow event with the slice of equal cat,
 * pid, tid and ts, which this slice is too.
 */
static void chrome__flow_end_point(struct jw *jw, const struct trace_flow *fl, const char *name,
				   bool start)
{
	uint32_t pid = start ? fl->from_pid : fl->to_pid;
	uint32_t tid = start ? fl->from_tid : fl->to_tid;

	chrome__complete_begin(jw, start ? name : "start", "task", fl->ts_ns, 0, pid, tid);
	jw__key(jw, "args");
	jw__obj_begin(jw);
	jw__key(jw, start ? "child" : "parent");
	jw__u64(jw, start ? fl->to_tid : fl->from_tid);
	jw__obj_end(jw);
	jw__obj_end(jw);

	chrome__event_begin(jw, name, "task", start ? "s" : "f");
	if (!start) {
		jw__key(jw, "bp");
		jw__str(jw, "e");
	}
	/* the child's tid (a goroutine's track id) names the arrow: no two live tasks share it */
	jw__key(jw, "id");
	jw__u64(jw, fl->to_tid);
	jw__key(jw, "ts");
	jw__ns_as_us(jw, fl->ts_ns);
	chrome__ids(jw, pid, tid);
	jw__obj_end(jw);
}

static void chrome__flow(struct trace_writer *w, const struct trace_flow *fl)
{
	static const char *const names[] = {
		[TRACE_FORK] = "fork",
		[TRACE_THREAD] = "thread",
		[TRACE_GOROUTINE] = "go",
	};

	if ((size_t)fl->kind >= sizeof(names) / sizeof(names[0]))
		return; /* none the decoder makes */
	chrome__hold(w);
	chrome__flow_end_point(&w->jw, fl, names[fl->kind], true);
	chrome__flow_end_point(&w->jw, fl, names[fl->kind], false);
	chrome__release(w);
}

static void chrome__loss(struct trace_writer *w, const struct trace_loss *l)
{
	w->loss = *l;
}

static void chrome__limit(struct trace_writer *w, uint64_t max_size)
{
	w->max_size = max_size;
}

static void chrome__size(const struct trace_writer *w, struct trace_size *sz)
{
	*sz = (struct trace_size){ .bytes = w->jw.written, .cut = w->cut, .cut_at = w->cut_at,
				   .unwritten = w->unwritten };
}

static void chrome__guard_stop(struct trace_writer *w, const struct trace_guard_stop *gs)
{
	struct jw *jw = &w->jw;
	char buf[128], *name = chrome__name(buf, sizeof(buf), "stopped tracing %s", gs->func);

	chrome__hold(w);
	/* global scope: the function stopped being traced in every process */
	chrome__instant_begin(jw, name, "overhead", "g", gs->ts_ns, gs->pid, gs->pid);
	jw__key(jw, "args");
	jw__obj_begin(jw);
	jw__key(jw, "func");
	jw__str(jw, gs->func);
	chrome__opt_str(jw, "object", gs->object);
	jw__key(jw, "calls_per_s");
	jw__u64(jw, gs->calls_per_s);
	jw__key(jw, "probe_cost_per_call_ns");
	jw__u64(jw, gs->cost_per_call_ns);
	jw__key(jw, "probe_ns_per_s");
	jw__u64(jw, gs->probe_ns_per_s);
	jw__key(jw, "cpu_ns_per_s");
	jw__u64(jw, gs->cpu_ns_per_s);
	jw__key(jw, "max_overhead_percent");
	jw__us(jw, gs->max_percent);
	jw__obj_end(jw);
	jw__obj_end(jw);
	chrome__release(w);
	if (name != buf)
		free(name);
}

static void chrome__probe_costs(struct trace_writer *w, const struct trace_probe_cost *v,
				size_t n)
{
	struct chrome_costs *c = &w->costs;

	for (c->n = 0; c->n < n && c->n < CHROME_MAX_COSTS; c->n++) {
		snprintf(c->kind[c->n], sizeof(c->kind[c->n]), "%s", v[c->n].kind);
		c->ns[c->n] = v[c->n].ns;
	}
}

static void chrome__costs(struct jw *jw, const struct chrome_costs *c)
{
	if (!c->n)
		return;
	jw__key(jw, "probe_cost_ns");
	jw__obj_begin(jw);
	for (size_t i = 0; i < c->n; i++) {
		jw__key(jw, c->kind[i]);
		jw__u64(jw, c->ns[i]);
	}
	jw__obj_end(jw);
}

static int chrome__close(struct trace_writer *w)
{
	struct jw *jw = &w->jw;
	bool failed;

	jw->muted = false;
	jw__newline(jw);
	jw__arr_end(jw);
	jw__key(jw, "displayTimeUnit");
	jw__str(jw, "ns");
	jw__key(jw, "otherData");
	jw__obj_begin(jw);
	jw__key(jw, "producer");
	jw__str(jw, "spantrace");
	chrome__costs(jw, &w->costs);
	if (w->loss.events) {
		jw__key(jw, "lost_events");
		jw__u64(jw, w->loss.events);
		jw__key(jw, "lost_events_tasks");
		jw__u64(jw, w->loss.tasks);
		jw__key(jw, "after_loss_spans");
		jw__u64(jw, w->loss.after_loss);
	}
	if (w->cut) {
		jw__key(jw, "truncated_at_bytes");
		jw__u64(jw, w->cut_at);
		jw__key(jw, "unwritten_events");
		jw__u64(jw, w->unwritten);
	}
	jw__obj_end(jw);
	jw__obj_end(jw);
	jw__newline(jw);
	/* a full disk shows up only when the stdio buffer is written out */
	failed = fflush(jw->f) != 0 || jw__error(jw);
	free(w);
	return failed ? -1 : 0;
}

/* Named in the table of formats (formats.c), its only user. */
const struct trace_ops chrome_trace_ops = {
	.open = chrome__open,
	.process_name = chrome__process_name,
	.thread_name = chrome__thread_name,
	.span = chrome__span,
	.wait = chrome__wait,
	.pipe_write = chrome__pipe_write,
	.instant = chrome__instant,
	.flow = chrome__flow,
	.guard_stop = chrome__guard_stop,
	.probe_costs = chrome__probe_costs,
	.loss = chrome__loss,
	.limit = chrome__limit,
	.size = chrome__size,
	.close = chrome__close,
};
