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
#include <stdlib.h>
#include <string.h>

#include "json.h"

/*
 * A writer owns its stream and is driven from one thread, and this path runs
 * for every byte of millions of events: the stdio lock per call buys nothing.
 */
static inline bool stream__write(FILE *f, const void *p, size_t n)
{
	return !n || fwrite_unlocked(p, 1, n, f) == n;
}

/*
 * Bytes by what escaping does with them: 0 passes through, 1 is escaped ('"',
 * '\\', control characters), 2 starts a UTF-8 sequence to validate.
 */
static const unsigned char json__class[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 2,
};

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

/* The escape of byte c (class 1, or an invalid UTF-8 byte) into out; returns its length. */
static size_t json__escape_byte(unsigned char c, char *out)
{
	static const char hex[] = "0123456789abcdef";
	static const char short_esc[0x20] = { ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
					      ['\r'] = 'r', ['\t'] = 't' };

	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c < 0x20 && short_esc[c]) {
		out[0] = '\\';
		out[1] = short_esc[c];
		return 2;
	}
	if (c < 0x20) {
		memcpy(out, "\\u00", 4);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 0xf];
		return 6;
	}
	/* a byte that is not part of valid UTF-8 */
	memcpy(out, "\xef\xbf\xbd", 3); /* U+FFFD */
	return 3;
}

/* --- output: the writer's buffer, then the stream ----------------------------- */

/* An I/O error freezes the writer too: nothing useful follows a lost byte. */
static void jw__flush(struct jw *w)
{
	if (w->muted)
		w->len = 0;
	if (w->len && !stream__write(w->f, w->buf, w->len))
		w->error = true;
	else
		w->written += w->len;
	w->len = 0;
}

/* The end of every public call: unless held, what it wrote goes out now. */
static inline void jw__done(struct jw *w)
{
	if (!w->hold && w->len)
		jw__flush(w);
}

/* Room for n (<= JW_BUF_SIZE) more bytes at w->buf + w->len. */
static inline char *jw__room(struct jw *w, size_t n)
{
	if (JW_BUF_SIZE - w->len < n)
		jw__flush(w);
	return w->buf + w->len;
}

static inline void jw__putc(struct jw *w, char c)
{
	*jw__room(w, 1) = c;
	w->len++;
}

static void jw__write(struct jw *w, const void *s, size_t len)
{
	if (len <= JW_BUF_SIZE - w->len) {
		memcpy(w->buf + w->len, s, len);
		w->len += len;
		return;
	}
	jw__flush(w);
	if (len < JW_BUF_SIZE) {
		memcpy(w->buf, s, len);
		w->len = len;
	} else if (w->muted) {
		return;
	} else if (!stream__write(w->f, s, len)) {
		w->error = true;
	} else {
		w->written += len;
	}
}

/* s[0..len) escaped, into the buffer. Bytes that pass through go in runs. */
static void jw__escaped_slow(struct jw *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;
	char esc[6];

	while (p < end) {
		unsigned char k = json__class[*p];
		size_t n;

		if (!k) {
			p++;
			continue;
		}
		if (k == 2) {
			n = utf8__seq_len(p, (size_t)(end - p));
			if (n) {
				p += n;
				continue;
			}
		}
		jw__write(w, run, (size_t)(p - run));
		jw__write(w, esc, json__escape_byte(*p, esc));
		run = ++p;
	}
	jw__write(w, run, (size_t)(p - run));
}

int json__escape(FILE *f, const char *s, size_t len)
{
	/* a writer of its own, for its buffer; not on a hot path */
	struct jw w;

	jw__init(&w, f);
	jw__escaped_slow(&w, s, len);
	jw__flush(&w);
	return w.error ? -1 : 0;
}

void jw__init(struct jw *w, FILE *f)
{
	memset(w, 0, offsetof(struct jw, buf));
	w->f = f;
}

void jw__hold(struct jw *w)
{
	w->hold++;
}

void jw__release(struct jw *w)
{
	if (w->hold && !--w->hold)
		jw__flush(w);
}

void jw__mark(const struct jw *w, struct jw_mark *m)
{
	*m = (struct jw_mark){ .len = w->len, .written = w->written, .depth = w->depth,
			       .first = w->first[w->depth], .after_key = w->after_key,
			       .newline = w->newline };
}

bool jw__rollback(struct jw *w, const struct jw_mark *m)
{
	/* muted, nothing reaches f: only the state matters */
	if (!w->muted && (w->written != m->written || w->len < m->len))
		return false;
	w->len = w->len < m->len ? w->len : m->len;
	w->depth = m->depth;
	w->first[w->depth] = m->first;
	w->after_key = m->after_key;
	w->newline = m->newline;
	return true;
}

static void jw__fail(struct jw *w)
{
	w->error = true;
}

/*
 * Checks that a key (or a value) is allowed here and writes what goes before
 * it. Returns false, having written nothing, if the writer is or gets frozen.
 */
static inline bool jw__elem(struct jw *w, bool is_key)
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
	jw__done(w);
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
	jw__done(w);
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

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/*
 * Whether any of the 8 bytes in x is one escaping would touch: below 0x20,
 * '"', '\\', or 0x80 and above. Each test is exact for "any byte": a byte
 * below 0x80 that borrows sets no high bit that a lower byte did not.
 */
static inline bool word__special(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
	uint64_t any = x | ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b);

	return (any & HIGHS) != 0;
}

