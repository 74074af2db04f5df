/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What spantrace needs to know about a Go executable (x86-64 Linux ELF) to
 * follow its goroutines: the Go version it was built with (.go.buildinfo),
 * and where the runtime keeps a goroutine's id and stack top in its runtime.g
 * (from DWARF when the binary has it, else from a table of Go versions).
 */
#ifndef SPANTRACE_GOBIN_H
#define SPANTRACE_GOBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gobin {
	bool is_go;		/* .go.buildinfo, .gopclntab or .note.go.buildid */
	bool x86_64;		/* ELF64 EM_X86_64 */
	char version[64];	/* "go1.19.8" from .go.buildinfo; "" if unknown */
	int major, minor;	/* 1, 19; 0, 0 if unknown (or "devel ...") */
	bool has_dwarf;		/* .debug_info (or .zdebug_info) is there */
	uint32_t goid_off;	/* offset of runtime.g.goid; 0 if unknown */
	uint32_t stack_hi_off;	/* offset of runtime.g.stack.hi; 0 if unknown */
	const char *goid_from;	/* "DWARF" or "version table" (for -v); NULL if unknown */
};

/*
 * Reads path. Returns 0 with out filled: is_go false for anything that is not
 * a Go ELF executable (a C program, a script, a non-ELF file). Returns a
 * negative errno and a one-line reason in err when the file cannot be read.
 */
int gobin__inspect(const char *path, struct gobin *out, char *err, size_t errlen);
/*
 * The same from a file's bytes in memory, image[0..size), which libelf may
 * convert in place (it must be writable): the fuzz harness's entry point.
 * Returns 0, or -ENOSYS when libelf cannot be used.
 */
int gobin__inspect_mem(void *image, size_t size, struct gobin *out);

/*
 * Whether spantrace can trace goroutines in g, the result of inspecting path:
 * 0 if so (and for anything that is not Go: nothing to check), else -1 with a
 * one-line reason naming the fix in err.
 */
int gobin__check(const struct gobin *g, const char *path, char *err, size_t errlen);

/*
 * Parses "goM.N[.P]" (also "go1.21rc2", "go1.22.0 X:loopvar") into major and
 * minor. Returns false, with both 0, for anything else ("devel ...", "").
 */
bool gobin__parse_version(const char *v, int *major, int *minor);

/*
 * The runtime.g offsets of an amd64 Go version, without DWARF: true for Go
 * 1.17 to 1.25, false (offsets 0) for any other version.
 */
bool gobin__table_offsets(int major, int minor, uint32_t *goid_off, uint32_t *stack_hi_off);

#endif
