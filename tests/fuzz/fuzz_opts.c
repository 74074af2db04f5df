// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the command line (user/live/opts.c) and SPEC parsing (user/symbols/spec.c): the
 * input split on NUL bytes is argv after "spantrace". Each argument is also
 * parsed alone as a SPEC and as a --span pair, matched as object and glob
 * against the next one, and looked up for "did you mean" suggestions among
 * all of them. A command line that parses keeps the promises of check_opts.
 * Seeds: command lines of the README and tests (seeds.sh).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "opts.h"
#include "spec.h"

#define MAX_ARGS 64
#define MAX_SUGGEST 4

/* A parse error is one line, unless the argument quoted in it has a line break. */
static void check_error(const char *err, const char *arg)
{
	fuzz__check(err[0]);
	fuzz__check(!strchr(err, '\n') || strchr(arg, '\n'));
}

/* What a parsed command line promises, whichever options it holds. */
static void check_opts(const struct opts *o)
{
	const uint64_t day_ns = 86400ull * 1000000000ull;
	size_t funcs = 0, pairs = 0;

	/* tracing looks at a process or a command; --list also at a FILE, at one of them */
	fuzz__check(o->help || o->list || (!o->pid != !o->cmd && !o->file));
	fuzz__check(o->help || !o->list || !!o->pid + !!o->cmd + !!o->file == 1);
	fuzz__check(!o->file || o->list);
	fuzz__check(!o->list_json || o->list || o->help);
	fuzz__check(o->pid >= 0);
	fuzz__check(o->output && o->output[0]);
	fuzz__check(!o->save_records || o->save_records[0]);
	fuzz__check(o->duration_ns <= OPTS_MAX_DURATION_NS);
	fuzz__check(o->min_wait_ns <= day_ns);
	fuzz__check(o->stall_ns > 0 && o->stall_ns <= day_ns);
	fuzz__check(o->ringbuf_size >= 4096 && o->ringbuf_size <= 1ull << 30);
	fuzz__check(!(o->ringbuf_size & (o->ringbuf_size - 1)));
	/* -u, --list and -x add one SPEC, --span two (BEGIN, END) of the next pair, in order */
	for (size_t i = 0; i < o->nspecs; i++) {
		const struct spec *s = &o->specs[i];

		if (s->role == SPEC_FUNC || s->role == SPEC_EXCLUDE) {
			fuzz__check(s->role == SPEC_FUNC || s->name_arg < 0);
			funcs++;
			continue;
		}
		fuzz__check(s->role == SPEC_BEGIN && s->pair == pairs && i + 1 < o->nspecs);
		fuzz__check(s[1].role == SPEC_END && s[1].pair == pairs);
		pairs++;
		i++;
	}
	fuzz__check(pairs == o->npairs && funcs + 2 * pairs == o->nspecs);
}

static void check_spec(const struct spec *s, int role, unsigned int pair)
{
	fuzz__check(s->text && s->pattern && s->pattern[0]);
	fuzz__check(!s->object || s->object[0]);
	fuzz__check(s->name_arg >= -1 && s->name_arg < SPEC_MAX_ARGS);
	fuzz__check(s->role == role && s->pair == pair);
}

static void one_arg(char *arg, unsigned int i, char *next, char **args, size_t nargs)
{
	const char *out[MAX_SUGGEST];
	struct spec b, e;
	char err[512];
	size_t n, k;

	if (spec__parse(arg, &b, err, sizeof(err)) == 0) {
		check_spec(&b, SPEC_FUNC, 0);
		spec__free(&b);
	} else {
		check_error(err, arg);
	}
	if (spec__parse_pair(arg, i, &b, &e, err, sizeof(err)) == 0) {
		check_spec(&b, SPEC_BEGIN, i);
		check_spec(&e, SPEC_END, i);
		fuzz__check(e.name_arg == -1);
		fuzz__check(!b.object || (e.object && e.object[0]));
		spec__free(&b);
		spec__free(&e);
	} else {
		check_error(err, arg);
	}
	spec__object_matches(arg, next);
	spec__pattern_matches(arg, next);
	n = spec__suggest(arg, (const char *const *)args, nargs, out, MAX_SUGGEST);
	fuzz__check(n <= MAX_SUGGEST);
	for (k = 0; k < n; k++) {
		size_t j;

		for (j = 0; j < nargs && out[k] != args[j]; j++)
			;
		fuzz__check(j < nargs);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz__strdup(data, size), *argv[MAX_ARGS + 2], *args[MAX_ARGS];
	char name[] = "spantrace", err[512] = "";
	size_t nargs = 0, at;
	struct opts o;

	/* every NUL ends an argument, and so does the end of the input */
	for (at = 0; at < size && nargs < MAX_ARGS; at += strlen(text + at) + 1)
		args[nargs++] = text + at;
	argv[0] = name;
	memcpy(argv + 1, args, nargs * sizeof(*args));
	argv[nargs + 1] = NULL;

	if (opts__parse((int)nargs + 1, argv, &o, err, sizeof(err)) == 0) {
		check_opts(&o);
		opts__free(&o);
	} else {
		fuzz__check(err[0]);
	}
	for (size_t i = 0; i < nargs; i++)
		one_arg(args[i], (unsigned int)i, i + 1 < nargs ? args[i + 1] : name, args, nargs);
	free(text);
	return 0;
}
