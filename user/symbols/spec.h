/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Probe SPECs: [OBJECT:]PATTERN.
 *   OBJECT  an absolute path, or a prefix of the basename of an ELF object
 *           mapped in the target ("libsqlite3" matches
 *           /usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6); absent means the
 *           main executable.
 *   PATTERN a shell glob (fnmatch) over function symbol names.
 * The OBJECT separator is the first ':' that is not part of "::", so C++
 * patterns such as "ns::f*" are not split.
 *
 * A SPEC may end in ":name=argN": each span takes its name from argument N
 * (a C string, or a Go string for Go functions) instead of the function's.
 *
 * A span pair (--span) is BEGIN[:name=argN]=END, two SPECs: a call to a
 * BEGIN function opens a span, a call to an END function closes the innermost
 * open span of the pair on the same task. END without OBJECT: BEGIN's.
 */
#ifndef SPANTRACE_SPEC_H
#define SPANTRACE_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h" /* enum spec_role */

/* Arguments are read from registers: at most this many words (Go's register ABI). */
#define SPEC_MAX_ARGS 9

struct spec {
	char *text;    /* the SPEC as given */
	char *object;  /* NULL: main executable */
	char *pattern; /* never empty */
	int name_arg;  /* argument the span is named from, -1 if none */
	int role;      /* enum spec_role */
	unsigned int pair; /* SPEC_BEGIN/SPEC_END: index of the --span pair */
};

/* Returns 0, or -EINVAL with a one-line reason in err (empty pattern, empty object...). */
int spec__parse(const char *text, struct spec *out, char *err, size_t errlen);
/* Parses BEGIN[:name=argN]=END into two SPECs of pair number pair. Same returns. */
int spec__parse_pair(const char *text, unsigned int pair, struct spec *begin, struct spec *end,
		     char *err, size_t errlen);
void spec__free(struct spec *s);

/* true if the basename of path starts with obj (obj without '/'), or path equals obj. */
bool spec__object_matches(const char *obj, const char *path);

/* true if name matches the glob pattern. */
bool spec__pattern_matches(const char *pattern, const char *name);

/*
 * Suggests up to max names close to pattern (glob characters ignored) from
 * names[0..n): smallest edit distance first, only reasonably close ones.
 * Writes pointers into out (not copies); returns how many.
 */
size_t spec__suggest(const char *pattern, const char *const *names, size_t n, const char **out,
		     size_t max);

#endif
