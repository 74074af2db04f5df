/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The output formats spantrace can write, in one table: each one's name, the
 * file extension that picks it, and its writer (struct trace_ops, trace.h).
 * A new format is its writer's file and one entry in formats.c; the loader
 * and bench/replay pick from the table and name no writer themselves.
 */
#ifndef SPANTRACE_FORMATS_H
#define SPANTRACE_FORMATS_H

#include <stddef.h>

struct trace_ops;

struct trace_format {
	const char *name; /* what the user would call it: "chrome" */
	const char *ext;  /* an output path ending in it is of this format: ".json" */
	const char *what; /* one line for help texts */
	const struct trace_ops *ops;
};

/* Every format; the first is the default. */
extern const struct trace_format trace_formats[];
extern const size_t trace_nformats;

/* The format called name, or NULL. */
const struct trace_format *trace_format__by_name(const char *name);
/*
 * The format of an output path, by its ending: the format with the longest
 * extension the path ends in, else the default (standard output, "-", a
 * device, a name without one of the table's extensions).
 */
const struct trace_format *trace_format__for_path(const char *path);

#endif
