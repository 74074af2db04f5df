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
#include <string.h>

#define JW_MAX_DEPTH 32
#define JW_BUF_SIZE 4096

struct jw {
	FILE *f;
	int depth;
	bool first[JW_MAX_DEPTH];  /* no element written yet at this level */
	bool is_obj[JW_MAX_DEPTH]; /* level is an object (needs keys), else an array */
	bool after_key;		   /* a key was written, its value comes next */
	bool newline;		   /* jw__newline() pending, goes after the next comma */
	bool error;		   /* misuse (unbalanced, too deep) or I/O error */
	bool muted;		   /* output is dropped instead of written (a trace cut at its size) */
	unsigned int hold;	   /* jw__hold() depth: output stays in buf */
	uint64_t written;	   /* bytes handed to f so far */
	size_t len;		   /* bytes in buf not yet given to f */
	char buf[JW_BUF_SIZE];
};

void jw__init(struct jw *w, FILE *f);
void jw__obj_begin(struct jw *w);
void jw__obj_end(struct jw *w);
void jw__arr_begin(struct jw *w);
void jw__arr_end(struct jw *w);
void jw__keyn(struct jw *w, const char *key, size_t len); /* key NULL: misuse */
void jw__strn(struct jw *w, const char *s, size_t len);
void jw__u64(struct jw *w, uint64_t v);
void jw__i64(struct jw *w, int64_t v);
void jw__bool(struct jw *w, bool v);
void jw__null(struct jw *w);
/* A nanosecond count written as microseconds with three decimals: 1234567 -> 1234.567 */
void jw__ns_as_us(struct jw *w, uint64_t ns);
/*
 * A microsecond count that is not a whole number of nanoseconds (see
 * chrome.c): the fewest decimals, three at least, that a reader parses back
 * to exactly this double.
 */
void jw__us(struct jw *w, double us);
/*
 * Line break for readability, no semantics: inside a container it is written
 * before the next element or closing bracket (after the comma), so a trailing
 * comma never ends a line; at top level it is written at once.
 */
void jw__newline(struct jw *w);
/* true if anything went wrong so far, including ferror(f). */
bool jw__error(const struct jw *w);
/*
 * Each call's output reaches f before it returns, in one write. Between
 * jw__hold() and the matching jw__release() it is gathered in the writer's
 * buffer instead and handed to f a buffer at a time (and at the release):
 * for a writer of many small values into an already buffered stream, where
 * a stdio call per value is most of the cost. Calls nest. A held writer's I/O
 * errors show in jw__error() after the release.
 */
void jw__hold(struct jw *w);
void jw__release(struct jw *w);

/*
 * Where the writer stands, to take back what follows (jw__rollback): the
 * bytes still in its buffer and the state of commas and nesting.
 */
struct jw_mark {
	size_t len;
	uint64_t written;
	int depth;
	bool first, after_key, newline;
};

void jw__mark(const struct jw *w, struct jw_mark *m);
/*
 * Forgets everything written since m, as if it never was: returns false (and
 * does nothing) if some of it already reached f, which a held writer does
 * only for more than JW_BUF_SIZE bytes. A muted writer always takes back.
 */
bool jw__rollback(struct jw *w, const struct jw_mark *m);

/* Inline so that a literal's length is known when compiling. */
static inline void jw__key(struct jw *w, const char *key)
{
	jw__keyn(w, key, key ? strlen(key) : 0);
}

/* NULL writes null. */
static inline void jw__str(struct jw *w, const char *s)
{
	if (!s)
		jw__null(w);
	else
		jw__strn(w, s, strlen(s));
}

/*
 * Writes s[0..len) as the inside of a JSON string (no quotes): '"' and '\\'
 * escaped, control characters as \n \t ... or \u00XX, invalid UTF-8 bytes
 * each replaced by U+FFFD. Returns 0 or -1 on I/O error.
 */
int json__escape(FILE *f, const char *s, size_t len);

#endif
