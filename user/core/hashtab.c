// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Open addressing, linear probing, backward-shift removal. See hashtab.h. */
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"

static inline size_t slot_count(const struct hashtab *h)
{
	return (size_t)1 << h->bits;
}

/* The first empty slot at or after hash's home, in a table with no entry of that key. */
static size_t free_slot(const struct hashtab *h, uint64_t hash)
{
	size_t mask = slot_count(h) - 1, i = hashtab__home(hash, h->bits);

	while (*hashtab__slot(h, i))
		i = (i + 1) & mask;
	return i;
}

/* Moves every entry to a table of 1 << bits slots. On failure nothing changes. */
static int resize(struct hashtab *h, unsigned int bits)
{
	struct hashtab old = *h;
	size_t i;

	h->slots = calloc((size_t)1 << bits, h->stride);
	if (!h->slots) {
		h->slots = old.slots;
		return -1;
	}
	h->bits = bits;
	for (i = 0; i < slot_count(&old); i++) {
		const uint64_t *s = hashtab__slot(&old, i);

		if (*s)
			memcpy(hashtab__slot(h, free_slot(h, *s)), s, h->stride);
	}
	free(old.slots);
	return 0;
}

int hashtab__init(struct hashtab *h, size_t esize, unsigned int min_bits)
{
	if (min_bits < HASHTAB_MIN_BITS)
		min_bits = HASHTAB_MIN_BITS;
	if (min_bits > HASHTAB_MAX_BITS)
		min_bits = HASHTAB_MAX_BITS;
	*h = (struct hashtab){
		.esize = esize,
		.stride = sizeof(uint64_t) + (esize + 7) / 8 * 8,
		.bits = min_bits,
		.min_bits = min_bits,
	};
	h->slots = calloc(slot_count(h), h->stride);
	return h->slots ? 0 : -1;
}

void hashtab__free(struct hashtab *h)
{
	free(h->slots);
	h->slots = NULL;
	h->n = 0;
}

/*
 * Room for one more entry: past half full the table doubles; if it cannot,
 * it fills further as long as one slot stays empty (every lookup ends at one).
 */
static bool make_room(struct hashtab *h)
{
	if (2 * (h->n + 1) <= slot_count(h))
		return true;
	if (h->bits < HASHTAB_MAX_BITS && !resize(h, h->bits + 1))
		return true;
	return h->n + 2 <= slot_count(h);
}

void *hashtab__add(struct hashtab *h, uint64_t hash)
{
	uint64_t *s;

	if (!make_room(h))
		return NULL;
	s = hashtab__slot(h, free_slot(h, hash));
	*s = hashtab__stored(hash);
	memset(s + 1, 0, h->stride - sizeof(*s));
	h->n++;
	return s + 1;
}

void hashtab__remove(struct hashtab *h, void *entry)
{
	size_t mask = slot_count(h) - 1;
	size_t i = (size_t)((unsigned char *)entry - sizeof(uint64_t) - h->slots) / h->stride, j;

	*hashtab__slot(h, i) = 0;
	h->n--;
	/*
	 * Close the hole: an entry further along the run moves into it unless
	 * its home lies cyclically in (hole, entry], where a lookup would no
	 * longer pass the hole to reach it.
	 */
	for (j = (i + 1) & mask; *hashtab__slot(h, j); j = (j + 1) & mask) {
		uint64_t *s = hashtab__slot(h, j);

		if (((j - hashtab__home(*s, h->bits)) & mask) >= ((j - i) & mask)) {
			memcpy(hashtab__slot(h, i), s, h->stride);
			*s = 0;
			i = j;
		}
	}
	if (h->bits > h->min_bits && h->n < slot_count(h) / 8)
		resize(h, h->bits - 1); /* on failure the table stays larger */
}

void *hashtab__next(const struct hashtab *h, size_t *pos)
{
	for (; *pos < slot_count(h); (*pos)++) {
		uint64_t *s = hashtab__slot(h, *pos);

		if (*s) {
			(*pos)++;
			return s + 1;
		}
	}
	return NULL;
}

size_t hashtab__count(const struct hashtab *h)
{
	return h->n;
}

/* FNV-1a over the bytes, finalised so that the top bits depend on all of them. */
uint64_t hashtab__hash_bytes(const void *s, size_t len)
{
	const unsigned char *p = s;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return hashtab__hash_u64(h);
}
