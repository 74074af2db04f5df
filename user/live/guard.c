// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The overhead guard. See guard.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decode.h"
#include "errbuf.h"
#include "guard.h"
#include "ringread.h"
#include "spantrace.h"
#include "spantrace.skel.h"
#include "spantree.h"
#include "stats.h"
#include "trace.h"
#include "uprobes.h"
#include "util.h"

/* --- what a hit costs, per slot; the units ---------------------------------- */

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Per slot, what one hit costs: the costliest of its sites (a Go function's RETs and jumps). */
static void slot_costs(struct guard *g)
{
	for (size_t i = 0; i < g->sites->n; i++) {
		const struct site *s = &g->sites->v[i];
		uint32_t slot;

		if (s->probe == SITE_NO_PROBE)
			continue;
		slot = ST_GUARD_SLOT(s->probe, s->prog == SITE_EXIT);
		if (slot < g->nslots)
			g->slot_ns[slot] = max_u64(g->slot_ns[slot], g->cost_ns[s->cost]);
	}
}

/* The unit of key, added if new. */
static uint32_t unit_for(struct guard *g, uint32_t key, uint32_t probe)
{
	for (size_t u = 0; u < g->nunits; u++)
		if (g->units[u].key == key)
			return (uint32_t)u;
	g->units[g->nunits] = (struct guard_unit){ .key = key, .first = probe };
	return (uint32_t)g->nunits++;
}

/* A unit's cost per call: its costliest way in plus its costliest way out. */
static void unit_costs(struct guard *g)
{
	for (size_t u = 0; u < g->nunits; u++) {
		uint64_t in = 0, out = 0;

		for (size_t i = 0; i < g->probes->n; i++)
			if (g->unit_of[i] == u) {
				in = max_u64(in, g->slot_ns[ST_GUARD_SLOT(i, false)]);
				out = max_u64(out, g->slot_ns[ST_GUARD_SLOT(i, true)]);
			}
		g->units[u].call_ns = in + out;
	}
}

static int build(struct guard *g)
{
	size_t n = g->probes->n;

	g->nslots = ST_GUARD_SLOT(n, false); /* the calibration's slots come after */
	g->ncpus = libbpf_num_possible_cpus();
	if (g->ncpus <= 0)
		return -EINVAL;
	g->slot_ns = calloc(g->nslots + 1, sizeof(*g->slot_ns));
	g->hits = calloc(g->nslots + 1, sizeof(*g->hits));
	g->delta = calloc(g->nslots + 1, sizeof(*g->delta));
	g->batch = calloc((size_t)GUARD_BATCH * (size_t)g->ncpus, sizeof(*g->batch));
	g->units = calloc(n + 1, sizeof(*g->units));
	g->unit_of = calloc(n + 1, sizeof(*g->unit_of));
	g->fns = calloc(n + 1, sizeof(*g->fns));
	if (!g->slot_ns || !g->hits || !g->delta || !g->batch || !g->units || !g->unit_of ||
	    !g->fns)
		return -ENOMEM;
	slot_costs(g);
	for (size_t i = 0; i < n; i++)
		g->unit_of[i] = g->sites->skipped[i] ? UINT32_MAX :
			unit_for(g, decoder__key(g->probes, (uint32_t)i), (uint32_t)i);
	unit_costs(g);
	return 0;
}

/* --- looking: hits per slot, CPU time per process ----------------------------- */

/* Slot's count now, its value on every CPU in v: since the last look into delta. */
static void add_hits(struct guard *g, uint32_t slot, const uint64_t *v)
{
	uint64_t sum = 0;

	for (int c = 0; c < g->ncpus; c++)
		sum += v[c];
	g->delta[slot] = sum - g->hits[slot];
	g->hits[slot] = sum;
}

/*
 * Every slot in as few system calls as the kernel allows (a batch holds
 * GUARD_BATCH slots); false if it refuses batches (before 5.6), to be read
 * one by one.
 */
static bool read_hits_batched(struct guard *g, int fd)
{
	uint32_t keys[GUARD_BATCH], pos = 0, count;
	bool first = true;
	int r;

	do {
		count = GUARD_BATCH;
		r = bpf_map_lookup_batch(fd, first ? NULL : &pos, &pos, keys, g->batch, &count,
					 NULL);
		if (r && errno != ENOENT)
			return !first;
		first = false;
		for (uint32_t i = 0; i < count; i++)
			if (keys[i] < g->nslots)
				add_hits(g, keys[i], g->batch + (size_t)i * (size_t)g->ncpus);
	} while (!r);
	return true;
}

/* The hits of every slot now, summed over the CPUs; delta: since the last look. */
static void read_hits(struct guard *g)
{
	int fd = bpf_map__fd(g->skel->maps.probe_hits);

	if (read_hits_batched(g, fd))
		return;
	for (uint32_t slot = 0; slot < g->nslots; slot++)
		if (!bpf_map_lookup_elem(fd, &slot, g->batch))
			add_hits(g, slot, g->batch);
}

static int cpu_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct guard_cpu *)a)->pid, y = ((const struct guard_cpu *)b)->pid;

	return x < y ? -1 : x > y;
}

