/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Probe SPEC parsing, matching and "did you mean" suggestions. See spec.h.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "spec.h"

/* Longer names are compared by their first SUGGEST_MAX_LEN bytes only. */
#define SUGGEST_MAX_LEN 128


/*
 * The separator is the first ':' that is not part of "::". In a run of
 * colons, pairs are taken from the right, so an odd run leaves its first
 * colon alone: "libfoo:::f" is object "libfoo" with pattern "::f", while
 * "ns::f" and "::f" have no separator.
 */
static const char *spec_find_sep(const char *text)
{
	const char *p = text;

	while ((p = strchr(p, ':'))) {
		size_t run = strspn(p, ":");

		if (run % 2)
			return p;
		p += run;
	}
	return NULL;
}

#define NAME_MOD ":name="

/*
 * Finds a ":name=argN" modifier in text. Returns its start (or NULL when
 * there is none), with N in *arg and the first byte after it in *after;
 * -1 in *arg if it is malformed.
 */
static const char *spec_find_name(const char *text, int *arg, const char **after)
{
	const char *m = strstr(text, NAME_MOD), *p;
	long n = 0;

	if (!m)
		return NULL;
	p = m + strlen(NAME_MOD);
	*arg = -1;
	*after = p;
	if (strncmp(p, "arg", 3) != 0)
		return m;
	p += 3;
	if (*p < '0' || *p > '9')
		return m;
	while (*p >= '0' && *p <= '9' && n < 1000)
		n = n * 10 + (*p++ - '0');
	*arg = (int)n;
	*after = p;
	return m;
}

static int spec_name_error(const char *text, int arg, char *err, size_t errlen)
{
	if (arg < 0)
		errbuf__set(err, errlen,
			"bad name in '%s': write :name=argN with N the argument's index, e.g. "
			"'span_begin:name=arg0'", text);
	else
		errbuf__set(err, errlen,
			"name=arg%d in '%s' is out of range: arguments are read from registers, "
			"arg0 to arg%d (arg0-arg5 for C functions)", arg, text, SPEC_MAX_ARGS - 1);
	return -EINVAL;
}

