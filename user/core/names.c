// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Interned span names: an array by id, a hash index by string, references
 * counted, and the names nobody holds in a list, oldest first, from which
 * the oldest are let go. See names.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "names.h"

struct name {
	char *str;	     /* NULL: the id is free */
	uint32_t refs;
	uint32_t older, newer; /* refs 0: neighbours in the unused list; free: next free id */
};

struct names {
	struct name *v; /* v[id - 1] */
	uint32_t n, cap; /* ids handed out so far, room in v */
	uint32_t free_ids; /* a free id to reuse (chained by newer), 0 if none */
	uint32_t oldest, newest, nunused; /* the unused list */
	uint32_t held;	 /* names with references */
	struct hashtab index; /* of struct name_ent */
};

struct name_ent {
	const char *str; /* v[id - 1].str */
	uint32_t id;
};

/* A name being looked up: len bytes, not terminated. */
struct name_key {
	const char *s;
	size_t len;
};

static bool name_eq(const void *entry, const void *key)
{
	const struct name_ent *e = entry;
	const struct name_key *k = key;

	return strncmp(e->str, k->s, k->len) == 0 && e->str[k->len] == '\0';
}

static inline struct name *at(const struct names *n, uint32_t id)
{
	return &n->v[id - 1];
}

struct names *names__new(void)
{
	struct names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (hashtab__init(&n->index, sizeof(struct name_ent), 8)) {
		free(n);
		return NULL;
	}
	return n;
}

void names__free(struct names *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->n; i++)
		free(n->v[i].str);
	free(n->v);
	hashtab__free(&n->index);
	free(n);
}

static void unused_unlink(struct names *n, uint32_t id)
{
	struct name *e = at(n, id);

	if (e->older)
		at(n, e->older)->newer = e->newer;
	else
		n->oldest = e->newer;
	if (e->newer)
		at(n, e->newer)->older = e->older;
	else
		n->newest = e->older;
	e->older = e->newer = 0;
	n->nunused--;
}

static void unused_append(struct names *n, uint32_t id)
{
	struct name *e = at(n, id);

	e->older = n->newest;
	e->newer = 0;
	if (n->newest)
		at(n, n->newest)->newer = id;
	else
		n->oldest = id;
	n->newest = id;
	n->nunused++;
}

/* Lets go of the oldest unused name: out of the index, its id free for another. */
static void let_go_oldest(struct names *n)
{
	uint32_t id = n->oldest;
	struct name *e = at(n, id);
	struct name_key k = { e->str, strlen(e->str) };

	unused_unlink(n, id);
	hashtab__remove(&n->index,
			hashtab__find(&n->index, hashtab__hash_bytes(k.s, k.len), name_eq, &k));
	free(e->str);
	e->str = NULL;
	e->newer = n->free_ids;
	n->free_ids = id;
}

/* An id for a new name: a free one, or the next; 0 when out of memory. */
static uint32_t new_id(struct names *n)
{
	uint32_t id = n->free_ids;

	if (id) {
		n->free_ids = at(n, id)->newer;
		return id;
	}
	if (n->n == n->cap) {
		uint32_t cap = n->cap ? n->cap * 2 : 64;
		struct name *v = realloc(n->v, (size_t)cap * sizeof(*v));

		if (!v)
			return 0;
		n->v = v;
		n->cap = cap;
	}
	n->v[n->n] = (struct name){ 0 };
	return ++n->n;
}

/* Takes a reference on the name of id; false if that would hold too many. */
static bool hold(struct names *n, uint32_t id)
{
	struct name *e = at(n, id);

	if (!e->refs) {
		if (n->held >= NAMES_MAX_HELD)
			return false;
		unused_unlink(n, id);
		n->held++;
	}
	e->refs++;
	return true;
}

uint32_t names__intern(struct names *n, const char *s, size_t len)
{
	struct name_key k = { s, strnlen(s, len) };
	uint64_t hash = hashtab__hash_bytes(k.s, k.len);
	struct name_ent *ent = hashtab__find(&n->index, hash, name_eq, &k);
	uint32_t id;
	char *copy;

	if (ent)
		return hold(n, ent->id) ? ent->id : 0;
	if (n->held >= NAMES_MAX_HELD)
		return 0;
	copy = strndup(s, k.len);
	id = copy ? new_id(n) : 0;
	ent = id ? hashtab__add(&n->index, hash) : NULL;
	if (!ent) {
		if (id) { /* back on the free list */
			at(n, id)->newer = n->free_ids;
			n->free_ids = id;
		}
		free(copy);
		return 0;
	}
	ent->str = copy;
	ent->id = id;
	*at(n, id) = (struct name){ .str = copy, .refs = 1 };
	n->held++;
	return id;
}

void names__put(struct names *n, uint32_t id)
{
	struct name *e;

	if (!id || id > n->n || !(e = at(n, id))->str || !e->refs)
		return;
	if (--e->refs)
		return;
	n->held--;
	unused_append(n, id);
	if (n->nunused > NAMES_KEEP_UNUSED)
		let_go_oldest(n);
}

const char *names__get(const struct names *n, uint32_t id)
{
	return id && id <= n->n ? at(n, id)->str : NULL;
}

size_t names__count(const struct names *n)
{
	return n->held + n->nunused;
}

size_t names__held(const struct names *n)
{
	return n->held;
}
