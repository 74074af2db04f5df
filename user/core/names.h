/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Span names read from arguments, interned: a name is stored once however
 * many spans carry it, and the span tree holds a 32-bit id. Ids start at 1
 * (0 is "no name"). Pure.
 *
 * Memory is bounded whatever the names: each intern holds a reference,
 * which the span's writer (or the span tree, for a BEGIN that made no span)
 * puts back once the span is written. A name nobody holds is kept for reuse,
 * the NAMES_KEEP_UNUSED most recently used of them, and then let go; its
 * id may then name another string. At most NAMES_MAX_HELD names are held at
 * once (in spans open or waiting in the reorder window): beyond that, intern
 * gives 0 and the span keeps its function's name (the decoder counts it).
 */
#ifndef SPANTRACE_NAMES_H
#define SPANTRACE_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define NAMES_KEEP_UNUSED 4096
#define NAMES_MAX_HELD 65536

struct names;

struct names *names__new(void);
void names__free(struct names *n);
/*
 * The id of s[0..len) (need not be terminated; stops at a NUL), with a
 * reference held on it; 0 when NAMES_MAX_HELD names are held or out of memory.
 */
uint32_t names__intern(struct names *n, const char *s, size_t len);
/* Puts back a reference names__intern gave (id 0: nothing). */
void names__put(struct names *n, uint32_t id);
/* The name of id while a reference is held on it; NULL for 0 or an id not in use. */
const char *names__get(const struct names *n, uint32_t id);
/* Names stored: held, and kept for reuse. */
size_t names__count(const struct names *n);
/* Names held now (interned and not yet put back). */
size_t names__held(const struct names *n);

#endif
