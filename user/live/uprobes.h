/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Attaches the sites of user/symbols/sites.c: uprobe_multi links (one per file,
 * program and direction) where the kernel has them, one perf uprobe per site
 * otherwise. A function the kernel refuses to probe at one of its sites loses
 * all its sites: a span needs both its ends.
 *
 * The overhead guard stops probing functions while tracing (uprobes__stop):
 * per-function links are closed, entries first; a uprobe_multi link is
 * replaced by one without them, the old and the new firing side by side for
 * a moment, which the BPF side makes one record per hit (bpf/guard.bpf.h).
 */
#ifndef SPANTRACE_UPROBES_H
#define SPANTRACE_UPROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resolve.h"
#include "sites.h"

struct bpf_program;
struct bpf_link;

/* A uprobe_multi link: every live site of one file, program and direction. */
struct mlink {
	int fd;
	const char *path;
	uint8_t prog;
	bool ret;
	bool gen; /* the ST_CK_GEN bit of its cookies */
};

struct uprobes {
	/* set by the caller */
	const struct probe_table *probes;
	struct site_table *sites; /* skipped[] gains the functions the kernel refused */
	struct bpf_program *progs[SITE_NPROGS];
	bool multi;
	/* the process a site in path is filtered on; 0: any (see loader.c) */
	int (*pid_for)(void *ctx, const char *path);
	void *ctx;
	/* uprobes__stop: the swap state of the BPF object (bpf/guard.bpf.h), and what to do
	   between slow steps (read the ring buffer, which fills meanwhile) */
	uint32_t *swap_epoch, *swap_new_gen;
	void (*between)(void *ctx);

	/* attach state */
	struct mlink *mlinks;
	size_t nmlinks, mcap;
	uint32_t nswaps;	 /* multi links replaced so far */
	bool *stopped;		 /* per probe: uprobes__stop took its sites off */
	struct bpf_link **links; /* perf path: one per site */
	int refused_errno;	 /* why the last function was refused */
	size_t nrefused;
};

/*
 * 0, or -errno (e.g. -ESRCH) with the failing site's description in err.
 * verbose (-v): says how many sites were attached, and how.
 */
int uprobes__attach(struct uprobes *u, bool verbose, char *err, size_t errlen);
/*
 * Takes every site of the probes with stop[i] set off, for good; the other
 * sites stay. When it returns, no hit of theirs can be recorded any more.
 * 0, or -errno with the reason in err (their sites then stay, all or some).
 */
int uprobes__stop(struct uprobes *u, const bool *stop, char *err, size_t errlen);
void uprobes__detach(struct uprobes *u);
void uprobes__free(struct uprobes *u);

/* Kernel-internal ENOTSUPP: the instruction at the address cannot be probed. */
#define KERNEL_ENOTSUPP 524
const char *uprobes__strerror(int e);

#endif
