// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Interned span names: a string array and a hash index. See names.h. */
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "names.h"

struct names {
	char **str; /* str[id - 1] */
	uint32_t n, cap;
	struct hashtab index; /* of struct name_ent */
};

struct name_ent {
	const char *str; /* str[id - 1] */
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
		free(n->str[i]);
	free(n->str);
	hashtab__free(&n->index);
	free(n);
}

uint32_t names__intern(struct names *n, const char *s, size_t len)
{
	struct name_key k = { s, strnlen(s, len) };
	uint64_t hash = hashtab__hash_bytes(k.s, k.len);
	struct name_ent *e = hashtab__find(&n->index, hash, name_eq, &k);
	char *copy;

	if (e)
		return e->id;
	if (n->n == n->cap) {
		uint32_t cap = n->cap ? n->cap * 2 : 64;
		char **v = realloc(n->str, (size_t)cap * sizeof(*v));

		if (!v)
			return 0;
		n->str = v;
		n->cap = cap;
	}
	copy = strndup(s, k.len);
	if (!copy)
		return 0;
	e = hashtab__add(&n->index, hash);
	if (!e) {
		free(copy);
		return 0;
	}
	n->str[n->n++] = copy;
	e->str = copy;
	e->id = n->n;
	return n->n;
}

const char *names__get(const struct names *n, uint32_t id)
{
	return id && id <= n->n ? n->str[id - 1] : NULL;
}

size_t names__count(const struct names *n)
{
	return n->n;
}
