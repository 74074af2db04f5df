// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Goroutine table: a hash table on (pid, goid) that forgets a goroutine when
 * it ends, so a program that runs millions of short goroutines keeps the
 * table at the size of those alive at once.
 */
#include <stdlib.h>
#include <string.h>

#include "goroutines.h"
#include "hashtab.h"

struct goroutines {
	struct hashtab by_goid; /* of struct gor */
	uint32_t next_tid;
};

struct gor_key {
	uint32_t pid;
	uint64_t goid;
};

static uint64_t gor_hash(uint32_t pid, uint64_t goid)
{
	return hashtab__hash_u64(goid ^ hashtab__hash_u64(pid));
}

static bool gor_eq(const void *entry, const void *key)
{
	const struct gor *g = entry;
	const struct gor_key *k = key;

	return g->pid == k->pid && g->goid == k->goid;
}

struct goroutines *gor__new(void)
{
	struct goroutines *g = calloc(1, sizeof(*g));

	if (!g || hashtab__init(&g->by_goid, sizeof(struct gor), 6)) {
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
	hashtab__free(&g->by_goid);
	free(g);
}

struct gor *gor__find(const struct goroutines *g, uint32_t pid, uint64_t goid)
{
	struct gor_key k = { pid, goid };

	return hashtab__find(&g->by_goid, gor_hash(pid, goid), gor_eq, &k);
}

struct gor *gor__get(struct goroutines *g, uint32_t pid, uint64_t goid)
{
	struct gor *e = gor__find(g, pid, goid);

	if (e)
		return e;
	e = hashtab__add(&g->by_goid, gor_hash(pid, goid));
	if (!e)
		return NULL;
	e->pid = pid;
	e->goid = goid;
	e->tid = g->next_tid++;
	if (g->next_tid < GOR_TID_BASE) /* wrapped after 3 billion goroutines */
		g->next_tid = GOR_TID_BASE;
	return e;
}

void gor__remove(struct goroutines *g, uint32_t pid, uint64_t goid)
{
	struct gor *e = gor__find(g, pid, goid);

	if (e)
		hashtab__remove(&g->by_goid, e);
}

size_t gor__count(const struct goroutines *g)
{
	return hashtab__count(&g->by_goid);
}
