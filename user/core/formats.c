// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table of output formats. See formats.h. */
#include <stdbool.h>
#include <string.h>

#include "formats.h"
#include "trace.h"

/* Each writer's callbacks, defined in its own file and named only here. */
extern const struct trace_ops chrome_trace_ops;

const struct trace_format trace_formats[] = {
	{ .name = "chrome",
	  .ext = ".json",
	  .what = "Chrome Trace Event JSON (Perfetto, chrome://tracing, speedscope)",
	  .ops = &chrome_trace_ops },
};
const size_t trace_nformats = sizeof(trace_formats) / sizeof(trace_formats[0]);

const struct trace_format *trace_format__by_name(const char *name)
{
	for (size_t i = 0; i < trace_nformats; i++)
		if (strcmp(trace_formats[i].name, name) == 0)
			return &trace_formats[i];
	return NULL;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return k <= n && memcmp(s + n - k, suffix, k) == 0;
}

const struct trace_format *trace_format__for_path(const char *path)
{
	const struct trace_format *best = &trace_formats[0];
	size_t n = strlen(path), best_len = 0;

	/* the longest wins: ".otlp.json" over ".json" */
	for (size_t i = 0; i < trace_nformats; i++) {
		size_t k = strlen(trace_formats[i].ext);

		if (k > best_len && ends_with(path, n, trace_formats[i].ext)) {
			best = &trace_formats[i];
			best_len = k;
		}
	}
	return best;
}