/* Process pid's CPU time (all its threads, the dead ones too), or -1 if it is gone. */
static int64_t process_cpu_ns(uint32_t pid)
{
	struct timespec ts;
	clockid_t clk;

	if (clock_getcpuclockid((pid_t)pid, &clk) || clock_gettime(clk, &ts))
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The traced processes' CPU clocks now (the filter map's pids), and the CPU
 * time they used since the last look: a process seen then, what it used
 * since; one born since (a fork), all it used. One that ended in between
 * is not counted.
 */
static uint64_t read_cpu(struct guard *g)
{
	int fd = bpf_map__fd(g->skel->maps.tgids);
	struct guard_cpu *now = calloc(ST_MAX_TGIDS, sizeof(*now));
	uint32_t key, next;
	uint64_t used = 0;
	size_t n = 0;
	bool first = true;

	if (!now)
		return 0;
	while (n < ST_MAX_TGIDS && !bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		int64_t ns = process_cpu_ns(next);

		first = false;
		key = next;
		if (ns >= 0)
			now[n++] = (struct guard_cpu){ .pid = next, .ns = (uint64_t)ns };
	}
	qsort(now, n, sizeof(*now), cpu_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct guard_cpu *then =
			g->cpu ? bsearch(&now[i], g->cpu, g->ncpu, sizeof(*now), cpu_cmp) : NULL;

		used += then ? (now[i].ns > then->ns ? now[i].ns - then->ns : 0) : now[i].ns;
	}
	free(g->cpu);
	g->cpu = now;
	g->ncpu = n;
	return used;
}

/* Each unit's calls and probe time over the last period. */
static void unit_loads(struct guard *g)
{
	for (size_t u = 0; u < g->nunits; u++)
		g->fns[u] = (struct budget_fn){ .stopped = g->units[u].stopped };
	for (size_t i = 0; i < g->probes->n; i++) {
		uint32_t u = g->unit_of[i], in = ST_GUARD_SLOT(i, false), out = ST_GUARD_SLOT(i, true);

		if (u == UINT32_MAX)
			continue;
		/* a call is a way in: an entry, or a pair's BEGIN (its END is a way out) */
		g->fns[u].calls += g->delta[in];
		g->fns[u].cost_ns += budget__estimate(g->delta[in], g->slot_ns[in], g->delta[out],
						      g->slot_ns[out]);
	}
}

/* --- stopping ------------------------------------------------------------------ */

static const char *unit_func(const struct guard *g, size_t u)
{
	return g->probes->v[g->units[u].first].func;
}

