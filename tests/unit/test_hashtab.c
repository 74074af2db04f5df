/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hashtab: the core's one hash table. Integer and string keys; runs of
 * colliding keys that wrap around the end of the table, and removal inside
 * them; growth and shrinking; every operation of long random churn checked
 * against a plain array; iteration; the hash functions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"

struct ient {
	uint64_t key;
	uint32_t val;
};

static bool ient_eq(const void *entry, const void *key)
{
	return ((const struct ient *)entry)->key == *(const uint64_t *)key;
}

static struct ient *ifind(const struct hashtab *h, uint64_t hash, uint64_t key)
{
	return hashtab__find(h, hash, ient_eq, &key);
}

static struct ient *iadd(struct hashtab *h, uint64_t hash, uint64_t key, uint32_t val)
{
	struct ient *e = hashtab__add(h, hash);

	assert_non_null(e);
	assert_int_equal(e->key, 0); /* handed over zeroed */
	assert_int_equal(e->val, 0);
	e->key = key;
	e->val = val;
	return e;
}

/* The slots the table has now (its own field: what the tests check of its size). */
static size_t nslots(const struct hashtab *h)
{
	return (size_t)1 << h->bits;
}

/* A hash whose home, in a table of 1 << bits slots, is slot home; low bits tell keys apart. */
static uint64_t hash_at(size_t home, unsigned int bits, uint64_t low)
{
	return ((uint64_t)home << (64 - bits)) | low;
}

static void test_empty_add_find(void **state)
{
	struct hashtab h;
	struct ient *e;
	size_t pos = 0;

	assert_int_equal(hashtab__init(&h, sizeof(struct ient), 4), 0);
	assert_int_equal(hashtab__count(&h), 0);
	assert_null(ifind(&h, hashtab__hash_u64(7), 7));
	assert_null(hashtab__next(&h, &pos));
	e = iadd(&h, hashtab__hash_u64(7), 7, 70);
	assert_int_equal((uintptr_t)e % 8, 0);
	assert_ptr_equal(ifind(&h, hashtab__hash_u64(7), 7), e);
	assert_null(ifind(&h, hashtab__hash_u64(8), 8));
	/* key 0 and hash 0 are keys like any other */
	iadd(&h, 0, 0, 1);
	assert_int_equal(ifind(&h, 0, 0)->val, 1);
	assert_int_equal(hashtab__count(&h), 2);
	hashtab__remove(&h, ifind(&h, 0, 0));
	assert_null(ifind(&h, 0, 0));
	assert_int_equal(ifind(&h, hashtab__hash_u64(7), 7)->val, 70);
	hashtab__free(&h);
}

/* Keys of one hash: only eq tells them apart, and each is found behind the others. */
static void test_same_hash(void **state)
{
	struct hashtab h;

	assert_int_equal(hashtab__init(&h, sizeof(struct ient), 3), 0);
	for (uint64_t k = 1; k <= 100; k++)
		iadd(&h, 42, k, (uint32_t)k * 10);
	for (uint64_t k = 1; k <= 100; k++)
		assert_int_equal(ifind(&h, 42, k)->val, k * 10);
	assert_null(ifind(&h, 42, 101));
	/* removing from the middle of the run keeps the rest reachable */
	for (uint64_t k = 2; k <= 100; k += 3)
		hashtab__remove(&h, ifind(&h, 42, k));
	for (uint64_t k = 1; k <= 100; k++) {
		if (k % 3 == 2)
			assert_null(ifind(&h, 42, k));
		else
			assert_int_equal(ifind(&h, 42, k)->val, k * 10);
	}
	hashtab__free(&h);
}

/*
 * Eight slots, entries homed at the last two: the run wraps around to the
 * first slots. Removing at the run's start pulls each entry back across the
 * end of the table; an entry at its own home is not moved before it.
 */
static void test_wraparound(void **state)
{
	struct hashtab h;
	struct ient *e;

	assert_int_equal(hashtab__init(&h, sizeof(struct ient), 3), 0);
	iadd(&h, hash_at(7, 3, 1), 1, 1); /* slot 7 */
	iadd(&h, hash_at(7, 3, 2), 2, 2); /* slot 0 */
	iadd(&h, hash_at(0, 3, 3), 3, 3); /* home 0, taken: slot 1 */
	iadd(&h, hash_at(6, 3, 4), 4, 4); /* slot 6 */
	assert_int_equal(nslots(&h), 8);
	hashtab__remove(&h, ifind(&h, hash_at(7, 3, 1), 1));
	/* 2 moves back to 7, 3 back to its home 0 */
	e = ifind(&h, hash_at(7, 3, 2), 2);
	assert_ptr_equal((unsigned char *)e, h.slots + 7 * h.stride + 8);
	e = ifind(&h, hash_at(0, 3, 3), 3);
	assert_ptr_equal((unsigned char *)e, h.slots + 0 * h.stride + 8);
	assert_int_equal(ifind(&h, hash_at(6, 3, 4), 4)->val, 4);
	assert_null(ifind(&h, hash_at(7, 3, 1), 1));
	/* the entry at its home stays when the one before it goes */
	hashtab__remove(&h, ifind(&h, hash_at(6, 3, 4), 4));
	e = ifind(&h, hash_at(7, 3, 2), 2);
	assert_ptr_equal((unsigned char *)e, h.slots + 7 * h.stride + 8);
	assert_int_equal(hashtab__count(&h), 2);
	hashtab__free(&h);
}

