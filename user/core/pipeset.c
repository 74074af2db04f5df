// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The distinct pipes written to, in bounded memory. See pipeset.h. */
#include <stdlib.h>
#include <string.h>

#include "pipeset.h"

struct pipeset_entry {
	uint64_t ino;
	uint32_t writer; /* the last process that wrote to it */
	uint32_t other;	 /* another that did, 0 if none */
	bool many;	 /* more than these two: never forgotten */
};

static bool same_ino(const void *entry, const void *key)
{
	return ((const struct pipeset_entry *)entry)->ino == *(const uint64_t *)key;
}

static struct pipeset_entry *find(const struct pipeset *s, uint64_t ino)
{
	return s->pipes.slots ? hashtab__find(&s->pipes, hashtab__hash_u64(ino), same_ino, &ino) :
				NULL;
}

static bool writers_gone(const struct pipeset_entry *e, pipeset_alive_fn alive, void *ctx)
{
	return !e->many && !alive(ctx, e->writer) && (!e->other || !alive(ctx, e->other));
}

/* Forgets the pipes every writer of which has exited. False: no memory to list them. */
static bool sweep(struct pipeset *s, pipeset_alive_fn alive, void *ctx)
{
	uint64_t *gone = malloc(hashtab__count(&s->pipes) * sizeof(*gone));
	size_t n = 0, pos = 0;
	struct pipeset_entry *e;

	if (!gone)
		return false;
	while ((e = hashtab__next(&s->pipes, &pos)))
		if (writers_gone(e, alive, ctx))
			gone[n++] = e->ino;
	for (size_t i = 0; i < n; i++)
		hashtab__remove(&s->pipes, find(s, gone[i]));
	s->forgotten += n;
	free(gone);
	return true;
}

/* Room for one more pipe: below the bound, or swept of pipes whose writers have all exited. */
static bool make_room(struct pipeset *s, pipeset_alive_fn alive, void *ctx)
{
	if (!s->pipes.slots && hashtab__init(&s->pipes, sizeof(struct pipeset_entry), 6))
		return false;
	if (hashtab__count(&s->pipes) < PIPESET_MAX)
		return true;
	if (!s->exits_since_sweep || !alive)
		return false; /* swept already, and nobody has exited since */
	s->exits_since_sweep = false;
	return sweep(s, alive, ctx) && hashtab__count(&s->pipes) < PIPESET_MAX;
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
	struct pipeset_entry *e;

	if (!ino)
		return;
	e = find(s, ino);
	if (e) {
		note_writer(e, pid);
		return;
	}
	if (!make_room(s, alive, ctx) ||
	    !(e = hashtab__add(&s->pipes, hashtab__hash_u64(ino)))) {
		s->untracked_writes++;
		return;
	}
	*e = (struct pipeset_entry){ .ino = ino, .writer = pid };
	s->counted++;
}

void pipeset__exited(struct pipeset *s)
{
	s->exits_since_sweep = true;
}

size_t pipeset__size(const struct pipeset *s)
{
	return s->pipes.slots ? hashtab__count(&s->pipes) : 0;
}

void pipeset__free(struct pipeset *s)
{
	if (s->pipes.slots)
		hashtab__free(&s->pipes);
	memset(s, 0, sizeof(*s));
}
