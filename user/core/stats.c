/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Log-linear histogram and the per-name summary table.
 *
 * Bucket layout: values below 2^HIST_SUB_BITS get one bucket each; above,
 * each power of two [2^e, 2^(e+1)) is split into 2^HIST_SUB_BITS equal
 * buckets by the mantissa bits just below the leading one. A bucket is thus
 * at most 1/64 of its lower bound wide, which bounds the quantile error.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define HIST_SUB (1u << HIST_SUB_BITS)
#define NAME_WIDTH_MIN 24
#define NAME_WIDTH_MAX 60 /* longer names keep their end: a C++ or Rust path is most specific there */

static unsigned int hist__index(uint64_t v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v); /* >= HIST_SUB_BITS */
	return ((e - HIST_SUB_BITS + 1) << HIST_SUB_BITS) |
	       (unsigned int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* Lower bound and width of bucket i. */
static void hist__bucket(unsigned int i, uint64_t *lo, uint64_t *width)
{
	unsigned int g = i >> HIST_SUB_BITS, m = i & (HIST_SUB - 1);

	if (g == 0) {
		*lo = i;
		*width = 1;
		return;
	}
	*lo = (uint64_t)(HIST_SUB + m) << (g - 1);
	*width = (uint64_t)1 << (g - 1);
}

void hist__add(struct hist *h, uint64_t v)
{
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	/* Saturate: a wrapped total would sort a name as the cheapest. */
	h->total = h->total + v < h->total ? UINT64_MAX : h->total + v;
	h->b[hist__index(v)]++;
}

uint64_t hist__quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, lo, width, v;
	unsigned int i;

	if (h->count == 0)
		return 0;
	if (!(q > 0))
		return h->min;
	if (q >= 1)
		return h->max;
	/* Nearest rank: the smallest value with at least q * count values at or below it. */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	if (i == HIST_BUCKETS)
		return h->max; /* counts and buckets disagree: only if a bucket wrapped */
	hist__bucket(i, &lo, &width);
	v = lo + width / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

/* --- per-name table ------------------------------------------------------ */

struct stats_ent {
	char *name;
	uint64_t hash;
	struct hist h;	     /* the calls that returned */
	uint64_t untimed;    /* the others: written, not timed */
	uint64_t probe_ns;   /* what the probes add to each call, 0: not known */
};

struct stats {
	struct stats_ent **slots; /* open addressing, power of two, at most 1/2 full */
	size_t cap, len;
	/* The last entry used: spans of one name tend to come in runs. */
	struct stats_ent *last;
	struct stats_ent **by_id; /* stats__add_id: entries by id, NULL if not seen yet */
	size_t nids;
};

/* Ids above this go by name: the table by id stays small. */
#define STATS_MAX_IDS (1u << 20)

static uint64_t stats__hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

struct stats *stats__new(void)
{
	struct stats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cap = 64;
	s->slots = calloc(s->cap, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return NULL;
	}
	return s;
}

static size_t stats__find(struct stats_ent **slots, size_t cap, uint64_t hash, const char *name)
{
	size_t i = hash & (cap - 1);

	while (slots[i] && (slots[i]->hash != hash || strcmp(slots[i]->name, name)))
		i = (i + 1) & (cap - 1);
	return i;
}

static int stats__grow(struct stats *s)
{
	size_t cap = s->cap * 2, i;
	struct stats_ent **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (i = 0; i < s->cap; i++)
		if (s->slots[i])
			slots[stats__find(slots, cap, s->slots[i]->hash, s->slots[i]->name)] =
				s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

/* The entry of name, created on first sight; NULL when out of memory. */
static struct stats_ent *stats__entry(struct stats *s, const char *name)
{
	struct stats_ent *e = s->last;
	uint64_t hash;
	size_t i;

	if (e && !strcmp(e->name, name))
		return e;
	hash = stats__hash(name);
	i = stats__find(s->slots, s->cap, hash, name);
	e = s->slots[i];
	if (!e) {
		if ((s->len + 1) * 2 > s->cap) {
			if (stats__grow(s))
				return NULL;
			i = stats__find(s->slots, s->cap, hash, name);
		}
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->name = strdup(name);
		if (!e->name) {
			free(e);
			return NULL;
		}
		e->hash = hash;
		s->slots[i] = e;
		s->len++;
	}
	s->last = e;
	return e;
}

void stats__add(struct stats *s, const char *name, uint64_t dur_ns)
{
	struct stats_ent *e = stats__entry(s, name);

	/* Out of memory drops the sample: a summary line is not worth failing the trace. */
	if (e)
		hist__add(&e->h, dur_ns);
}

/* The entry of id (and name), found by id after its first use; NULL when out of memory. */
static struct stats_ent *stats__entry_id(struct stats *s, uint32_t id, const char *name)
{
	struct stats_ent *e;

	if (id < s->nids && s->by_id[id])
		return s->by_id[id];
	e = stats__entry(s, name);
	if (!e || id >= STATS_MAX_IDS)
		return e;
	if (id >= s->nids) {
		size_t n = s->nids ? s->nids : 16;
		struct stats_ent **v;

		while (n <= id)
			n *= 2;
		v = realloc(s->by_id, n * sizeof(*v));
		if (!v)
			return e; /* found by name next time */
		memset(v + s->nids, 0, (n - s->nids) * sizeof(*v));
		s->by_id = v;
		s->nids = n;
	}
	s->by_id[id] = e;
	return e;
}

void stats__add_id(struct stats *s, uint32_t id, const char *name, uint64_t dur_ns)
{
	struct stats_ent *e = stats__entry_id(s, id, name);

	if (e)
		hist__add(&e->h, dur_ns);
}

void stats__add_untimed_id(struct stats *s, uint32_t id, const char *name)
{
	struct stats_ent *e = stats__entry_id(s, id, name);

	if (e)
		e->untimed++;
}

void stats__set_probe_cost_id(struct stats *s, uint32_t id, uint64_t ns)
{
	if (id < s->nids && s->by_id[id])
		s->by_id[id]->probe_ns = ns;
}

static int stats__cmp_total(const void *a, const void *b)
{
	const struct stats_ent *x = *(const struct stats_ent *const *)a;
	const struct stats_ent *y = *(const struct stats_ent *const *)b;

	if (x->h.total != y->h.total)
		return x->h.total > y->h.total ? -1 : 1;
	return strcmp(x->name, y->name); /* stable output for equal totals */
}

/* A name for the table: at most NAME_WIDTH_MAX bytes, its end kept (the most specific part). */
static const char *stats__short_name(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n <= NAME_WIDTH_MAX)
		return name;
	snprintf(buf, len, "...%s", name + n - (NAME_WIDTH_MAX - 3));
	return buf;
}

void stats__print(const struct stats *s, FILE *f)
{
	struct stats_ent **v;
	char tot[32], p50[32], p99[32], probe[32], shortened[NAME_WIDTH_MAX + 1];
	int width = NAME_WIDTH_MIN;
	bool untimed = false, costs = false;
	size_t i, n = 0;

	v = malloc((s->len ? s->len : 1) * sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < s->cap; i++) {
		size_t len;

		if (!s->slots[i])
			continue;
		v[n++] = s->slots[i];
		len = strlen(stats__short_name(s->slots[i]->name, shortened, sizeof(shortened)));
		if (len > (size_t)width)
			width = (int)len;
		untimed |= s->slots[i]->untimed != 0;
		costs |= s->slots[i]->probe_ns != 0;
	}
	qsort(v, n, sizeof(*v), stats__cmp_total);

	fprintf(f, "%-*s %9s %9s %12s %12s %12s%s\n", width, "span", "calls", "returned", "total",
		"p50", "p99", costs ? "   probe/call" : "");
	for (i = 0; i < n; i++) {
		const struct hist *h = &v[i]->h;

		fprintf(f, "%-*s %9llu %9llu %12s %12s %12s", width,
			stats__short_name(v[i]->name, shortened, sizeof(shortened)),
			(unsigned long long)(h->count + v[i]->untimed), (unsigned long long)h->count,
			fmt_duration(h->total, tot, sizeof(tot)),
			fmt_duration(hist__quantile(h, 0.5), p50, sizeof(p50)),
			fmt_duration(hist__quantile(h, 0.99), p99, sizeof(p99)));
		if (costs)
			fprintf(f, " %12s", v[i]->probe_ns ? fmt_duration(v[i]->probe_ns, probe,
									  sizeof(probe)) : "?");
		fputc('\n', f);
	}
	if (costs)
		fprintf(f, "(probe/call: what spantrace's probes add to a call, calibrated at start; "
			"the durations above include part of it)\n");
	if (untimed)
		fprintf(f, "(total, p50 and p99 are of the calls that returned; the others are in the "
			"trace, marked: open at the stop, cut short, or unwound)\n");
	free(v);
}

void stats__free(struct stats *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->cap; i++) {
		if (s->slots[i]) {
			free(s->slots[i]->name);
			free(s->slots[i]);
		}
	}
	free(s->slots);
	free(s->by_id);
	free(s);
}

