/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-name duration statistics for the end-of-run summary: count, total, and
 * p50/p99 from a log-linear histogram (relative error below 1/64), so memory
 * does not grow with the number of spans.
 */
#ifndef SPANTRACE_STATS_H
#define SPANTRACE_STATS_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS 6 /* 64 sub-buckets per power of two */
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

struct hist {
	uint64_t count, total, min, max;
	uint32_t b[HIST_BUCKETS];
};

void hist__add(struct hist *h, uint64_t v);
/* q in [0,1]. Returns a value within 1/64 of the true quantile (exact min/max at 0 and 1). */
uint64_t hist__quantile(const struct hist *h, double q);

struct stats;
struct stats *stats__new(void);
/* name is copied on first sight; later calls with an equal name share the entry. */
void stats__add(struct stats *s, const char *name, uint64_t dur_ns);
/*
 * stats__add for a caller that numbers its names (the loader: probe
 * indexes): the same entry, found by id without comparing names. An id must
 * always come with the same name.
 */
void stats__add_id(struct stats *s, uint32_t id, const char *name, uint64_t dur_ns);
/* A call of id that did not return (open at the stop, cut short, unwound): counted, not timed. */
void stats__add_untimed_id(struct stats *s, uint32_t id, const char *name);
/*
 * What the probes add to each call of id (0: not known), for a name that
 * has calls (an id without any stays out of the table).
 */
void stats__set_probe_cost_id(struct stats *s, uint32_t id, uint64_t ns);
/*
 * Prints one header and one line per name, sorted by the total time of its
 * calls that returned, descending: its calls, those that returned, and their
 * total, p50 and p99, and what the probes add to a call when that is known
 * for any. A name longer than fits keeps its end.
 */
void stats__print(const struct stats *s, FILE *f);
void stats__free(struct stats *s);

/* "1.234 ms" style, 4 significant digits; buf >= 16 bytes. */
const char *fmt_duration(uint64_t ns, char *buf, unsigned long len);

#endif
