/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Command line of spantrace. Parsing is pure so unit tests cover it. */
#ifndef SPANTRACE_OPTS_H
#define SPANTRACE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "spec.h"

#define OPTS_DEFAULT_OUTPUT "spantrace.json"
#define OPTS_DEFAULT_RINGBUF (8u << 20)
#define OPTS_DEFAULT_MIN_WAIT_NS (10ull * 1000 * 1000)
#define OPTS_DEFAULT_STALL_NS (1000ull * 1000 * 1000)
/* --max-overhead: README (Overhead guard) says why 5 */
#define OPTS_DEFAULT_MAX_OVERHEAD 5.0
/* -d: a month is longer than anyone traces; the bound rejects typos such as 1e300. */
#define OPTS_MAX_DURATION_NS (31ull * 86400 * 1000 * 1000 * 1000)

struct opts {
	pid_t pid;	    /* -p, 0 if a command or FILE is given */
	char **cmd;	    /* argv after "--", NULL with -p */
	struct spec *specs; /* -u, --list, -x and --span (two each: BEGIN, END), in order */
	size_t nspecs;
	unsigned int npairs; /* --span */
	const char *output; /* -o */
	uint64_t duration_ns; /* -d, 0 = until the target exits */
	uint64_t ringbuf_size;
	const char *save_records; /* --save-records FILE, NULL if not given */
	uint64_t min_wait_ns; /* --min-wait */
	uint64_t stall_ns;    /* --stall */
	bool probe_at_entry; /* --probe-at=entry: every entry probe on the first byte */
	/* --max-overhead: the probes' share of the traced processes' CPU time, in percent
	   (0 < x <= 100); 0: off, no guard */
	double max_overhead;
	bool list;	     /* --list: print the functions and their probes, attach nothing */
	bool list_json;	     /* --format json */
	const char *file;    /* --list FILE: the object looked into, NULL with -p or -- */
	uint64_t max_size;   /* --max-size, 0 = no limit */
	bool count;	     /* -c: statistics only, no trace written */
	bool quiet;	     /* -q: no live status line */
	bool verbose;
	bool help;
};

/*
 * Parses argv. Returns 0, or -1 with a one-line message (no prefix, no
 * newline) in err naming the problem and the fix. On success opts owns the
 * parsed specs (free with opts__free); cmd points into argv.
 */
int opts__parse(int argc, char **argv, struct opts *o, char *err, size_t errlen);
void opts__free(struct opts *o);
void opts__usage(FILE *f);

#endif