const char *fmt_duration(uint64_t ns, char *buf, unsigned long len)
{
	static const char *const unit[] = { "ns", "us", "ms", "s" };
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000 };
	uint64_t u = 1000, ip, div, q, r;
	unsigned int k = 1, d;

	if (ns < 1000) {
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
		return buf;
	}
	/* Pick the unit that leaves 1..999 before the point (seconds for anything larger). */
	while (k < 3 && ns / u >= 1000) {
		u *= 1000;
		k++;
	}
	ip = ns / u;
	d = ip < 10 ? 3 : ip < 100 ? 2 : ip < 1000 ? 1 : 0;
	div = u / pow10[d];
	q = ns / div;
	r = ns % div;
	if (r >= div - r) /* round half up, without overflow */
		q++;
	/* Rounding carried into a fifth digit: 9.9996 -> 10.00, 999.96 us -> 1.000 ms. */
	if (d > 0 && q == pow10[4]) {
		q = pow10[3];
		d--;
		if (d == 0 && k < 3) {
			k++;
			d = 3;
		}
	}
	if (d == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)q, unit[k]);
	else
		snprintf(buf, len, "%llu.%0*llu %s", (unsigned long long)(q / pow10[d]), (int)d,
			 (unsigned long long)(q % pow10[d]), unit[k]);
	return buf;
}
