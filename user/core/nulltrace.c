// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The writer of no trace, for -c (count only): every event is dropped, so
 * the decoder and the statistics run as they do when a trace is written.
 */
#include <stdlib.h>

#include "nulltrace.h"

struct trace_writer {
	char unused;
};

static struct trace_writer *null__open(FILE *f)
{
	(void)f;
	return calloc(1, sizeof(struct trace_writer));
}

static void null__process_name(struct trace_writer *w, uint32_t pid, const char *name) {}
static void null__thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid,
			      const char *name) {}
static void null__span(struct trace_writer *w, const struct trace_span *s) {}
static void null__wait(struct trace_writer *w, const struct trace_wait *wt) {}
static void null__pipe_write(struct trace_writer *w, const struct trace_pipe_write *pw) {}
static void null__instant(struct trace_writer *w, const struct trace_instant *in) {}
static void null__flow(struct trace_writer *w, const struct trace_flow *fl) {}
static void null__loss(struct trace_writer *w, const struct trace_loss *l) {}
static void null__limit(struct trace_writer *w, uint64_t max_size) {}
static void null__guard_stop(struct trace_writer *w, const struct trace_guard_stop *gs) {}
static void null__probe_costs(struct trace_writer *w, const struct trace_probe_cost *v,
			      size_t n) {}

static void null__size(const struct trace_writer *w, struct trace_size *sz)
{
	*sz = (struct trace_size){ 0 };
}

static int null__close(struct trace_writer *w)
{
	free(w);
	return 0;
}

const struct trace_ops null_trace_ops = {
	.open = null__open,
	.process_name = null__process_name,
	.thread_name = null__thread_name,
	.span = null__span,
	.wait = null__wait,
	.pipe_write = null__pipe_write,
	.instant = null__instant,
	.flow = null__flow,
	.loss = null__loss,
	.limit = null__limit,
	.guard_stop = null__guard_stop,
	.probe_costs = null__probe_costs,
	.size = null__size,
	.close = null__close,
};
