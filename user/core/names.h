/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Span names read from arguments, interned: a name is stored once however
 * many spans carry it, and the span tree holds a 32-bit id. Ids start at 1
 * (0 is "no name"). Pure.
 */
#ifndef SPANTRACE_NAMES_H
#define SPANTRACE_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct names;

struct names *names__new(void);
void names__free(struct names *n);
/* The id of s[0..len) (need not be terminated; stops at a NUL), 0 when out of memory. */
uint32_t names__intern(struct names *n, const char *s, size_t len);
/* The name of id, or NULL for 0 or an unknown id. */
const char *names__get(const struct names *n, uint32_t id);
size_t names__count(const struct names *n);

#endif
