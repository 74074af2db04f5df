// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Streaming JSON writer, see json.h.
 *
 * Misuse (a value where a key is due, an unbalanced end, nesting deeper than
 * JW_MAX_DEPTH) sets w->error and freezes the writer: nothing more is written,
 * so the stream holds a truncated but never a mis-nested document.
 *
 * Top-level values are not separated: a caller writing several documents to
 * one stream (JSON lines) puts jw__newline() between them.
 */
#include <string.h>

#include "json.h"

/*
 * A writer owns its stream and is driven from one thread, and this path runs
 * for every byte of millions of events: the stdio lock per call buys nothing.
 */
static inline bool stream__putc(FILE *f, char c)
{
	return putc_unlocked(c, f) != EOF;
}

static inline bool stream__write(FILE *f, const void *p, size_t n)
{
	return !n || fwrite_unlocked(p, 1, n, f) == n;
}

/*
 * Length of the well-formed UTF-8 sequence starting at p (Unicode table 3-7),
 * or 0 if p[0] cannot start one. Restricting the second byte's range is what
 * rejects overlong forms (E0, F0), surrogates (ED) and code points above
 * U+10FFFF (F4); C0, C1 and F5-FF never start a sequence.
 */
static size_t utf8__seq_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;

	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static bool json__escape_byte(FILE *f, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

	switch (c) {
	case '"':
		return stream__write(f, "\\\"", 2);
	case '\\':
		return stream__write(f, "\\\\", 2);
	case '\b':
		return stream__write(f, "\\b", 2);
	case '\f':
		return stream__write(f, "\\f", 2);
	case '\n':
		return stream__write(f, "\\n", 2);
	case '\r':
		return stream__write(f, "\\r", 2);
	case '\t':
		return stream__write(f, "\\t", 2);
	}
	if (c < 0x20)
		return stream__write(f, u, sizeof(u));
	/* a byte that is not part of valid UTF-8 */
	return stream__write(f, "\xef\xbf\xbd", 3); /* U+FFFD */
}

int json__escape(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;
	bool ok = true;

	/* Bytes that pass through unchanged accumulate into one fwrite. */
	while (p < end) {
		unsigned char c = *p;
		size_t n;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			p++;
			continue;
		}
		if (c >= 0x80) {
			n = utf8__seq_len(p, end - p);
			if (n) {
				p += n;
				continue;
			}
		}
		ok &= stream__write(f, run, p - run);
		ok &= json__escape_byte(f, c);
		run = ++p;
	}
	ok &= stream__write(f, run, p - run);
	return ok ? 0 : -1;
}

void jw__init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

static void jw__fail(struct jw *w)
{
	w->error = true;
}

/* An I/O error freezes the writer too: nothing useful follows a lost byte. */
static void jw__putc(struct jw *w, char c)
{
	if (!stream__putc(w->f, c))
		jw__fail(w);
}

static void jw__write(struct jw *w, const char *s, size_t len)
{
	if (!stream__write(w->f, s, len))
		jw__fail(w);
}

/*
 * Checks that a key (or a value) is allowed here and writes what goes before
 * it. Returns false, having written nothing, if the writer is or gets frozen.
 */
static bool jw__elem(struct jw *w, bool is_key)
{
	int d = w->depth - 1;
	bool want_key = d >= 0 && w->is_obj[d] && !w->after_key;

	if (w->error)
		return false;
	if (is_key != want_key) {
		jw__fail(w);
		return false;
	}
	if (d < 0)
		return true;
	if (w->after_key) { /* the key already wrote the comma */
		w->after_key = false;
		return true;
	}
	if (!w->first[d])
		jw__putc(w, ',');
	w->first[d] = false;
	if (w->newline) {
		jw__putc(w, '\n');
		w->newline = false;
	}
	return !w->error;
}

static void jw__begin(struct jw *w, bool obj)
{
	/* checked before jw__elem() so that a refused container leaves no comma behind */
	if (!w->error && w->depth >= JW_MAX_DEPTH)
		jw__fail(w);
	if (!jw__elem(w, false))
		return;
	jw__putc(w, obj ? '{' : '[');
	w->first[w->depth] = true;
	w->is_obj[w->depth] = obj;
	w->depth++;
}

static void jw__end(struct jw *w, bool obj)
{
	if (w->error)
		return;
	if (w->depth == 0 || w->is_obj[w->depth - 1] != obj || w->after_key) {
		jw__fail(w);
		return;
	}
	if (w->newline) {
		jw__putc(w, '\n');
		w->newline = false;
	}
	jw__putc(w, obj ? '}' : ']');
	w->depth--;
}

void jw__obj_begin(struct jw *w)
{
	jw__begin(w, true);
}

void jw__obj_end(struct jw *w)
{
	jw__end(w, true);
}

void jw__arr_begin(struct jw *w)
{
	jw__begin(w, false);
}

void jw__arr_end(struct jw *w)
{
	jw__end(w, false);
}

static void jw__quoted(struct jw *w, const char *s, size_t len)
{
	jw__putc(w, '"');
	if (json__escape(w->f, s, len))
		jw__fail(w);
	jw__putc(w, '"');
}

void jw__key(struct jw *w, const char *key)
{
	if (!key) {
		jw__fail(w);
		return;
	}
	if (!jw__elem(w, true))
		return;
	jw__quoted(w, key, strlen(key));
	jw__putc(w, ':');
	w->after_key = true;
}

void jw__strn(struct jw *w, const char *s, size_t len)
{
	if (jw__elem(w, false))
		jw__quoted(w, s, len);
}

void jw__str(struct jw *w, const char *s)
{
	if (!s)
		jw__null(w);
	else
		jw__strn(w, s, strlen(s));
}

static void jw__raw(struct jw *w, const char *s, size_t len)
{
	if (jw__elem(w, false))
		jw__write(w, s, len);
}

/* Writes the decimal digits of v backwards, ending just before end; returns the first. */
static char *u64__digits(char *end, uint64_t v)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

void jw__u64(struct jw *w, uint64_t v)
{
	char buf[20], *end = buf + sizeof(buf);
	char *p = u64__digits(end, v);

	jw__raw(w, p, end - p);
}

void jw__i64(struct jw *w, int64_t v)
{
	/* negating in uint64_t keeps INT64_MIN defined */
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char buf[21], *end = buf + sizeof(buf);
	char *p = u64__digits(end, mag);

	if (v < 0)
		*--p = '-';
	jw__raw(w, p, end - p);
}

void jw__ns_as_us(struct jw *w, uint64_t ns)
{
	/* integer arithmetic: a double loses nanoseconds beyond ~104 days of uptime */
	char buf[24], *end = buf + sizeof(buf), *p = end;
	unsigned int frac = ns % 1000;

	*--p = '0' + frac % 10;
	*--p = '0' + frac / 10 % 10;
	*--p = '0' + frac / 100;
	*--p = '.';
	p = u64__digits(p, ns / 1000);
	jw__raw(w, p, end - p);
}

void jw__bool(struct jw *w, bool v)
{
	if (v)
		jw__raw(w, "true", 4);
	else
		jw__raw(w, "false", 5);
}

void jw__null(struct jw *w)
{
	jw__raw(w, "null", 4);
}

void jw__newline(struct jw *w)
{
	if (w->error)
		return;
	if (w->depth == 0)
		jw__putc(w, '\n');
	else
		w->newline = true;
}

bool jw__error(const struct jw *w)
{
	return w->error || ferror(w->f);
}
