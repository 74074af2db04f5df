/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Streaming JSON writer. It owns commas, nesting and escaping, so no caller
 * ever prints JSON punctuation by hand. Errors are sticky: check jw__error()
 * once at the end (it also reports ferror() on the stream).
 */
#ifndef SPANTRACE_JSON_H
#define SPANTRACE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *f;
	int depth;
	bool first[JW_MAX_DEPTH];  /* no element written yet at this level */
	bool is_obj[JW_MAX_DEPTH]; /* level is an object (needs keys), else an array */
	bool after_key;		   /* a key was written, its value comes next */
	bool newline;		   /* jw__newline() pending, goes after the next comma */
	bool error;		   /* misuse (unbalanced, too deep) or I/O error */
};

void jw__init(struct jw *w, FILE *f);
void jw__obj_begin(struct jw *w);
void jw__obj_end(struct jw *w);
void jw__arr_begin(struct jw *w);
void jw__arr_end(struct jw *w);
void jw__key(struct jw *w, const char *key);
void jw__str(struct jw *w, const char *s); /* NULL writes null */
void jw__strn(struct jw *w, const char *s, size_t len);
void jw__u64(struct jw *w, uint64_t v);
void jw__i64(struct jw *w, int64_t v);
void jw__bool(struct jw *w, bool v);
void jw__null(struct jw *w);
/* A nanosecond count written as microseconds with three decimals: 1234567 -> 1234.567 */
void jw__ns_as_us(struct jw *w, uint64_t ns);
/*
 * Line break for readability, no semantics: inside a container it is written
 * before the next element or closing bracket (after the comma), so a trailing
 * comma never ends a line; at top level it is written at once.
 */
void jw__newline(struct jw *w);
/* true if anything went wrong so far, including ferror(f). */
bool jw__error(const struct jw *w);

/*
 * Writes s[0..len) as the inside of a JSON string (no quotes): '"' and '\\'
 * escaped, control characters as \n \t ... or \u00XX, invalid UTF-8 bytes
 * each replaced by U+FFFD. Returns 0 or -1 on I/O error.
 */
int json__escape(FILE *f, const char *s, size_t len);

#endif