/* Growth keeps every entry; removing them all shrinks back to the first size. */
static void test_grow_and_shrink(void **state)
{
	enum { N = 100000 };
	struct hashtab h;

	assert_int_equal(hashtab__init(&h, sizeof(struct ient), 4), 0);
	for (uint64_t k = 0; k < N; k++) {
		iadd(&h, hashtab__hash_u64(k), k, (uint32_t)k + 1);
		assert_true(2 * hashtab__count(&h) <= nslots(&h)); /* at most half full */
	}
	assert_int_equal(nslots(&h), 262144);
	for (uint64_t k = 0; k < N; k++)
		assert_int_equal(ifind(&h, hashtab__hash_u64(k), k)->val, k + 1);
	for (uint64_t k = 0; k < N; k++) {
		hashtab__remove(&h, ifind(&h, hashtab__hash_u64(k), k));
		/* below 1/8 it halves (to at most 1/4), never under its first size */
		assert_true(nslots(&h) == 16 || 8 * hashtab__count(&h) >= nslots(&h));
		if (k % 997 == 0)
			for (uint64_t j = k + 1; j < N; j += 101)
				assert_int_equal(ifind(&h, hashtab__hash_u64(j), j)->val, j + 1);
	}
	assert_int_equal(hashtab__count(&h), 0);
	assert_int_equal(nslots(&h), 16);
	hashtab__free(&h);
}

static uint64_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/*
 * Keys come and go at random, with a hash that puts many on few homes (long
 * runs, removal inside them, growth and shrinking as the count swings); after
 * every operation the key touched agrees with a plain array, and now and then
 * every key does, and iteration visits each entry once.
 */
static void churn(uint64_t (*hash)(uint64_t), uint64_t seed)
{
	enum { KEYS = 5000, OPS = 400000 };
	uint32_t *ref = calloc(KEYS, sizeof(*ref)); /* value, 0: absent */
	size_t present = 0, max_slots = 0;
	struct hashtab h;

	assert_non_null(ref);
	assert_int_equal(hashtab__init(&h, sizeof(struct ient), 3), 0);
	for (uint32_t op = 1; op <= OPS; op++) {
		/* the key range breathes: phases where most keys are added, then removed */
		uint64_t k = rng(&seed) % KEYS;
		bool adding = (op / 50000) % 2 == 0 ? rng(&seed) % 4 != 0 : rng(&seed) % 16 == 0;
		struct ient *e = ifind(&h, hash(k), k);

		if (ref[k]) {
			assert_non_null(e);
			assert_int_equal(e->val, ref[k]);
			if (!adding) {
				hashtab__remove(&h, e);
				ref[k] = 0;
				present--;
			}
		} else {
			assert_null(e);
			if (adding) {
				iadd(&h, hash(k), k, op);
				ref[k] = op;
				present++;
			}
		}
		assert_int_equal(hashtab__count(&h), present);
		if (nslots(&h) > max_slots)
			max_slots = nslots(&h);
		if (op % 20000 == 0) {
			size_t pos = 0, seen = 0;

			for (uint64_t j = 0; j < KEYS; j++) {
				e = ifind(&h, hash(j), j);
				if (ref[j])
					assert_true(e && e->val == ref[j]);
				else
					assert_null(e);
			}
			while ((e = hashtab__next(&h, &pos))) {
				assert_int_equal(ref[e->key], e->val);
				seen++;
			}
			assert_int_equal(seen, present);
		}
	}
	/* it grew for the full phases (3/4 of the keys), and came down for the last empty one */
	assert_true(max_slots >= 8192);
	assert_true(nslots(&h) < max_slots);
	assert_true(nslots(&h) <= 16 * (present + 1));
	free(ref);
	hashtab__free(&h);
}

static uint64_t hash_good(uint64_t k)
{
	return hashtab__hash_u64(k);
}

/* 16 homes' worth of top bits whatever the size: runs of hundreds of entries. */
static uint64_t hash_clustered(uint64_t k)
{
	return ((k % 16) << 60) | k;
}

static void test_churn(void **state)
{
	churn(hash_good, 1);
	churn(hash_good, 12345);
}

static void test_churn_clustered(void **state)
{
	churn(hash_clustered, 7);
}

