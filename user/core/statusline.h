/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The text of the live status line (user/live/status.c draws it): what
 * tracing has done so far and what it costs, from two samples a second or
 * so apart. Pure, so unit tests cover it.
 */
#ifndef SPANTRACE_STATUSLINE_H
#define SPANTRACE_STATUSLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The probes' estimated cost, filled by the overhead guard each second:
 * until it has an estimate (known false) the line shows "overhead -".
 */
struct status_overhead {
	bool known;
	double percent; /* CPU the probes take, in % of the traced processes' own CPU time */
};

/* Counts since tracing began, at at_ns. */
struct status_sample {
	uint64_t at_ns;	     /* since tracing began */
	uint64_t events;     /* records read from the ring buffer */
	uint64_t spans;	     /* spans ended (written, unless the trace was cut or -c) */
	uint64_t open_spans; /* begun and not ended yet */
	uint64_t lost;	     /* events the ring buffer had no room for */
	uint64_t bytes;	     /* size of the trace written so far */
	bool no_trace;	     /* -c: nothing is written */
	bool cut;	     /* --max-size was reached */
	struct status_overhead overhead;
};

/*
 * "12s | 3.40k events/s | 120k spans, 5 open | 0 lost | trace 12.3M | overhead -"
 * into buf (always terminated); events/s over the time from prev (NULL: since
 * the start). Sizes in bytes with k, M, G of 1024; counts with k, M, G of 1000.
 */
void statusline__format(char *buf, size_t len, const struct status_sample *now,
			const struct status_sample *prev);

#endif
