/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records shared by the BPF programs and the loader. Only fixed-width types:
 * both compilers see the same layout, and the _Static_asserts below fail the
 * build on either side if it drifts.
 *
 * Every ring-buffer record starts with struct st_hdr; the loader dispatches on
 * hdr.type in one place (user/events.c).
 */
#ifndef SPANTRACE_H
#define SPANTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum st_rec_type {
	ST_REC_SPAN_BEGIN = 1, /* entry of a span function */
	ST_REC_SPAN_END = 2,   /* return of a span function */
	ST_REC_TASK = 3,       /* first record of a thread: its name */
};

struct st_hdr {
	__u8 type;  /* enum st_rec_type */
	__u8 flags; /* reserved, 0 */
	__u16 cpu;  /* CPU the record was produced on */
	__u32 tid;  /* kernel thread id (task pid) */
	__u64 ts;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, ns */
};

/* ST_REC_SPAN_BEGIN and ST_REC_SPAN_END */
struct st_span {
	struct st_hdr hdr;
	__u32 pid;   /* thread group id */
	__u32 probe; /* index into the loader's probe table (the attach cookie) */
};

/*
 * ST_REC_TASK: sent once per thread, before its first span record, so the
 * thread's name is known even when it has exited before the loader looks.
 */
#define ST_COMM_LEN 16
struct st_task {
	struct st_hdr hdr;
	__u32 pid;
	__u32 _pad;
	char comm[ST_COMM_LEN];
};

_Static_assert(sizeof(struct st_hdr) == 16, "st_hdr layout");
_Static_assert(sizeof(struct st_span) == 24, "st_span layout");
_Static_assert(sizeof(struct st_task) == 40, "st_task layout");

/* Upper bound on traced processes held in the tgid filter map. */
#define ST_MAX_TGIDS 4096
/* Threads remembered as already named; an evicted one is named again (harmless). */
#define ST_MAX_SEEN_TIDS 65536

#endif /* SPANTRACE_H */
