// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Goroutine table: open addressing on (pid, goid) with linear probing and
 * backward-shift deletion, so a program that runs millions of short
 * goroutines keeps the table at the size of those alive at once.
 */
#include <stdlib.h>
#include <string.h>

#include "goroutines.h"

#define MIN_BITS 6

struct goroutines {
	struct gor *slots; /* tid == 0: empty */
	uint32_t bits;
	size_t n;
	uint32_t next_tid;
};

static size_t slot_of(const struct goroutines *g, uint32_t pid, uint64_t goid)
{
	uint64_t h = (goid ^ ((uint64_t)pid << 40)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> (64 - g->bits));
}

static size_t find_slot(const struct goroutines *g, uint32_t pid, uint64_t goid)
{
	size_t mask = ((size_t)1 << g->bits) - 1, s = slot_of(g, pid, goid);

	while (g->slots[s].tid && (g->slots[s].pid != pid || g->slots[s].goid != goid))
		s = (s + 1) & mask;
	return s;
}

static bool resize(struct goroutines *g, uint32_t bits)
{
	struct gor *old = g->slots;
	size_t oldn = old ? (size_t)1 << g->bits : 0;
	struct gor *v = calloc((size_t)1 << bits, sizeof(*v));

	if (!v)
		return false;
	g->slots = v;
	g->bits = bits;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].tid)
			g->slots[find_slot(g, old[i].pid, old[i].goid)] = old[i];
	free(old);
	return true;
}

struct goroutines *gor__new(void)
{
	struct goroutines *g = calloc(1, sizeof(*g));

	if (!g || !resize(g, MIN_BITS)) {
		free(g);
		return NULL;
	}
	g->next_tid = GOR_TID_BASE;
	return g;
}

void gor__free(struct goroutines *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g);
}

struct gor *gor__find(const struct goroutines *g, uint32_t pid, uint64_t goid)
{
	size_t s = find_slot(g, pid, goid);

	return g->slots[s].tid ? &g->slots[s] : NULL;
}

struct gor *gor__get(struct goroutines *g, uint32_t pid, uint64_t goid)
{
	size_t s = find_slot(g, pid, goid);
	struct gor *e = &g->slots[s];

	if (e->tid)
		return e;
	/* Keep the load at or below 1/2. */
	if (g->n + 1 > ((size_t)1 << (g->bits - 1))) {
		if (!resize(g, g->bits + 1))
			return NULL;
		e = &g->slots[find_slot(g, pid, goid)];
	}
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->goid = goid;
	e->tid = g->next_tid++;
	if (g->next_tid < GOR_TID_BASE) /* wrapped after 3 billion goroutines */
		g->next_tid = GOR_TID_BASE;
	g->n++;
	return e;
}

void gor__remove(struct goroutines *g, uint32_t pid, uint64_t goid)
{
	size_t mask = ((size_t)1 << g->bits) - 1, i = find_slot(g, pid, goid), j;

	if (!g->slots[i].tid)
		return;
	g->slots[i].tid = 0;
	g->n--;
	/* Backward shift: move later entries of the run into the hole when their home allows. */
	for (j = (i + 1) & mask; g->slots[j].tid; j = (j + 1) & mask) {
		size_t home = slot_of(g, g->slots[j].pid, g->slots[j].goid);

		/* j may move to i if home is not cyclically in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			g->slots[i] = g->slots[j];
			g->slots[j].tid = 0;
			i = j;
		}
	}
	if (g->bits > MIN_BITS && g->n < ((size_t)1 << (g->bits - 3)))
		resize(g, g->bits - 1); /* on failure keep the larger table */
}

size_t gor__count(const struct goroutines *g)
{
	return g->n;
}
