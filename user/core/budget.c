// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The overhead guard's decision. See budget.h. */
#include <stdlib.h>

#include "budget.h"

/* a * b, at most UINT64_MAX */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

uint64_t budget__estimate(uint64_t entry_hits, uint64_t entry_ns, uint64_t exit_hits,
			  uint64_t exit_ns)
{
	return add_sat(mul_sat(entry_hits, entry_ns), mul_sat(exit_hits, exit_ns));
}

uint64_t budget__allowed(const struct budget *b, uint64_t cpu_ns, uint64_t period_ns)
{
	double share = b->max_share * (double)cpu_ns;
	double floor = (double)b->floor_ns_per_s * (double)period_ns / 1e9;
	double allowed = share > floor ? share : floor;

	return allowed >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)allowed;
}

uint64_t budget__total(const struct budget_fn *fns, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		if (!fns[i].stopped)
			t = add_sat(t, fns[i].cost_ns);
	return t;
}

struct candidate {
	uint64_t cost_ns;
	size_t i;
};

/* Most costly first; ties: the lower index. */
static int candidate_cmp(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->cost_ns != y->cost_ns)
		return x->cost_ns > y->cost_ns ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

size_t budget__choose(const struct budget *b, const struct budget_fn *fns, size_t n,
		      uint64_t cpu_ns, uint64_t period_ns, size_t *out)
{
	uint64_t total = budget__total(fns, n), allowed = budget__allowed(b, cpu_ns, period_ns);
	struct candidate *c;
	size_t nc = 0, k = 0;

	if (total <= allowed)
		return 0;
	c = malloc(n * sizeof(*c));
	if (!c)
		return 0; /* out of memory: nothing stopped this period, the next one tries again */
	for (size_t i = 0; i < n; i++)
		if (!fns[i].stopped && fns[i].cost_ns)
			c[nc++] = (struct candidate){ fns[i].cost_ns, i };
	qsort(c, nc, sizeof(*c), candidate_cmp);
	for (; k < nc && total > allowed; k++) {
		out[k] = c[k].i;
		total -= c[k].cost_ns;
	}
	free(c);
	return k;
}
