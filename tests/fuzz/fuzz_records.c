// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the loader's record path: ring-buffer records of every type through
 * the one dispatch (decoder__record: spans in user/core/decode.c, kernel events in
 * user/core/kdecode.c), the span tree (user/core/spantree.c), the Chrome writer
 * (user/core/chrome.c) and the summary statistics, as the loader's on_record and
 * poll loop drive them, without the loader's live interface (no process is
 * read). The trace must then be one valid JSON
 * document, no span may end before it starts, and the span tree must count
 * every span it delivered.
 *
 * Input: records framed as in a --save-records file after its header
 * (user/core/recfile.h): u32 len, then len bytes, again and again; an input cut
 * short ends at its last whole record. The probe table is fixed (below).
 * One record is the harness's own: type 0 (no record has it) with a bare
 * header stands for the poll loop going idle at hdr.ts, which releases the
 * span tree's events older than the reorder window.
 *
 * Fast by design: nothing touches the file system or /proc per input. The
 * decoder's state is made afresh for each input (a few small allocations),
 * and the trace goes through one stdio stream, opened once, into a buffer
 * that is rewound per input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "formats.h"
#include "fuzz.h"
#include "goroutines.h"
#include "json_check.h"
#include "kdecode.h"
#include "names.h"
#include "spantrace.h"
#include "spantree.h"
#include "stats.h"
#include "tasks.h"
#include "trace.h"

#define WINDOW_NS (2 * 1000 * 1000ull) /* the loader's REORDER_WINDOW_NS */
#define REC_IDLE 0			/* the harness's "poll loop idle" record */

/* A C function, a C++ one, a --span pair whose BEGIN names its spans, a Go function. */
static struct probe probe_v[] = {
	{ .name = "outer", .func = "outer", .object = "/bin/t", .role = SPEC_FUNC, .name_arg = -1 },
	{ .name = "ns::inner()", .func = "_ZN2ns5innerEv", .object = "/bin/t", .role = SPEC_FUNC,
	  .name_arg = -1 },
	{ .name = "span_begin", .func = "span_begin", .object = "/lib/libspan.so",
	  .role = SPEC_BEGIN, .pair = 0, .name_arg = 0 },
	{ .name = "span_end", .func = "span_end", .object = "/lib/libspan.so", .role = SPEC_END,
	  .pair = 0, .name_arg = -1 },
	{ .name = "main.(*T).work", .func = "main.(*T).work", .object = NULL, .role = SPEC_FUNC,
	  .name_arg = -1 },
};
static const struct probe_table probes = { .v = probe_v,
					   .n = sizeof(probe_v) / sizeof(probe_v[0]) };

/* The trace's bytes of the current input: stdio writes them here. */
static struct {
	char *buf;
	size_t len, cap;
} trace;

static ssize_t trace__write(void *cookie, const char *buf, size_t len)
{
	if (trace.len + len > trace.cap) {
		size_t cap = trace.cap ? trace.cap : 1 << 16;
		char *nb;

		while (cap < trace.len + len)
			cap *= 2;
		nb = realloc(trace.buf, cap);
		if (!nb)
			abort();
		trace.buf = nb;
		trace.cap = cap;
	}
	memcpy(trace.buf + trace.len, buf, len);
	trace.len += len;
	return (ssize_t)len;
}

/* Opened once: per-input file creation is what made an earlier harness slow. */
static FILE *trace_stream(void)
{
	static FILE *f;

	if (!f) {
		f = fopencookie(NULL, "w", (cookie_io_functions_t){ .write = trace__write });
		if (!f)
			abort();
	}
	return f;
}

static FILE *dev_null(void)
{
	static FILE *f;

	if (!f && !(f = fopen("/dev/null", "we")))
		abort();
	return f;
}

/* Spans the sink received in this input. */
static uint64_t nspans, nunfinished, nafter_loss;

/* The span tree's sink: checks the span, then hands it to the decoder as the loader does. */
static void on_span(void *ctx, const struct span_out *sp)
{
	fuzz__check(sp->end >= sp->start);
	fuzz__check(sp->probe < probes.n);
	/* a parent began first, so its id is smaller; a top-level span has none */
	fuzz__check(sp->id && sp->parent_id < sp->id && !sp->parent_id == !sp->depth);
	nspans++;
	nunfinished += sp->unfinished;
	nafter_loss += sp->after_loss;
	decoder__on_span(ctx, sp);
}

/* Feeds every whole record of data; returns the newest timestamp seen. */
static uint64_t feed(struct decoder *d, const uint8_t *data, size_t size)
{
	uint64_t newest = 0;
	size_t at = 0;

	while (size - at >= sizeof(uint32_t)) {
		struct st_hdr h = { 0 };
		uint32_t len;
		void *rec;

		memcpy(&len, data + at, sizeof(len));
		at += sizeof(len);
		if (len > size - at)
			break;
		/* its own allocation: 8-byte aligned as in the ring buffer, ASan sees past its end */
		rec = fuzz__dup(data + at, len);
		at += len;
		memcpy(&h, rec, len < sizeof(h) ? len : sizeof(h));
		if (len >= sizeof(h) && h.ts > newest)
			newest = h.ts;
		if (len == sizeof(h) && h.type == REC_IDLE) {
			if (h.ts > WINDOW_NS)
				spantree__flush(d->tree, h.ts - WINDOW_NS);
		} else {
			decoder__record(d, rec, len);
		}
		free(rec);
	}
	return newest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *out = trace_stream();
	/* no live interface: names are never read from a process, pipe readers are not known */
	struct decoder d = { .probes = &probes, .ops = trace_format__by_name("chrome")->ops,
			     .target_pid = 100,
			     .kev = { .min_wait_ns = 10000000, .stall_ns = 1000000000 } };
	const struct spantree_stats *st;
	uint64_t stop;

	d.tree = spantree__new(WINDOW_NS, on_span, decoder__on_task, &d);
	d.tasks = tasks__new();
	d.gors = gor__new();
	d.names = names__new();
	d.stats = stats__new();
	trace.len = 0;
	nspans = nunfinished = nafter_loss = 0;
	d.w = d.ops->open(out);
	if (!d.tree || !d.tasks || !d.gors || !d.names || !d.stats || !d.w)
		abort();
	spantree__on_drop(d.tree, decoder__on_drop);

	stop = feed(&d, data, size);
	spantree__finish(d.tree, stop);
	st = spantree__stats(d.tree);
	fuzz__check(st->spans == nspans && st->unfinished == nunfinished &&
		    st->after_loss == nafter_loss);
	decoder__name_tasks(&d);
	decoder__tell_loss(&d, 0);
	fuzz__check(d.ops->close(d.w) == 0);
	fuzz__check(fflush(out) == 0);
	fuzz__check(json_check(trace.buf, trace.len));
	stats__print(d.stats, dev_null());
	kdecode__summary(&d.kev, dev_null());
	kdecode__free(&d.kev);

	spantree__free(d.tree);
	tasks__free(d.tasks);
	gor__free(d.gors);
	names__free(d.names);
	stats__free(d.stats);
	return 0;
}
