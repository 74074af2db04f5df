// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The distinct pipes written to, in bounded memory. See pipeset.h. */
#include <stdlib.h>
#include <string.h>

#include "pipeset.h"

struct pipeset_entry {
	uint64_t ino;	 /* 0: a free slot */
	uint32_t writer; /* the last process that wrote to it */
	uint32_t other;	 /* another that did, 0 if none */
	bool many;	 /* more than these two: never forgotten */
};

#define MIN_SLOTS 64

static size_t slot_of(const struct pipeset *s, uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull; /* Fibonacci hashing: inodes come in runs */

	return (size_t)(h >> 32) & (s->nslots - 1);
}

/* The slot holding ino, or the free slot where it would go. */
static struct pipeset_entry *probe(const struct pipeset *s, uint64_t ino)
{
	size_t i = slot_of(s, ino);

	while (s->slots[i].ino && s->slots[i].ino != ino)
		i = (i + 1) & (s->nslots - 1);
	return &s->slots[i];
}

/* Moves the entries kept by keep (all if NULL) into a table of nslots. False: no memory. */
static bool rebuild(struct pipeset *s, size_t nslots, pipeset_alive_fn alive, void *ctx)
{
	struct pipeset_entry *old = s->slots, *e;
	size_t nold = s->nslots;

	s->slots = calloc(nslots, sizeof(*s->slots));
	if (!s->slots) {
		s->slots = old;
		return false;
	}
	s->nslots = nslots;
	s->n = 0;
	for (size_t i = 0; i < nold; i++) {
		const struct pipeset_entry *o = &old[i];

		if (!o->ino)
			continue;
		if (alive && !o->many && !alive(ctx, o->writer) &&
		    (!o->other || !alive(ctx, o->other))) {
			s->forgotten++;
			continue;
		}
		e = probe(s, o->ino);
		*e = *o;
		s->n++;
	}
	free(old);
	return true;
}

/* Room for one more pipe: grown, or swept of pipes whose writers have all exited. */
static bool make_room(struct pipeset *s, pipeset_alive_fn alive, void *ctx)
{
	if (!s->slots)
		return rebuild(s, MIN_SLOTS, NULL, NULL);
	if (2 * (s->n + 1) <= s->nslots)
		return true;
	if (s->n < PIPESET_MAX)
		return rebuild(s, 2 * s->nslots, NULL, NULL);
	if (!s->exits_since_sweep || !alive)
		return false; /* swept already, and nobody has exited since */
	s->exits_since_sweep = false;
	return rebuild(s, s->nslots, alive, ctx) && s->n < PIPESET_MAX;
}

static void note_writer(struct pipeset_entry *e, uint32_t pid)
{
	if (pid == e->writer)
		return;
	if (e->other && e->other != pid)
		e->many = true;
	e->other = e->writer;
	e->writer = pid;
}

void pipeset__write(struct pipeset *s, uint64_t ino, uint32_t pid, pipeset_alive_fn alive,
		    void *ctx)
{
	struct pipeset_entry *e = s->slots ? probe(s, ino) : NULL;

	if (!ino)
		return;
	if (e && e->ino) {
		note_writer(e, pid);
		return;
	}
	if (!make_room(s, alive, ctx)) {
		s->untracked_writes++;
		return;
	}
	e = probe(s, ino);
	*e = (struct pipeset_entry){ .ino = ino, .writer = pid };
	s->n++;
	s->counted++;
}

void pipeset__exited(struct pipeset *s)
{
	s->exits_since_sweep = true;
}

size_t pipeset__size(const struct pipeset *s)
{
	return s->n;
}

void pipeset__free(struct pipeset *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}
