/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Attaches the sites of user/symbols/sites.c: uprobe_multi links (one per file,
 * program and direction) where the kernel has them, one perf uprobe per site
 * otherwise. A function the kernel refuses to probe at one of its sites loses
 * all its sites: a span needs both its ends.
 */
#ifndef SPANTRACE_UPROBES_H
#define SPANTRACE_UPROBES_H

#include <stdbool.h>
#include <stddef.h>

#include "resolve.h"
#include "sites.h"

struct bpf_program;
struct bpf_link;

struct uprobes {
	/* set by the caller */
	const struct probe_table *probes;
	struct site_table *sites; /* skipped[] gains the functions the kernel refused */
	struct bpf_program *progs[SITE_NPROGS];
	bool multi;
	/* the process a site in path is filtered on; 0: any (see loader.c) */
	int (*pid_for)(void *ctx, const char *path);
	void *ctx;

	/* attach state */
	int *mlinks;
	size_t nmlinks, mcap;
	struct bpf_link **links; /* perf path: one per site */
	int refused_errno;	 /* why the last function was refused */
	size_t nrefused;
};

/*
 * 0, or -errno (e.g. -ESRCH) with the failing site's description in err.
 * verbose (-v): says how many sites were attached, and how.
 */
int uprobes__attach(struct uprobes *u, bool verbose, char *err, size_t errlen);
void uprobes__detach(struct uprobes *u);
void uprobes__free(struct uprobes *u);

/* Kernel-internal ENOTSUPP: the instruction at the address cannot be probed. */
#define KERNEL_ENOTSUPP 524
const char *uprobes__strerror(int e);

#endif