/* Parses text[0..len) as [OBJECT:]PATTERN. */
static int spec_parse_plain(const char *full, const char *text, size_t len, struct spec *out,
			    char *err, size_t errlen)
{
	char *t = strndup(text, len);
	const char *sep;

	if (!t) {
		errbuf__set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!*t) {
		free(t);
		errbuf__set(err, errlen,
			"empty SPEC: write [OBJECT:]PATTERN, e.g. 'main_*' or 'libc:malloc'");
		return -EINVAL;
	}
	sep = spec_find_sep(t);
	if (sep == t) {
		errbuf__set(err, errlen,
			"empty OBJECT in '%s': write OBJECT:PATTERN, or PATTERN for the executable",
			full);
		free(t);
		return -EINVAL;
	}
	if (sep && !sep[1]) {
		errbuf__set(err, errlen,
			"empty PATTERN in '%s': add a function glob after ':', e.g. '%s*'", full, t);
		free(t);
		return -EINVAL;
	}
	out->text = strdup(full);
	out->object = sep ? strndup(t, (size_t)(sep - t)) : NULL;
	out->pattern = strdup(sep ? sep + 1 : t);
	free(t);
	if (!out->text || !out->pattern || (sep && !out->object)) {
		spec__free(out);
		errbuf__set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int spec__parse(const char *text, struct spec *out, char *err, size_t errlen)
{
	const char *m, *after = NULL;
	int arg = -1, r;

	memset(out, 0, sizeof(*out));
	out->name_arg = -1;
	if (err && errlen)
		err[0] = '\0';
	if (!text || !*text) {
		errbuf__set(err, errlen,
			"empty SPEC: write [OBJECT:]PATTERN, e.g. 'main_*' or 'libc:malloc'");
		return -EINVAL;
	}
	m = spec_find_name(text, &arg, &after);
	if (m && (arg < 0 || *after))
		return spec_name_error(text, -1, err, errlen);
	if (m && arg >= SPEC_MAX_ARGS)
		return spec_name_error(text, arg, err, errlen);
	r = spec_parse_plain(text, text, m ? (size_t)(m - text) : strlen(text), out, err, errlen);
	if (!r) {
		out->name_arg = m ? arg : -1;
		out->role = SPEC_FUNC;
	}
	return r;
}

/*
 * Where BEGIN[:name=argN]=END splits: *blen is BEGIN's length without the
 * name, *eq the '=' before END, *name_arg the argument naming the spans (-1
 * for none). 0, or -EINVAL with the reason.
 */
static int spec_pair_split(const char *text, size_t *blen, const char **eq, int *name_arg,
			   char *err, size_t errlen)
{
	const char *m, *after = NULL;
	int arg = -1;

	m = text ? spec_find_name(text, &arg, &after) : NULL;
	if (m && arg < 0)
		return spec_name_error(text, -1, err, errlen);
	if (m && arg >= SPEC_MAX_ARGS)
		return spec_name_error(text, arg, err, errlen);
	if (m && *after != '=') {
		errbuf__set(err, errlen,
			"'%s': the name comes from BEGIN's arguments, so it goes before '=': "
			"write --span 'BEGIN:name=arg0=END'", text);
		return -EINVAL;
	}
	/* BEGIN ends at the name modifier, or at the '=' */
	*eq = m ? after : (text ? strchr(text, '=') : NULL);
	if (!*eq || **eq != '=') {
		errbuf__set(err, errlen,
			"'%s' is not BEGIN=END: write e.g. --span 'span_begin=span_end', or "
			"--span 'span_begin:name=arg0=span_end' to name spans from an argument",
			text ? text : "");
		return -EINVAL;
	}
	*blen = (size_t)((m ? m : *eq) - text);
	if (!*blen || !(*eq)[1]) {
		errbuf__set(err, errlen, "'%s' has an empty %s: write --span 'BEGIN=END'", text,
			    *blen ? "END" : "BEGIN");
		return -EINVAL;
	}
	if (strchr(*eq + 1, '=')) {
		errbuf__set(err, errlen,
			"'%s' has more than one '=': write --span 'BEGIN=END'; a span name comes from "
			"BEGIN's arguments, as in 'BEGIN:name=arg0=END'", text);
		return -EINVAL;
	}
	*name_arg = m ? arg : -1;
	return 0;
}

int spec__parse_pair(const char *text, unsigned int pair, struct spec *begin, struct spec *end,
		     char *err, size_t errlen)
{
	const char *eq;
	int name_arg, r;
	size_t blen;

	memset(begin, 0, sizeof(*begin));
	memset(end, 0, sizeof(*end));
	if (err && errlen)
		err[0] = '\0';
	r = spec_pair_split(text, &blen, &eq, &name_arg, err, errlen);
	if (r)
		return r;
	r = spec_parse_plain(text, text, blen, begin, err, errlen);
	if (!r)
		r = spec_parse_plain(text, eq + 1, strlen(eq + 1), end, err, errlen);
	if (r) {
		spec__free(begin);
		return r;
	}
	begin->name_arg = name_arg;
	end->name_arg = -1;
	begin->role = SPEC_BEGIN;
	end->role = SPEC_END;
	begin->pair = end->pair = pair;
	/* END lives where BEGIN does unless it says otherwise */
	if (!end->object && begin->object && !(end->object = strdup(begin->object))) {
		spec__free(begin);
		spec__free(end);
		errbuf__set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void spec__free(struct spec *s)
{
	if (!s)
		return;
	free(s->text);
	free(s->object);
	free(s->pattern);
	memset(s, 0, sizeof(*s));
	s->name_arg = -1;
}

bool spec__object_matches(const char *obj, const char *path)
{
	const char *base;

	if (strchr(obj, '/'))
		return !strcmp(obj, path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, obj, strlen(obj));
}

bool spec__pattern_matches(const char *pattern, const char *name)
{
	return fnmatch(pattern, name, 0) == 0;
}

/*
 * Levenshtein distance between a[0..la) and b[0..lb), or bound + 1 if it
 * exceeds bound. Only the diagonal band |i - j| <= bound can hold a value
 * within bound, so the cost is O(la * bound) and a row whose minimum passes
 * the bound ends the search early.
 */
static size_t lev_bounded(const char *a, size_t la, const char *b, size_t lb, size_t bound)
{
	size_t rows[2][SUGGEST_MAX_LEN + 1];
	size_t *prev = rows[0], *cur = rows[1], *tmp;
	size_t inf = bound + 1, i, j;

	if ((la > lb ? la - lb : lb - la) > bound)
		return inf;
	for (j = 0; j <= lb; j++)
		prev[j] = j <= bound ? j : inf;
	for (i = 1; i <= la; i++) {
		size_t lo = i > bound ? i - bound : 1;
		size_t hi = i + bound < lb ? i + bound : lb;
		size_t row_min;

		/* Cells just outside the band are read by the next cells and row. */
		cur[0] = i <= bound ? i : inf;
		cur[lo - 1] = lo > 1 ? inf : cur[0];
		row_min = cur[lo - 1];
		for (j = lo; j <= hi; j++) {
			size_t d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d < inf ? d : inf;
			if (cur[j] < row_min)
				row_min = cur[j];
		}
		if (hi < lb)
			cur[hi + 1] = inf;
		if (row_min > bound)
			return inf;
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	return prev[lb];
}

struct suggestion {
	const char *name;
	size_t dist;
};

static int suggestion__cmp(const struct suggestion *x, size_t dist, const char *name)
{
	if (x->dist != dist)
		return x->dist < dist ? -1 : 1;
	return strcmp(x->name, name);
}

/*
 * Inserts into best[0..*n), kept sorted by (distance, name) and at most max
 * long. A name already present is not added twice: symbol lists often hold
 * the same name at several addresses.
 */
static void suggestions__insert(struct suggestion *best, size_t *n, size_t max, const char *name,
				size_t dist)
{
	size_t pos = *n;
	int c;

	while (pos > 0 && (c = suggestion__cmp(&best[pos - 1], dist, name)) >= 0) {
		if (!c)
			return;
		pos--;
	}
	if (pos >= max)
		return;
	if (*n == max)
		(*n)--;
	memmove(&best[pos + 1], &best[pos], (*n - pos) * sizeof(*best));
	best[pos] = (struct suggestion){ .name = name, .dist = dist };
	(*n)++;
}

size_t spec__suggest(const char *pattern, const char *const *names, size_t n, const char **out,
		     size_t max)
{
	char key[SUGGEST_MAX_LEN + 1];
	struct suggestion *best;
	size_t klen = 0, nbest = 0, limit, i;
	const char *p;

	if (!max || !n)
		return 0;
	/* Glob characters say nothing about the name the user meant. */
	for (p = pattern; *p && klen < SUGGEST_MAX_LEN; p++)
		if (!strchr("*?[]", *p))
			key[klen++] = *p;
	key[klen] = '\0';
	if (!klen)
		return 0;
	limit = klen / 3 > 2 ? klen / 3 : 2;
	best = calloc(max, sizeof(*best));
	if (!best)
		return 0;

	for (i = 0; i < n; i++) {
		const char *name = names[i];
		size_t len, bound, d;

		if (!name)
			continue;
		len = strnlen(name, SUGGEST_MAX_LEN);
		/*
		 * A name containing the key is a hit at any length; its edit
		 * distance is exactly the number of extra characters.
		 */
		if (strstr(name, key)) {
			d = strlen(name) - klen;
			if (nbest < max || d <= best[nbest - 1].dist)
				suggestions__insert(best, &nbest, max, name, d);
			continue;
		}
		/* Once the list is full only an equal or better distance can enter. */
		bound = limit;
		if (nbest == max && best[nbest - 1].dist < bound)
			bound = best[nbest - 1].dist;
		d = lev_bounded(key, klen, name, len, bound);
		if (d <= bound)
			suggestions__insert(best, &nbest, max, name, d);
	}
	for (i = 0; i < nbest; i++)
		out[i] = best[i].name;
	free(best);
	return nbest;
}