/* "1.9 M", "182 k", "950": a rate in three significant digits (the unit after rounding). */
static const char *fmt_rate(double v, char *buf, size_t len)
{
	if (v >= 999.5e6)
		snprintf(buf, len, "%.0f M", v / 1e6);
	else if (v >= 999.5e3)
		snprintf(buf, len, "%.3g M", v / 1e6);
	else if (v >= 999.5)
		snprintf(buf, len, "%.3g k", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

/* x per period_ns, per second */
static uint64_t per_s(uint64_t x, uint64_t period_ns)
{
	return (uint64_t)((double)x * 1e9 / (double)period_ns);
}

/* One stopped unit: said, written in the trace, kept for the summary. */
static void tell_stop(struct guard *g, size_t u, uint64_t ts, uint64_t cpu_ns, uint64_t period)
{
	struct decoder *d = g->dec;
	const struct probe *p = &g->probes->v[g->units[u].first];
	struct guard_step st = { .unit = u, .at_ns = ts - g->start_ns,
				 .calls_per_s = per_s(g->fns[u].calls, period),
				 .probe_ns_per_s = per_s(g->fns[u].cost_ns, period),
				 .cpu_ns_per_s = per_s(cpu_ns, period) };
	struct trace_guard_stop gs = { .pid = g->root_pid, .ts_ns = ts, .func = p->func,
				       .object = p->object, .calls_per_s = st.calls_per_s,
				       .cost_per_call_ns = g->units[u].call_ns,
				       .probe_ns_per_s = st.probe_ns_per_s,
				       .cpu_ns_per_s = st.cpu_ns_per_s,
				       .max_percent = g->max_percent };
	struct guard_step *v = realloc(g->steps, (g->nsteps + 1) * sizeof(*v));
	char rate[32], cost[32];

	d->ops->guard_stop(d->w, &gs);
	say("overhead guard: %s: %s calls/s × %s per call = %.2f CPU of probe time, %.0f%% of the "
	    "%.2f CPU the traced processes used; stopped tracing it (budget %g%%)", p->func,
	    fmt_rate((double)st.calls_per_s, rate, sizeof(rate)),
	    fmt_duration(g->units[u].call_ns, cost, sizeof(cost)), st.probe_ns_per_s / 1e9,
	    cpu_ns ? 100.0 * (double)g->fns[u].cost_ns / (double)cpu_ns : 0.0,
	    st.cpu_ns_per_s / 1e9, g->max_percent);
	if (v) {
		g->steps = v;
		g->steps[g->nsteps++] = st;
	}
}

/* The BPF programs of the probes in stop[] record nothing from now on. */
static void mark_stopped(struct guard *g, const bool *stop)
{
	int fd = bpf_map__fd(g->skel->maps.probe_stopped);
	uint8_t one = 1;

	for (uint32_t i = 0; i < g->probes->n; i++)
		if (stop[i] && bpf_map_update_elem(fd, &i, &one, BPF_ANY))
			say("overhead guard: failed to mark %s stopped: %s", g->probes->v[i].func,
			    strerror(errno));
}

/* Stops the k units of which[]: marked, their probes taken off, then each told. */
static void stop_units(struct guard *g, const size_t *which, size_t k, uint64_t cpu_ns,
		       uint64_t period)
{
	bool *stop = calloc(g->probes->n + 1, sizeof(*stop));
	char err[512] = "";
	uint64_t ts;

	if (!stop)
		return;
	for (size_t j = 0; j < k; j++) {
		g->units[which[j]].stopped = true;
		for (size_t i = 0; i < g->probes->n; i++)
			stop[i] |= g->unit_of[i] == which[j];
	}
	/*
	 * Their programs record nothing from now on: their spans end here. The
	 * records of before are in the ring: to the span tree, then the stop,
	 * before anything later (the ring fills while the probes come off) can
	 * move the tree's reorder window past it.
	 */
	mark_stopped(g, stop);
	ts = mono_ns();
	ringread__consume(g->rb);
	for (size_t j = 0; j < k; j++)
		spantree__detach(g->dec->tree, g->units[which[j]].key, ts);
	if (uprobes__stop(g->up, stop, err, sizeof(err)))
		say("overhead guard: %s; its probes still cost what they did, though nothing is "
		    "recorded of them", err);
	else if (g->verbose)
		say("overhead guard: probes taken off in %.1f ms", (mono_ns() - ts) / 1e6);
	free(stop);
	for (size_t j = 0; j < k; j++)
		tell_stop(g, which[j], ts, cpu_ns, period);
}

/* --- the guard's life --------------------------------------------------------- */

int guard__start(struct guard *g, uint64_t now, char *err, size_t errlen)
{
	struct trace_probe_cost costs[SITE_NCOSTS];
	size_t n = 0;

	g->budget = (struct budget){ .max_share = g->max_percent / 100.0,
				     .floor_ns_per_s = GUARD_FLOOR_NS_PER_S };
	if (build(g)) {
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	for (int k = 0; k < SITE_NCOSTS; k++)
		if (g->cost_ns[k])
			costs[n++] = (struct trace_probe_cost){ sites__cost_name(k), g->cost_ns[k] };
	g->dec->ops->probe_costs(g->dec->w, costs, n);
	read_hits(g);
	read_cpu(g);
	g->start_ns = g->last_ns = now;
	return 0;
}

void guard__tick(struct guard *g, uint64_t now)
{
	uint64_t period = now - g->last_ns, cpu, total;
	size_t *which, k;

	if (!g->units || period < GUARD_PERIOD_NS)
		return;
	g->last_ns = now;
	g->nlooks++;
	read_hits(g);
	cpu = read_cpu(g);
	unit_loads(g);
	total = budget__total(g->fns, g->nunits);
	g->last_share = cpu ? (double)total / (double)cpu : 0;
	if (per_s(total, period) >= g->peak_ns_per_s) {
		g->peak_ns_per_s = per_s(total, period);
		g->peak_share = cpu ? (double)total / (double)cpu : 0;
	}
	which = calloc(g->nunits + 1, sizeof(*which));
	if (!which)
		return;
	k = budget__choose(&g->budget, g->fns, g->nunits, cpu, period, which);
	if (k)
		stop_units(g, which, k, cpu, period);
	free(which);
}

void guard__overhead(const struct guard *g, struct status_overhead *o)
{
	*o = (struct status_overhead){ .known = g->units && g->nlooks,
				       .percent = 100.0 * g->last_share };
}

void guard__costs_to_stats(const struct guard *g, struct stats *s)
{
	for (size_t i = 0; g->units && i < g->probes->n; i++)
		if (g->unit_of[i] != UINT32_MAX)
			stats__set_probe_cost_id(s, (uint32_t)i, g->units[g->unit_of[i]].call_ns);
}

void guard__summary(const struct guard *g, FILE *f)
{
	char rate[32], cost[32];

	if (!g->units)
		return;
	fprintf(f, "overhead guard (budget %g%% of the traced processes' CPU time): ",
		g->max_percent);
	if (!g->nsteps && !g->nlooks)
		fprintf(f, "tracing ended before its first look, after %.0f s\n",
			GUARD_PERIOD_NS / 1e9);
	else if (!g->nsteps)
		fprintf(f, "every function kept; the probes' time peaked at %s a second, %.1f%% "
			"then\n", fmt_duration(g->peak_ns_per_s, cost, sizeof(cost)),
			100.0 * g->peak_share);
	else
		fprintf(f, "stopped tracing %zu function%s\n", g->nsteps, g->nsteps == 1 ? "" : "s");
	for (size_t i = 0; i < g->nsteps; i++) {
		const struct guard_step *st = &g->steps[i];

		fprintf(f, "  %s at %.2f s: %s calls/s × %s = %.0f%% of %.2f CPU\n",
			unit_func(g, st->unit), st->at_ns / 1e9,
			fmt_rate((double)st->calls_per_s, rate, sizeof(rate)),
			fmt_duration(g->units[st->unit].call_ns, cost, sizeof(cost)),
			st->cpu_ns_per_s ? 100.0 * (double)st->probe_ns_per_s /
						   (double)st->cpu_ns_per_s : 0.0,
			st->cpu_ns_per_s / 1e9);
	}
}

void guard__free(struct guard *g)
{
	free(g->slot_ns);
	free(g->hits);
	free(g->delta);
	free(g->batch);
	free(g->units);
	free(g->unit_of);
	free(g->fns);
	free(g->cpu);
	free(g->steps);
	g->units = NULL;
}
