// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Interned span names: a string array and an open-addressing index. See names.h. */
#include <stdlib.h>
#include <string.h>

#include "names.h"

struct names {
	char **str;	 /* str[id - 1] */
	uint32_t n, cap;
	uint32_t *index; /* id, 0 = empty */
	uint32_t bits;
};

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static size_t slot(const struct names *n, const char *s, size_t len)
{
	size_t mask = ((size_t)1 << n->bits) - 1, i = (size_t)(hash(s, len) >> (64 - n->bits));

	while (n->index[i]) {
		const char *t = n->str[n->index[i] - 1];

		if (strncmp(t, s, len) == 0 && t[len] == '\0')
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int grow(struct names *n)
{
	uint32_t *old = n->index, bits = n->bits;

	n->index = calloc((size_t)1 << (bits + 1), sizeof(*n->index));
	if (!n->index) {
		n->index = old;
		return -1;
	}
	n->bits = bits + 1;
	for (uint32_t id = 1; id <= n->n; id++) {
		const char *t = n->str[id - 1];

		n->index[slot(n, t, strlen(t))] = id;
	}
	free(old);
	return 0;
}

struct names *names__new(void)
{
	struct names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->bits = 8;
	n->index = calloc((size_t)1 << n->bits, sizeof(*n->index));
	if (!n->index) {
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
	free(n->index);
	free(n);
}

uint32_t names__intern(struct names *n, const char *s, size_t len)
{
	size_t i;
	char *copy;

	len = strnlen(s, len);
	i = slot(n, s, len);
	if (n->index[i])
		return n->index[i];
	if (n->n == n->cap) {
		uint32_t cap = n->cap ? n->cap * 2 : 64;
		char **v = realloc(n->str, (size_t)cap * sizeof(*v));

		if (!v)
			return 0;
		n->str = v;
		n->cap = cap;
	}
	copy = strndup(s, len);
	if (!copy)
		return 0;
	n->str[n->n++] = copy;
	n->index[i] = n->n;
	if (n->n > ((uint32_t)1 << (n->bits - 1)))
		grow(n); /* on failure the index is just fuller */
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