/*
 * s[0..len) between quotes. Most strings (symbols, paths, keys) need no
 * escaping: they are checked and copied 8 bytes at a time straight into the
 * buffer, the tail as one more (overlapping) word, and a string of 4 to 7
 * bytes as two overlapping halves; the first byte that needs more goes to the
 * general loop.
 */
static void jw__quoted(struct jw *w, const char *s, size_t len)
{
	char *o;
	size_t i = 0;

	if (len + 2 > JW_BUF_SIZE - w->len) {
		jw__flush(w);
		if (len + 2 > JW_BUF_SIZE) {
			jw__putc(w, '"');
			jw__escaped_slow(w, s, len);
			jw__putc(w, '"');
			return;
		}
	}
	o = w->buf + w->len;
	*o++ = '"';
	if (len >= 8) {
		uint64_t x;

		for (; i + 8 <= len; i += 8) {
			memcpy(&x, s + i, 8);
			if (word__special(x))
				break;
			memcpy(o + i, &x, 8);
		}
		if (i + 8 > len && i < len) {
			memcpy(&x, s + len - 8, 8);
			if (!word__special(x)) {
				memcpy(o + len - 8, &x, 8);
				i = len;
			}
		}
	} else if (len >= 4) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + len - 4, 4);
		if (!word__special(a | (uint64_t)b << 32)) {
			memcpy(o, &a, 4);
			memcpy(o + len - 4, &b, 4);
			i = len;
		}
	}
	for (; i < len && !json__class[(unsigned char)s[i]]; i++)
		o[i] = s[i];
	if (i == len) {
		o[len] = '"';
		w->len += len + 2;
		return;
	}
	w->len += 1 + i;
	jw__escaped_slow(w, s + i, len - i);
	jw__putc(w, '"');
}

void jw__keyn(struct jw *w, const char *key, size_t len)
{
	if (!key) {
		jw__fail(w);
		return;
	}
	if (!jw__elem(w, true))
		return;
	jw__quoted(w, key, len);
	jw__putc(w, ':');
	w->after_key = true;
	jw__done(w);
}

void jw__strn(struct jw *w, const char *s, size_t len)
{
	if (!jw__elem(w, false))
		return;
	jw__quoted(w, s, len);
	jw__done(w);
}

static void jw__raw(struct jw *w, const char *s, size_t len)
{
	if (!jw__elem(w, false))
		return;
	jw__write(w, s, len);
	jw__done(w);
}

/* "00" "01" ... "99": two digits per division. */
static const char digits2[200] = "00010203040506070809101112131415161718192021222324252627282930"
				 "31323334353637383940414243444546474849505152535455565758596061"
				 "62636465666768697071727374757677787980818283848586878889909192"
				 "93949596979899";

/* Writes the decimal digits of v backwards, ending just before end; returns the first. */
static char *u64__digits(char *end, uint64_t v)
{
	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		end -= 2;
		memcpy(end, &digits2[2 * r], 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, &digits2[2 * v], 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

/* Decimal digits of v. */
static inline size_t u64__ndigits(uint64_t v)
{
	static const uint64_t pow10[] = {
		10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull, 10000000000000000000ull,
	};
	size_t n = 1;

	while (n < 20 && v >= pow10[n - 1])
		n++;
	return n;
}

/* A number of at most 24 bytes, written in place: no intermediate copy. */
#define JW_NUM_MAX 24

void jw__u64(struct jw *w, uint64_t v)
{
	size_t n = u64__ndigits(v);
	char *o;

	if (!jw__elem(w, false))
		return;
	o = jw__room(w, JW_NUM_MAX);
	u64__digits(o + n, v);
	w->len += n;
	jw__done(w);
}

void jw__i64(struct jw *w, int64_t v)
{
	/* negating in uint64_t keeps INT64_MIN defined */
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char buf[21], *end = buf + sizeof(buf);
	char *p = u64__digits(end, mag);

	if (v < 0)
		*--p = '-';
	jw__raw(w, p, (size_t)(end - p));
}

void jw__ns_as_us(struct jw *w, uint64_t ns)
{
	/* integer arithmetic: a double loses nanoseconds beyond ~104 days of uptime */
	uint64_t us = ns / 1000;
	unsigned int frac = (unsigned int)(ns % 1000);
	size_t n = u64__ndigits(us);
	char *o;

	if (!jw__elem(w, false))
		return;
	o = jw__room(w, JW_NUM_MAX);
	u64__digits(o + n, us);
	o[n] = '.';
	o[n + 1] = (char)('0' + frac / 100);
	memcpy(o + n + 2, &digits2[2 * (frac % 100)], 2);
	w->len += n + 4;
	jw__done(w);
}

void jw__us(struct jw *w, double us)
{
	char buf[64];
	int n = 0;

	/* 17 significant digits always read back the same double; 20 decimals hold them above 1e-3 */
	for (int decimals = 3; decimals <= 20; decimals++) {
		n = snprintf(buf, sizeof(buf), "%.*f", decimals, us);
		if (strtod(buf, NULL) == us)
			break;
	}
	if (n <= 0 || (size_t)n >= sizeof(buf) || strtod(buf, NULL) != us)
		n = snprintf(buf, sizeof(buf), "%.17g", us);
	jw__raw(w, buf, (size_t)n);
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
	if (w->depth == 0) {
		jw__putc(w, '\n');
		jw__done(w);
	} else {
		w->newline = true;
	}
}

bool jw__error(const struct jw *w)
{
	return w->error || ferror(w->f);
}
