/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The overhead guard's decision, pure so that it is unit-tested: from what
 * each traced function's probes cost over one period (its hits times the
 * cost of a hit, calibrated at start) and the CPU time the traced processes
 * used in that period (the probes' time included: the kernel charges a
 * uprobe's trap to the thread that hit it), which functions to stop probing.
 *
 * The probes' share is their estimated time over the processes' CPU time.
 * Above the budget, the functions costing most are stopped first, until what
 * is left is within it; the others stay traced. A share of little CPU time
 * means little: below an absolute floor (probe time per second of the
 * period) nothing is stopped, so a process that mostly sleeps keeps its
 * probes whatever fraction of its few milliseconds they take.
 */
#ifndef SPANTRACE_BUDGET_H
#define SPANTRACE_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct budget {
	double max_share;	 /* of the processes' CPU time: 0.05 for 5% */
	uint64_t floor_ns_per_s; /* probe time per second of the period below which nothing
				    is stopped */
};

/* One traced function (or --span pair) over the period. */
struct budget_fn {
	uint64_t calls;	  /* calls (entry hits) in the period */
	uint64_t cost_ns; /* its probes' estimated time in the period */
	bool stopped;	  /* no longer probed: neither counted nor chosen */
};

/* hits of each of a function's two directions times what one hit costs, in ns. */
uint64_t budget__estimate(uint64_t entry_hits, uint64_t entry_ns, uint64_t exit_hits,
			  uint64_t exit_ns);

/* The probe time the budget allows over a period of period_ns with cpu_ns used. */
uint64_t budget__allowed(const struct budget *b, uint64_t cpu_ns, uint64_t period_ns);

/* The estimated time of the functions still probed. */
uint64_t budget__total(const struct budget_fn *fns, size_t n);

/*
 * The functions to stop, most costly first (ties: the lower index), into
 * out[] (room for n): as few as bring the total within budget__allowed.
 * Returns how many; 0 when the total is within it already.
 */
size_t budget__choose(const struct budget *b, const struct budget_fn *fns, size_t n,
		      uint64_t cpu_ns, uint64_t period_ns, size_t *out);

#endif
