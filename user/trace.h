/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Trace output formats behind one table of callbacks. The loader only talks
 * to struct trace_ops; Chrome Trace Event JSON (user/chrome.c) is the first
 * implementation. Writers stream: nothing is kept per event.
 */
#ifndef SPANTRACE_TRACE_H
#define SPANTRACE_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One finished (or cut-off) span, as a writer receives it. */
struct trace_span {
	uint32_t pid, tid;
	uint64_t start_ns; /* CLOCK_MONOTONIC */
	uint64_t dur_ns;
	const char *name;   /* display name, e.g. demangled function */
	const char *func;   /* symbol name, goes to args */
	const char *object; /* path of the ELF object, goes to args; may be NULL */
	bool unfinished;    /* still open when tracing stopped */
};

struct trace_writer;

struct trace_ops {
	const char *name;
	/* Starts the document on f. Returns NULL on allocation failure. */
	struct trace_writer *(*open)(FILE *f);
	void (*process_name)(struct trace_writer *w, uint32_t pid, const char *name);
	void (*thread_name)(struct trace_writer *w, uint32_t pid, uint32_t tid, const char *name);
	void (*span)(struct trace_writer *w, const struct trace_span *s);
	/* Ends the document and frees w (not f). Returns 0, or -1 if any write failed. */
	int (*close)(struct trace_writer *w);
};

extern const struct trace_ops chrome_trace_ops;

#endif
