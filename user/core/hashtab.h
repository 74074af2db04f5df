/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The core's one hash table. Entries of a fixed size live in the table
 * itself; the caller hashes its keys (hashtab__hash_u64, hashtab__hash_bytes)
 * and says which entry is its key (an eq callback), so integer keys, strings
 * and pairs all use it. Pure.
 *
 * Open addressing with linear probing, at most half full: it doubles when an
 * add would pass 1/2, and halves when a removal leaves it below 1/8 (never
 * below its first size). Removal shifts the entries after the hole back
 * (no tombstones), so a table through which millions of keys come and go
 * stays the size of the keys present at once, and lookups stay short.
 *
 * Entries move when the table grows or shrinks and when one is removed: a
 * pointer to an entry holds until the next add or remove. Entries are
 * aligned to 8 bytes. Each slot keeps its key's hash, so growing calls no
 * callback and a lookup compares keys only when the hashes match.
 */
#ifndef SPANTRACE_HASHTAB_H
#define SPANTRACE_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether entry holds key (whatever the caller's key is: an integer, a string and its length). */
typedef bool (*hashtab_eq_fn)(const void *entry, const void *key);

/* The fields are the table's own; callers use the functions. */
struct hashtab {
	unsigned char *slots; /* 1 << bits slots of stride bytes: u64 hash (0 = empty), entry */
	size_t esize, stride;
	size_t n; /* entries */
	unsigned int bits, min_bits;
};

/* The smallest table, and the largest (far beyond any count of tasks or names). */
#define HASHTAB_MIN_BITS 2
#define HASHTAB_MAX_BITS 40

/*
 * An empty table of entries of esize bytes, 1 << min_bits slots to begin with
 * (clamped to HASHTAB_MIN_BITS..HASHTAB_MAX_BITS). Returns 0, or -1 when out
 * of memory.
 */
int hashtab__init(struct hashtab *h, size_t esize, unsigned int min_bits);
/* Frees the slots (not what entries point to). The table may be initialised again. */
void hashtab__free(struct hashtab *h);

/*
 * A slot holds the hash with its lowest bit set, so that 0 marks an empty
 * slot; the slot a key belongs in (its home) comes from the hash's top bits.
 */
static inline uint64_t hashtab__stored(uint64_t hash)
{
	return hash | 1;
}

static inline uint64_t *hashtab__slot(const struct hashtab *h, size_t i)
{
	return (uint64_t *)(h->slots + i * h->stride);
}

static inline size_t hashtab__home(uint64_t hash, unsigned int bits)
{
	return (size_t)(hash >> (64 - bits));
}

/*
 * The entry of key, whose hash is hash; NULL if there is none. Inline: the
 * lookup is on every event's path, and so eq inlines into it.
 */
static inline void *hashtab__find(const struct hashtab *h, uint64_t hash, hashtab_eq_fn eq,
				  const void *key)
{
	size_t mask = ((size_t)1 << h->bits) - 1, i = hashtab__home(hash, h->bits);
	uint64_t want = hashtab__stored(hash);

	for (;; i = (i + 1) & mask) {
		uint64_t *s = hashtab__slot(h, i);

		if (!*s)
			return NULL;
		if (*s == want && eq(s + 1, key))
			return s + 1;
	}
}

/*
 * Adds an entry for a key of hash hash that is not in the table (the caller
 * has looked), and returns it, zeroed, for the caller to fill in its key and
 * the rest. NULL when out of memory, the table unchanged.
 */
void *hashtab__add(struct hashtab *h, uint64_t hash);
/* Removes entry (one of this table's, as find, add or next returned it). */
void hashtab__remove(struct hashtab *h, void *entry);
/*
 * Iteration in slot order (which depends on the hashes: sort what must come
 * out in a stable order): *pos starts at 0; returns the next entry, or NULL
 * at the end. No add or remove while iterating.
 */
void *hashtab__next(const struct hashtab *h, size_t *pos);
size_t hashtab__count(const struct hashtab *h);

/*
 * Hashes for keys: every bit of the input moves the top bits, which pick the
 * slot. Integers by Fibonacci hashing (a multiplication, a bijection: distinct
 * integers, distinct hashes); bytes by FNV-1a, then the same.
 */
static inline uint64_t hashtab__hash_u64(uint64_t x)
{
	return x * 0x9e3779b97f4a7c15ull;
}

uint64_t hashtab__hash_bytes(const void *s, size_t len);

#endif
