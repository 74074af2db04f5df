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
 * Spans become complete ("X") events rather than B/E pairs: one event per
 * span, and viewers need no matching. Timestamps are microseconds by the
 * format's definition; three decimals keep nanosecond precision.
 */
#include <stdlib.h>

#include "json.h"
#include "trace.h"

struct trace_writer {
	struct jw jw;
};

static struct trace_writer *chrome__open(FILE *f)
{
	struct trace_writer *w = malloc(sizeof(*w));

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

static void chrome__metadata(struct jw *jw, const char *what, uint32_t pid, uint32_t tid,
			     const char *name)
{
	chrome__event_begin(jw, what, NULL, "M");
	chrome__ids(jw, pid, tid);
	jw__key(jw, "args");
	jw__obj_begin(jw);
	jw__key(jw, "name");
	jw__str(jw, name);
	jw__obj_end(jw);
	jw__obj_end(jw);
}

static void chrome__process_name(struct trace_writer *w, uint32_t pid, const char *name)
{
	/* Chrome keys a process's metadata by its main thread: tid == pid. */
	chrome__metadata(&w->jw, "process_name", pid, pid, name);
}

static void chrome__thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid,
				const char *name)
{
	chrome__metadata(&w->jw, "thread_name", pid, tid, name);
}

static void chrome__span(struct trace_writer *w, const struct trace_span *s)
{
	struct jw *jw = &w->jw;

	chrome__event_begin(jw, s->name, "span", "X");
	jw__key(jw, "ts");
	jw__ns_as_us(jw, s->start_ns);
	jw__key(jw, "dur");
	jw__ns_as_us(jw, s->dur_ns);
	chrome__ids(jw, s->pid, s->tid);
	jw__key(jw, "args");
	jw__obj_begin(jw);
	jw__key(jw, "func");
	jw__str(jw, s->func);
	if (s->object) {
		jw__key(jw, "object");
		jw__str(jw, s->object);
	}
	if (s->unfinished) {
		jw__key(jw, "unfinished");
		jw__bool(jw, true);
	}
	jw__obj_end(jw);
	jw__obj_end(jw);
}

static int chrome__close(struct trace_writer *w)
{
	struct jw *jw = &w->jw;
	bool failed;

	jw__newline(jw);
	jw__arr_end(jw);
	jw__key(jw, "displayTimeUnit");
	jw__str(jw, "ns");
	jw__key(jw, "otherData");
	jw__obj_begin(jw);
	jw__key(jw, "producer");
	jw__str(jw, "spantrace");
	jw__obj_end(jw);
	jw__obj_end(jw);
	jw__newline(jw);
	/* a full disk shows up only when the stdio buffer is written out */
	failed = fflush(jw->f) != 0 || jw__error(jw);
	free(w);
	return failed ? -1 : 0;
}

const struct trace_ops chrome_trace_ops = {
	.name = "chrome",
	.open = chrome__open,
	.process_name = chrome__process_name,
	.thread_name = chrome__thread_name,
	.span = chrome__span,
	.close = chrome__close,
};
