// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel function symbols from kallsyms text, see ksyms.h.
 *
 * The file is read whole and parsed in place: each kept name is moved down
 * to the front of the same buffer, which then shrinks to the names alone.
 * That is one allocation for ~120k names instead of one per name, and no
 * copy of the data symbols or of the addresses' text.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "errbuf.h"
#include "ksyms.h"

struct ksym {
	uint64_t addr;
	uint32_t name; /* offset into names; names are stored in file order */
	bool global;   /* T or W */
};

struct ksyms {
	struct ksym *v; /* by addr, then global first, then file order */
	size_t n;
	char *names;
};

static int hex__digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parses one line, "ffffffff81000000 T _stext" or "... t name\t[module]",
 * p to end (excluding the newline). The name stops at the first blank, which
 * drops the module, or NUL (the name is kept as a C string). False if the
 * line is not in that form.
 */
static bool kallsyms__parse_line(const char *p, const char *end, uint64_t *addr, char *type,
				 const char **name, size_t *nlen)
{
	const char *start = p;
	uint64_t a = 0;
	int d;

	while (p < end && (d = hex__digit(*p)) >= 0) {
		if (p - start == 16)
			return false; /* wider than 64 bits */
		a = a << 4 | d;
		p++;
	}
	if (p == start || end - p < 4 || p[0] != ' ' || p[2] != ' ')
		return false;
	*addr = a;
	*type = p[1];
	p += 3;
	*name = p;
	while (p < end && *p != '\t' && *p != ' ' && *p != '\r' && *p != '\0')
		p++;
	*nlen = p - *name;
	return *nlen > 0;
}

/* Functions: kallsyms has no sizes or STT types, only nm's letters. */
static bool ksym__is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

static int ksym__cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->global != y->global)
		return x->global ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* Counts what the error messages need to tell the cases apart. */
struct kallsyms_counts {
	size_t lines;	/* lines in kallsyms form, any type */
	size_t nonzero; /* of those, with an address other than 0 */
};

/* Parses buf[0..len) and moves the kept names to its front. Returns 0 or -ENOMEM. */
static int ksyms__parse(struct ksyms *k, char *buf, size_t len, struct kallsyms_counts *c)
{
	const char *p = buf, *end = buf + len, *eol, *name;
	size_t cap = 0, w = 0, nlen;
	struct ksym *bigger;
	uint64_t addr;
	char type;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		if (!kallsyms__parse_line(p, eol, &addr, &type, &name, &nlen))
			continue;
		c->lines++;
		if (!addr)
			continue;
		c->nonzero++;
		if (!ksym__is_text(type))
			continue;
		if (k->n == cap) {
			cap = cap ? cap * 2 : 4096;
			bigger = realloc(k->v, cap * sizeof(*k->v));
			if (!bigger)
				return -ENOMEM;
			k->v = bigger;
		}
		/*
		 * Safe in place: every line is at least 4 bytes longer than its
		 * name ("0 t "), and keeps only the name and a NUL, so w never
		 * reaches the bytes still to be parsed.
		 */
		memmove(buf + w, name, nlen);
		buf[w + nlen] = '\0';
		k->v[k->n++] = (struct ksym){
			.addr = addr,
			.name = (uint32_t)w,
			.global = type == 'T' || type == 'W',
		};
		w += nlen + 1;
	}
	if (k->n) {
		/* both only shrink, so a failure leaves the larger block in place */
		k->names = realloc(buf, w);
		if (!k->names)
			k->names = buf;
		bigger = realloc(k->v, k->n * sizeof(*k->v));
		if (bigger)
			k->v = bigger;
	}
	return 0;
}


struct ksyms *ksyms__from_text(char *buf, size_t len, char *err, size_t errlen)
{
	struct kallsyms_counts c = { 0 };
	struct ksyms *k;

	/* names are addressed by 32-bit offsets into what is left of the file */
	if (len > UINT32_MAX) {
		errbuf__set(err, errlen, "file too large (%zu bytes)", len);
		free(buf);
		return NULL;
	}

	k = calloc(1, sizeof(*k));
	if (!k || ksyms__parse(k, buf, len, &c)) {
		errbuf__set(err, errlen, "out of memory");
		goto fail;
	}
	if (!c.lines) {
		errbuf__set(err, errlen, "no symbols");
		goto fail;
	}
	if (!c.nonzero) {
		errbuf__set(err, errlen,
			    "kernel addresses are hidden (kernel.kptr_restrict); run as root");
		goto fail;
	}
	if (!k->n) {
		errbuf__set(err, errlen, "no function symbols");
		goto fail;
	}
	qsort(k->v, k->n, sizeof(*k->v), ksym__cmp);
	return k;

fail:
	if (!k || !k->names)
		free(buf);
	ksyms__free(k);
	return NULL;
}

const char *ksyms__lookup(const struct ksyms *k, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi, mid;
	uint64_t start;

	if (!k)
		return NULL;
	/* lo ends on the first symbol that starts above addr */
	hi = k->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	start = k->v[lo - 1].addr;

	/* the first of the symbols at start is the preferred one */
	hi = lo - 1;
	lo = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k->v[mid].addr < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (off)
		*off = addr - start;
	return k->names + k->v[lo].name;
}

int ksyms__format(const struct ksyms *k, uint64_t addr, char *buf, size_t len)
{
	uint64_t off;
	const char *name = ksyms__lookup(k, addr, &off);

	if (!name)
		return snprintf(buf, len, "0x%" PRIx64, addr);
	return snprintf(buf, len, "%s+0x%" PRIx64, name, off);
}

/*
 * A linear scan: the loader asks a few names at startup, and one call over
 * the 122,079 text symbols of /proc/kallsyms on the 6.18 test machine takes
 * 0.2 ms. Sorting a second index by name would cost more than that at every
 * load (the address sort alone takes 5 ms there).
 */
uint64_t ksyms__addr(const struct ksyms *k, const char *name)
{
	const struct ksym *best = NULL, *e;
	size_t i;

	if (!k || !name)
		return 0;
	for (i = 0; i < k->n; i++) {
		e = &k->v[i];
		if (k->names[e->name] != name[0] || strcmp(k->names + e->name, name))
			continue;
		if (!best || (e->global && !best->global) ||
		    (e->global == best->global && e->name < best->name))
			best = e;
	}
	return best ? best->addr : 0;
}

void ksyms__free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->v);
	free(k->names);
	free(k);
}
