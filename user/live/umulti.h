/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * BPF_TRACE_UPROBE_MULTI links, which libbpf 1.1 predates: the attach type
 * and the link_create layout are the kernel's UAPI (Linux 6.6).
 */
#ifndef SPANTRACE_UMULTI_H
#define SPANTRACE_UMULTI_H

#include <stddef.h>

#define ST_TRACE_UPROBE_MULTI 48	/* enum bpf_attach_type */
#define ST_F_UPROBE_MULTI_RETURN 1u

/* Returns a link fd, or -1 with errno. cookies may be NULL. */
int umulti__link_create(int prog_fd, const char *path, const unsigned long *offsets,
			const unsigned long long *cookies, unsigned int cnt, unsigned int flags,
			int pid);

#endif
