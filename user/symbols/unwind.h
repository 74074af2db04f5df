/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Can an exception unwind through the target's C frames? C++ throws (and
 * Rust panics) unwind the stack frame by frame with the unwind information
 * of each return address. A uretprobe replaces a frame's return address with
 * the kernel's trampoline, for which there is none: an exception thrown
 * through a traced call then ends the program in std::terminate. So where an
 * unwinder is present, returns are probed on their instructions instead.
 *
 * The unwinder is present when the process maps libgcc_s (C++ through
 * libstdc++, Rust) or libstdc++, or when the executable has one linked in
 * (static builds: it defines _Unwind_RaiseException). A C program that maps
 * neither cannot throw; glibc loads libgcc_s later only for pthread_cancel
 * and backtrace(), which then see a traced frame as the end of the stack.
 */
#ifndef SPANTRACE_UNWIND_H
#define SPANTRACE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>

#include "resolve.h"

#define UNWIND_MAX_OBJS 4

struct unwind_info {
	bool present;
	char why[160]; /* what shows it, e.g. "libstdc++.so.6 is mapped" */
	/* where the unwinder's entry points may be defined: open paths */
	const char *objs[UNWIND_MAX_OBJS];
	size_t nobjs;
};

/*
 * The objects whose files unwind__detect reads: the unwinder libraries and
 * the executable. Their indices in objs go to idx (at most max); returns
 * how many. They must be opened (open_path set) to be looked into.
 */
size_t unwind__candidates(const struct target_obj *objs, size_t nobjs, size_t *idx, size_t max);
/*
 * Looks at the target's objects: an unwinder library mapped, or an
 * unwinder in the executable's symbols. Objects not opened are judged by
 * name alone and give no entry points.
 */
void unwind__detect(const struct target_obj *objs, size_t nobjs, struct unwind_info *out);

#endif
