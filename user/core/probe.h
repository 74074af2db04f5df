/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A traced function: what it is (a span of its own, or one end of a --span
 * pair), where it is, and how its spans are named. The symbols room makes
 * the table (user/symbols/resolve.c); the core decodes records by its index.
 */
#ifndef SPANTRACE_PROBE_H
#define SPANTRACE_PROBE_H

#include <stddef.h>
#include <stdint.h>

struct spec;

enum spec_role {
	SPEC_FUNC = 0,	/* entry and return make a span */
	SPEC_BEGIN = 1, /* a call opens a span of its pair */
	SPEC_END = 2,	/* a call closes the innermost open span of its pair */
	SPEC_EXCLUDE = 3, /* -x: matches no probe; removes what the others matched */
};

struct probe {
	char *name;   /* display name: demangled when C++ */
	char *func;   /* symbol */
	char *object; /* the object's path, " (deleted)" if it was deleted */
	char *open_path;
	uint64_t addr;
	uint64_t offset;
	uint64_t size;	       /* bytes of code, 0 if the symbol does not say */
	/*
	 * The function's cold part, which the compiler moved out of line
	 * (gcc's "f.cold", clang's "f.cold.1"): jumps into it are not exits,
	 * and its RETs are the function's. All 0 if it has none.
	 */
	uint64_t cold_addr, cold_offset, cold_size;
	const struct spec *spec; /* the first SPEC that matched it */
	int role;	       /* enum spec_role */
	unsigned int pair;     /* SPEC_BEGIN/SPEC_END */
	int name_arg;	       /* -1: named after the function */
};

struct probe_table {
	struct probe *v;
	size_t n;
};

/* Frees one probe's strings. */
void probe__free(struct probe *p);
/* Frees every probe's strings and the table; t is empty afterwards. */
void probe_table__free(struct probe_table *t);

#endif
