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

#include "hashtab.h"
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
	struct hist h;	     /* the calls that returned */
	uint64_t untimed;    /* the others: written, not timed */
	uint64_t probe_ns;   /* what the probes add to each call, 0: not known */
};

struct stats {
	struct hashtab by_name; /* of struct stats_ent * */
	/* The last entry used: spans of one name tend to come in runs. */
	struct stats_ent *last;
	struct stats_ent **by_id; /* stats__add_id: entries by id, NULL if not seen yet */
	size_t nids;
};

/* Ids above this go by name: the table by id stays small. */
#define STATS_MAX_IDS (1u << 20)

static bool stats__name_eq(const void *entry, const void *key)
{
	return !strcmp((*(struct stats_ent *const *)entry)->name, key);
}

struct stats *stats__new(void)
{
	struct stats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (hashtab__init(&s->by_name, sizeof(struct stats_ent *), 6)) {
		free(s);
		return NULL;
	}
	return s;
}

/* The entry of name, created on first sight; NULL when out of memory. */
static struct stats_ent *stats__entry(struct stats *s, const char *name)
{
	struct stats_ent *e = s->last, **slot;
	uint64_t hash;

	if (e && !strcmp(e->name, name))
		return e;
	hash = hashtab__hash_bytes(name, strlen(name));
	slot = hashtab__find(&s->by_name, hash, stats__name_eq, name);
	if (slot) {
		e = *slot;
	} else {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->name = strdup(name);
		slot = e->name ? hashtab__add(&s->by_name, hash) : NULL;
		if (!slot) {
			free(e->name);
			free(e);
			return NULL;
		}
		*slot = e;
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
	struct stats_ent **v, **slot;
	char tot[32], p50[32], p99[32], probe[32], shortened[NAME_WIDTH_MAX + 1];
	int width = NAME_WIDTH_MIN;
	bool untimed = false, costs = false;
	size_t i, n = 0, pos = 0;

	v = malloc((hashtab__count(&s->by_name) + 1) * sizeof(*v));
	if (!v)
		return;
	while ((slot = hashtab__next(&s->by_name, &pos))) {
		size_t len;

		v[n++] = *slot;
		len = strlen(stats__short_name((*slot)->name, shortened, sizeof(shortened)));
		if (len > (size_t)width)
			width = (int)len;
		untimed |= (*slot)->untimed != 0;
		costs |= (*slot)->probe_ns != 0;
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
	struct stats_ent **slot;
	size_t pos = 0;

	if (!s)
		return;
	while ((slot = hashtab__next(&s->by_name, &pos))) {
		free((*slot)->name);
		free(*slot);
	}
	hashtab__free(&s->by_name);
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
