// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "umulti.h"

/* union bpf_attr's link_create as Linux 6.6 extended it. */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 uflags;
	__u32 pid;
};

_Static_assert(offsetof(struct link_create_uprobe_multi, path) == 16, "uapi layout");
_Static_assert(offsetof(struct link_create_uprobe_multi, pid) == 56, "uapi layout");

int umulti__link_create(int prog_fd, const char *path, const unsigned long *offsets,
			const unsigned long long *cookies, unsigned int cnt, unsigned int flags,
			int pid)
{
	struct link_create_uprobe_multi a;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)prog_fd;
	a.attach_type = ST_TRACE_UPROBE_MULTI;
	a.path = (__u64)(unsigned long)path;
	a.offsets = (__u64)(unsigned long)offsets;
	a.cookies = (__u64)(unsigned long)cookies;
	a.cnt = cnt;
	a.uflags = flags;
	a.pid = (__u32)pid;
	return (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
}
