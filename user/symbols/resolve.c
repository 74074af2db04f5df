// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "elfsym.h"
#include "errbuf.h"
#include "resolve.h"

#define MAX_SUGGEST 3

/*
 * The demangled name of a C++ or Rust symbol (Itanium "_Z", which Rust's
 * legacy scheme also uses, or Rust's v0 "_R"), without parameters; NULL if
 * sym is not one. Legacy Rust names lose their hash here: the symbol itself
 * stays in args.func, so functions of one path stay apart.
 */
static char *demangle(const char *sym)
{
	if (strncmp(sym, "_Z", 2) && strncmp(sym, "_R", 2))
		return NULL;
	return cplus_demangle(sym, DMGL_ANSI); /* the style is told from the symbol */
}

char *resolve__display_name(const char *sym)
{
	char *d = demangle(sym);

	return d ? d : strdup(sym);
}

/* ".cold" or ".cold.N": the whole of s. */
static bool cold_suffix(const char *s)
{
	if (strncmp(s, ".cold", 5) != 0)
		return false;
	s += 5;
	if (*s == '\0')
		return true;
	if (*s++ != '.' || !isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	return *s == '\0';
}

bool resolve__is_fragment(const char *sym)
{
	for (const char *c = strstr(sym, ".cold"); c; c = strstr(c + 1, ".cold"))
		if (c != sym && cold_suffix(c))
			return true;
	return false;
}

/* Is sym the cold fragment of the function name[0..n)? */
static bool cold_of(const char *sym, const char *name, size_t n)
{
	return strncmp(sym, name, n) == 0 && cold_suffix(sym + n);
}

/* The fragments of fs, by index: the few symbols a function's cold part is looked up in. */
struct fragments {
	size_t *v;
	size_t n;
};

static int fragments__find(const struct elf_funcs *fs, struct fragments *fr)
{
	fr->n = 0;
	fr->v = NULL;
	for (size_t i = 0; i < fs->n; i++) {
		size_t *v;

		if (!fs->v[i].size || !resolve__is_fragment(fs->v[i].name))
			continue;
		v = realloc(fr->v, (fr->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fr->v = v;
		fr->v[fr->n++] = i;
	}
	return 0;
}

static const struct elf_func *cold_part(const struct elf_funcs *fs, const struct fragments *fr,
					const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < fr->n; i++)
		if (cold_of(fs->v[fr->v[i]].name, name, n))
			return &fs->v[fr->v[i]];
	return NULL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/*
 * "libc" is a prefix of both libc.so.6 and libcap.so.2: prefer objects where
 * the prefix ends at a name boundary, so the obvious reading wins and only a
 * real ambiguity is an error.
 */
static bool boundary_match(const char *obj, const char *path)
{
	const char *b = base_name(path);
	size_t n = strlen(obj);

	if (strchr(obj, '/'))
		return true;
	return !isalnum((unsigned char)b[n]);
}

/*
 * An absolute OBJECT that names no mapped file by its path may be a link to
 * one (/lib/x86_64-linux-gnu/libc.so.6, libz.so.1 and its version): the
 * mapped object at the path the link resolves to, here, or NULL. Only names
 * are compared: what is read is still the file the process maps.
 */
static const struct target_obj *linked_object(const char *obj, const struct target_obj *objs,
					      size_t nobjs)
{
	char *real = realpath(obj, NULL);
	const struct target_obj *found = NULL;

	for (size_t i = 0; real && i < nobjs && !found; i++)
		if (strcmp(objs[i].path, real) == 0)
			found = &objs[i];
	free(real);
	return found;
}

/* The error for an OBJECT that matches nothing mapped: the objects that are. */
static void not_mapped_error(const char *obj, const struct target_obj *objs, size_t nobjs,
			     char *err, size_t errlen)
{
	bool path = strchr(obj, '/') != NULL;

	errbuf__set(err, errlen, "no object %s '%s' is mapped in the target (mapped:",
		    path ? "at" : "matching", obj);
	for (size_t i = 0; i < nobjs; i++)
		errbuf__add(err, errlen, "%s %s", i ? "," : "",
			    path ? objs[i].path : base_name(objs[i].path));
	errbuf__add(err, errlen,
		    path ? "); give one of these paths, or a prefix of its file name" :
			   "); use a prefix of one of these names or an absolute path");
}

int resolve__pick_object(const struct spec *s, const struct target_obj *objs, size_t nobjs,
			 const struct target_obj **pick, char *err, size_t errlen)
{
	size_t nmatch = 0, nbound = 0, i;
	const struct target_obj *m = NULL, *bm = NULL;

	for (i = 0; i < nobjs; i++) {
		if (!s->object ? objs[i].is_main : spec__object_matches(s->object, objs[i].path)) {
			nmatch++;
			m = &objs[i];
			if (!s->object || boundary_match(s->object, objs[i].path)) {
				nbound++;
				bm = &objs[i];
			}
		}
	}
	if (nmatch == 1 || nbound == 1) {
		*pick = nbound == 1 ? bm : m;
		return 0;
	}
	if (!s->object) {
		errbuf__set(err, errlen, "cannot tell the target's main executable for '%s'",
			    s->text);
		return -1;
	}
	if (nmatch == 0 && strchr(s->object, '/') && (*pick = linked_object(s->object, objs, nobjs)))
		return 0;
	if (nmatch == 0) {
		not_mapped_error(s->object, objs, nobjs, err, errlen);
		return -1;
	}
	errbuf__set(err, errlen, "object '%s' is ambiguous, it matches", s->object);
	for (i = 0; i < nobjs; i++)
		if (spec__object_matches(s->object, objs[i].path))
			errbuf__add(err, errlen, " %s", objs[i].path);
	errbuf__add(err, errlen, "; use a longer prefix or an absolute path");
	return -1;
}

/*
 * Adds f (and its cold part, or NULL); 0 if it is there already for the same
 * purpose, -EEXIST (with *clash) if not.
 */
static int table_add(struct probe_table *t, const struct target_obj *o, const struct elf_func *f,
		     const struct elf_func *cold, const struct spec *s, const struct probe **clash)
{
	struct probe *p;

	for (size_t i = 0; i < t->n; i++) {
		const struct probe *q = &t->v[i];

		if (q->offset != f->offset || strcmp(q->open_path, o->open_path) != 0)
			continue;
		if (q->role != s->role || q->name_arg != s->name_arg ||
		    (s->role != SPEC_FUNC && q->pair != s->pair)) {
			*clash = q;
			return -EEXIST;
		}
		return 0;
	}
	p = realloc(t->v, (t->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->v = p;
	p = &t->v[t->n];
	memset(p, 0, sizeof(*p));
	p->name = resolve__display_name(f->name);
	p->func = strdup(f->name);
	if (asprintf(&p->object, "%s%s", o->path, o->deleted ? " (deleted)" : "") < 0)
		p->object = NULL;
	p->open_path = strdup(o->open_path);
	p->addr = f->addr;
	p->offset = f->offset;
	p->size = f->size;
	if (cold) {
		p->cold_addr = cold->addr;
		p->cold_offset = cold->offset;
		p->cold_size = cold->size;
	}
	p->spec = s;
	p->role = s->role;
	p->pair = s->pair;
	p->name_arg = s->name_arg;
	t->n++;
	if (!p->name || !p->func || !p->object || !p->open_path)
		return -ENOMEM;
	return 0;
}

static void no_match_error(const struct spec *s, const struct target_obj *o,
			   const struct elf_funcs *fs, char *err, size_t errlen)
{
	const char **names = calloc(fs->n ? fs->n : 1, sizeof(*names));
	const char *sugg[MAX_SUGGEST];
	size_t n = 0, i;
	char src[64];

	if (names) {
		for (i = 0; i < fs->n; i++)
			names[i] = fs->v[i].name;
		n = spec__suggest(s->pattern, names, fs->n, sugg, MAX_SUGGEST);
	}
	errbuf__set(err, errlen, "'%s' matches no function in %s (searched %s: %zu functions)",
		    s->pattern, o->path, elf_funcs__sources(fs, src, sizeof(src)), fs->n);
	for (i = 0; i < n; i++)
		errbuf__add(err, errlen, "%s%s", i ? ", " : "; did you mean ", sugg[i]);
	if (n)
		errbuf__add(err, errlen, "?");
	free(names);
}

static bool func_matches(const char *pattern, const char *sym)
{
	char *d;
	bool ok;

	if (spec__pattern_matches(pattern, sym))
		return true;
	/* C++ and Rust: let "ns::f*" match the demangled name too. */
	d = demangle(sym);
	ok = d && spec__pattern_matches(pattern, d);
	free(d);
	return ok;
}

/* Adds to out the functions of o that s matches, with their cold parts. */
static int resolve_spec(const struct spec *s, const struct target_obj *o,
			const struct elf_funcs *fs, struct probe_table *out, char *err,
			size_t errlen)
{
	struct fragments fr;
	size_t hits = 0;
	int r = fragments__find(fs, &fr);

	for (size_t i = 0; !r && i < fs->n; i++) {
		const struct probe *clash = NULL;

		if (resolve__is_fragment(fs->v[i].name) || !func_matches(s->pattern, fs->v[i].name))
			continue;
		hits++;
		r = table_add(out, o, &fs->v[i], cold_part(fs, &fr, fs->v[i].name), s, &clash);
		if (r == -EEXIST) {
			errbuf__set(err, errlen,
				    "%s is matched by both '%s' and '%s', which trace it "
				    "differently; make the patterns match different functions",
				    fs->v[i].name, clash->spec->text, s->text);
			free(fr.v);
			return -1;
		}
	}
	free(fr.v);
	if (r) {
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	if (!hits) {
		no_match_error(s, o, fs, err, errlen);
		return -1;
	}
	return 0;
}

/* Is p one of the functions exclusion x names (in x's object, or any without one)? */
static bool excluded_by(const struct spec *x, const struct probe *p)
{
	return (!x->object || spec__object_matches(x->object, p->object)) &&
	       func_matches(x->pattern, p->func);
}

/* Drops from t the probes an exclusion (-x) names, keeping the others in order. */
static void apply_exclusions(const struct spec *specs, size_t nspecs, struct probe_table *t)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->n; i++) {
		bool drop = false;

		for (size_t si = 0; si < nspecs && !drop; si++)
			drop = specs[si].role == SPEC_EXCLUDE && excluded_by(&specs[si], &t->v[i]);
		if (drop)
			probe__free(&t->v[i]);
		else
			t->v[kept++] = t->v[i];
	}
	t->n = kept;
}

int resolve__specs(const struct spec *specs, size_t nspecs, const struct target_obj *objs,
		   size_t nobjs, struct probe_table *out, char *err, size_t errlen)
{
	for (size_t si = 0; si < nspecs; si++) {
		const struct target_obj *o;
		struct elf_funcs fs;
		char why[256];
		int r;

		if (specs[si].role == SPEC_EXCLUDE)
			continue;
		if (resolve__pick_object(&specs[si], objs, nobjs, &o, err, errlen))
			return -1;
		if (!o->open_path) {
			errbuf__set(err, errlen, "cannot read symbols of %s: it was not opened",
				    o->path);
			return -1;
		}
		if (elf_funcs__load(o->open_path, &fs, why, sizeof(why))) {
			errbuf__set(err, errlen, "cannot read symbols of %s: %s", o->path, why);
			return -1;
		}
		r = resolve_spec(&specs[si], o, &fs, out, err, errlen);
		elf_funcs__free(&fs);
		if (r)
			return -1;
	}
	apply_exclusions(specs, nspecs, out);
	if (!out->n && nspecs) {
		errbuf__set(err, errlen, "every function the SPECs match is left out by -x; "
			    "narrow the exclusions");
		return -1;
	}
	return 0;
}
