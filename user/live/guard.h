/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The overhead guard: every second, what the probes cost the traced
 * processes (each probe's hits, counted per CPU on the BPF side, times what a
 * hit of its kind of site costs, calibrated at start: calib.h), against the
 * CPU time those processes used (their CPU clocks, which include the probes'
 * traps). Above the budget (--max-overhead), the functions costing most stop
 * being probed (user/core/budget.h decides, uprobes__stop detaches), each
 * step said once on stderr, written in the trace and listed in the summary;
 * a stopped function keeps its spans, and those still open end unfinished
 * (spantree__detach).
 */
#ifndef SPANTRACE_GUARD_H
#define SPANTRACE_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "budget.h"
#include "resolve.h"
#include "sites.h"
#include "statusline.h"

struct decoder;
struct ringread;
struct spantrace_bpf;
struct stats;
struct uprobes;

#define GUARD_PERIOD_NS (1000ull * 1000 * 1000)
/* Hit counters read per system call. */
#define GUARD_BATCH 256
/* Below this much probe time per second nothing is stopped (README: Overhead guard). */
#define GUARD_FLOOR_NS_PER_S (10ull * 1000 * 1000)

/* A traced function, or a --span pair: what the guard stops as a whole. */
struct guard_unit {
	uint32_t key;	  /* its span tree key (decoder__key) */
	uint32_t first;	  /* its first probe: its name */
	uint64_t call_ns; /* what its probes cost one call */
	bool stopped;
};

/* One function stopped, for the summary. */
struct guard_step {
	size_t unit;
	uint64_t at_ns; /* since tracing began */
	uint64_t calls_per_s, probe_ns_per_s, cpu_ns_per_s;
};

struct guard_cpu {
	uint32_t pid;
	uint64_t ns;
};

struct guard {
	/* set by the caller */
	const struct probe_table *probes;
	const struct site_table *sites;
	struct uprobes *up;
	struct spantrace_bpf *skel;
	struct decoder *dec;   /* its tree hears of each stop, its writer writes it */
	struct ringread *rb;   /* read to the end before the tree hears of a stop */
	double max_percent;    /* --max-overhead */
	uint32_t root_pid;
	bool verbose;
	uint64_t cost_ns[SITE_NCOSTS]; /* per hit, by kind of site (calib.h) */

	/* state */
	struct budget budget;
	size_t nslots;
	uint64_t *slot_ns; /* per ST_GUARD_SLOT: what one hit costs */
	uint64_t *hits;	   /* per slot: the count at the last look */
	uint64_t *delta;   /* per slot: hits in the last period */
	int ncpus;
	uint64_t *batch;   /* GUARD_BATCH slots' values on every CPU */
	struct guard_unit *units;
	size_t nunits;
	uint32_t *unit_of; /* per probe: its unit */
	struct budget_fn *fns;
	struct guard_cpu *cpu; /* the traced processes' CPU clocks at the last look, by pid */
	size_t ncpu;
	uint64_t start_ns, last_ns;
	uint64_t nlooks;
	double last_share;	/* the probes' share in the last period, before any stop */
	uint64_t peak_ns_per_s; /* the probes' time in the period they took most */
	double peak_share;	/* of the processes' CPU time then */
	struct guard_step *steps;
	size_t nsteps;
};

/*
 * Builds the units and what each hit costs, then takes the first look.
 * 0, or -1 with the reason in err.
 */
int guard__start(struct guard *g, uint64_t now, char *err, size_t errlen);
/* A look every GUARD_PERIOD_NS: stops functions when the probes cost too much. */
void guard__tick(struct guard *g, uint64_t now);
/* The probes' share at the last look, for the status line (not known before the first). */
void guard__overhead(const struct guard *g, struct status_overhead *o);
/* What each function's probes add to a call, beside the summary's table. */
void guard__costs_to_stats(const struct guard *g, struct stats *s);
/* The summary's lines on the guard (nothing when it is off). */
void guard__summary(const struct guard *g, FILE *f);
void guard__free(struct guard *g);

#endif