/* A string key, not terminated: the length says where it ends. */
struct skey {
	const char *s;
	size_t len;
};

struct sent {
	char *s;
	uint32_t id;
};

static bool sent_eq(const void *entry, const void *key)
{
	const struct sent *e = entry;
	const struct skey *k = key;

	return strncmp(e->s, k->s, k->len) == 0 && e->s[k->len] == 0;
}

static void test_string_keys(void **state)
{
	enum { N = 20000 };
	struct hashtab h;
	char buf[32];
	struct sent *e;
	size_t pos = 0;

	assert_int_equal(hashtab__init(&h, sizeof(struct sent), 6), 0);
	for (uint32_t i = 0; i < N; i++) {
		struct skey k = { buf, (size_t)snprintf(buf, sizeof(buf), "name-%u", i) };

		assert_null(hashtab__find(&h, hashtab__hash_bytes(k.s, k.len), sent_eq, &k));
		e = hashtab__add(&h, hashtab__hash_bytes(k.s, k.len));
		assert_non_null(e);
		e->s = strdup(buf);
		e->id = i + 1;
	}
	for (uint32_t i = 0; i < N; i++) {
		/* found by a key that goes on past its length */
		struct skey k = { buf, (size_t)snprintf(buf, sizeof(buf), "name-%uXYZ", i) - 3 };

		e = hashtab__find(&h, hashtab__hash_bytes(k.s, k.len), sent_eq, &k);
		assert_non_null(e);
		assert_int_equal(e->id, i + 1);
	}
	/* a prefix of a key is another key */
	{
		struct skey k = { "name-1", 5 };

		assert_null(hashtab__find(&h, hashtab__hash_bytes(k.s, k.len), sent_eq, &k));
	}
	while ((e = hashtab__next(&h, &pos)))
		free(e->s);
	hashtab__free(&h);
}

/* Entries of any size keep all their bytes through growth and removal. */
static void test_entry_bytes(void **state)
{
	struct big {
		uint32_t key;
		unsigned char fill[37];
	} *b;
	struct hashtab h;

	assert_int_equal(hashtab__init(&h, sizeof(struct big), 2), 0);
	assert_int_equal(h.stride % 8, 0);
	for (uint32_t k = 1; k <= 3000; k++) {
		b = hashtab__add(&h, hashtab__hash_u64(k));
		assert_non_null(b);
		b->key = k;
		memset(b->fill, (int)(k & 0xff), sizeof(b->fill));
	}
	for (uint32_t k = 1; k <= 3000; k += 2) {
		uint64_t key = k;
		size_t pos = 0;

		while ((b = hashtab__next(&h, &pos)) && b->key != key)
			;
		assert_non_null(b);
		hashtab__remove(&h, b);
	}
	for (uint32_t k = 2; k <= 3000; k += 2) {
		size_t pos = 0;

		while ((b = hashtab__next(&h, &pos)) && b->key != k)
			;
		assert_non_null(b);
		for (size_t i = 0; i < sizeof(b->fill); i++)
			assert_int_equal(b->fill[i], k & 0xff);
	}
	assert_int_equal(hashtab__count(&h), 1500);
	hashtab__free(&h);
}

static void test_hashes(void **state)
{
	/* distinct integers, distinct hashes (the mix is a bijection); neighbours spread */
	{
		unsigned int homes[16] = { 0 }, used = 0;

		for (uint64_t x = 0; x < 1000; x++)
			assert_int_not_equal(hashtab__hash_u64(x), hashtab__hash_u64(x + 1));
		for (uint64_t x = 0; x < 256; x++)
			homes[hashtab__hash_u64(x) >> 60]++;
		for (int i = 0; i < 16; i++)
			used += homes[i] > 0;
		assert_true(used >= 14);
	}
	assert_int_equal(hashtab__hash_bytes("abc", 3), hashtab__hash_bytes("abcd", 3));
	assert_int_not_equal(hashtab__hash_bytes("abc", 3), hashtab__hash_bytes("abd", 3));
	assert_int_not_equal(hashtab__hash_bytes("", 0), hashtab__hash_bytes("\0", 1));
	/* strings that differ in their last byte differ in the top bits that pick the slot */
	{
		unsigned int homes[16] = { 0 }, used = 0;
		char s[8] = "name-?";

		for (int c = 0; c < 256; c++) {
			s[5] = (char)c;
			homes[hashtab__hash_bytes(s, 6) >> 60]++;
		}
		for (int i = 0; i < 16; i++)
			used += homes[i] > 0;
		assert_true(used >= 14);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_add_find),
		cmocka_unit_test(test_same_hash),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_grow_and_shrink),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_churn_clustered),
		cmocka_unit_test(test_string_keys),
		cmocka_unit_test(test_entry_bytes),
		cmocka_unit_test(test_hashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
