/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A strict JSON validator (RFC 8259) for the record-decoder harness: the
 * Chrome trace must parse whatever the records held. Strings must be valid
 * UTF-8 (Unicode table 3-7: no overlong forms, no surrogates), as a strict
 * reader such as Python's json module requires of a UTF-8 document.
 */
#ifndef SPANTRACE_JSON_CHECK_H
#define SPANTRACE_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

struct json_check {
	const unsigned char *p, *end;
	int depth;
};

#define JSON_CHECK_MAX_DEPTH 64

static void json_check__ws(struct json_check *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool json_check__lit(struct json_check *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n))
		return false;
	c->p += n;
	return true;
}

static bool json_check__digits(struct json_check *c)
{
	const unsigned char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start;
}

static bool json_check__number(struct json_check *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!(c->p < c->end && *c->p >= '1' && *c->p <= '9') || !json_check__digits(c))
		return false;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!json_check__digits(c))
			return false;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!json_check__digits(c))
			return false;
	}
	return true;
}

/* Length of the well-formed UTF-8 sequence at p (a lead byte >= 0x80), 0 if none. */
static size_t json_check__utf8(const unsigned char *p, size_t avail)
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
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static bool json_check__string(struct json_check *c)
{
	if (c->p >= c->end || *c->p != '"')
		return false;
	c->p++;
	while (c->p < c->end) {
		unsigned char b = *c->p;
		size_t n;
		int i;

		if (b == '"') {
			c->p++;
			return true;
		}
		if (b < 0x20)
			return false;
		if (b == '\\') {
			if (c->end - c->p < 2)
				return false;
			b = c->p[1];
			c->p += 2;
			if (b == 'u') {
				if (c->end - c->p < 4)
					return false;
				for (i = 0; i < 4; i++, c->p++)
					if (!((*c->p >= '0' && *c->p <= '9') ||
					      (*c->p >= 'a' && *c->p <= 'f') ||
					      (*c->p >= 'A' && *c->p <= 'F')))
						return false;
			} else if (!strchr("\"\\/bfnrt", b) || !b) {
				return false;
			}
			continue;
		}
		if (b < 0x80) {
			c->p++;
			continue;
		}
		n = json_check__utf8(c->p, (size_t)(c->end - c->p));
		if (!n)
			return false;
		c->p += n;
	}
	return false;
}

static bool json_check__value(struct json_check *c);

/* An object or an array: open is '{' or '['. */
static bool json_check__container(struct json_check *c, bool obj)
{
	char close = obj ? '}' : ']';

	if (++c->depth > JSON_CHECK_MAX_DEPTH)
		return false;
	c->p++;
	json_check__ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return true;
	}
	for (;;) {
		if (obj) {
			if (!json_check__string(c))
				return false;
			json_check__ws(c);
			if (c->p >= c->end || *c->p != ':')
				return false;
			c->p++;
		}
		if (!json_check__value(c))
			return false;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			json_check__ws(c);
			continue;
		}
		if (c->p < c->end && *c->p == close) {
			c->p++;
			c->depth--;
			return true;
		}
		return false;
	}
}

/* A value with the blanks around it. */
static bool json_check__value(struct json_check *c)
{
	bool ok;

	json_check__ws(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{':
		ok = json_check__container(c, true);
		break;
	case '[':
		ok = json_check__container(c, false);
		break;
	case '"':
		ok = json_check__string(c);
		break;
	case 't':
		ok = json_check__lit(c, "true");
		break;
	case 'f':
		ok = json_check__lit(c, "false");
		break;
	case 'n':
		ok = json_check__lit(c, "null");
		break;
	default:
		ok = json_check__number(c);
	}
	json_check__ws(c);
	return ok;
}

/* Whether s[0..len) is exactly one JSON value. */
static inline bool json_check(const char *s, size_t len)
{
	struct json_check c = { (const unsigned char *)s, (const unsigned char *)s + len, 0 };

	return json_check__value(&c) && c.p == c.end;
}

#endif
