/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Turns SPECs into probes: which functions, in which mapped object, at which
 * file offset. Pure (files and the list of objects in, table out), so the
 * error messages are unit-tested.
 */
#ifndef SPANTRACE_RESOLVE_H
#define SPANTRACE_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"
#include "spec.h"

/* An ELF object the target has mapped (or, for a command not yet started, will map). */
struct target_obj {
	const char *path;      /* as /proc/PID/maps (or the command line) names it */
	const char *open_path; /* where this process reads and probes it, once opened
				* (/proc/self/fd/N: the very file mapped); NULL before */
	bool is_main;
	bool deleted;	       /* unlinked since the process mapped it */
};

/*
 * Appends to out the functions every spec matches; duplicates (same object
 * and offset, e.g. from overlapping globs or symbol aliases) become one probe,
 * unless their SPECs give them different roles or names: that is an error.
 * Returns 0, or -1 with a one-line error in err: an OBJECT that matches no
 * mapped object or several, a PATTERN that matches nothing (with the objects
 * searched and close names suggested), an unreadable object.
 */
/*
 * The object a SPEC names: its OBJECT, or the main executable. 0 and *pick, or
 * -1 with a one-line error (no such object, several, no main executable).
 */
int resolve__pick_object(const struct spec *s, const struct target_obj *objs, size_t nobjs,
			 const struct target_obj **pick, char *err, size_t errlen);

int resolve__specs(const struct spec *specs, size_t nspecs, const struct target_obj *objs,
		   size_t nobjs, struct probe_table *out, char *err, size_t errlen);

/*
 * A compiler-made fragment of another function ("f.cold", "f.cold.1"): code
 * that function jumps to, never called. It is not a function to trace.
 */
bool resolve__is_fragment(const char *sym);

/* Demangled C++ name without parameters, or a copy of sym. Never NULL unless out of memory. */
char *resolve__display_name(const char *sym);

#endif
