/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The uprobe plan of a target: the functions the SPECs match in its objects
 * (resolve.h) and where each one's probes go (sites.h), with what decides
 * that: whether the main executable is Go and its goroutines can be
 * followed, whether exceptions can unwind through its frames. Tracing
 * attaches the plan; --list prints it and attaches nothing.
 */
#ifndef SPANTRACE_UPLAN_H
#define SPANTRACE_UPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "gobin.h"
#include "opts.h"
#include "sites.h"
#include "target.h"
#include "unwind.h"

struct uplan {
	struct gobin go;	   /* the main executable, if it is Go */
	const char *go_path;	   /* its open_path when its functions are probed as Go's */
	struct unwind_info unwind; /* can exceptions unwind through traced frames? */
};

/*
 * Opens the objects the SPECs of o name, resolves the SPECs into probes and
 * plans their sites. verbose (-v) says what decided the plan. A Go executable
 * whose goroutines spantrace cannot follow is an error, or with o->list its
 * functions are refused with that reason (their sites are planned as Go's).
 * Functions that cannot be probed are marked in sites, never an error here.
 * 0, or -1 with a one-line error.
 */
int uplan__build(struct uplan *u, struct target *t, const struct opts *o,
		 struct probe_table *probes, struct site_table *sites, char *err, size_t errlen);

#endif
