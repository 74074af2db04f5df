// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/filter.h>

#include "kfeatures.h"
#include "umulti.h"

/*
 * A kernel with uprobe_multi accepts the program and then rejects "/" as not a
 * regular file (EBADF); one without it fails earlier with EINVAL.
 */
static bool probe_uprobe_multi(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = ST_TRACE_UPROBE_MULTI);
	unsigned long offset = 0;
	int prog, link, err;

	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &po);
	if (prog < 0)
		return false;
	link = umulti__link_create(prog, "/", &offset, NULL, 1, 0, 0);
	err = errno;
	if (link >= 0)
		close(link);
	close(prog);
	return link < 0 && err == EBADF;
}

void features__probe(struct features *f)
{
	const char *force = getenv("SPANTRACE_NO_UPROBE_MULTI");

	memset(f, 0, sizeof(*f));
	if (force && *force && strcmp(force, "0") != 0) {
		f->uprobe_why = "per-function perf uprobes (SPANTRACE_NO_UPROBE_MULTI is set)";
		return;
	}
	f->uprobe_multi = probe_uprobe_multi();
	f->uprobe_why = f->uprobe_multi ?
				"uprobe_multi links, one per object and direction" :
				"per-function perf uprobes (this kernel has no uprobe_multi links, "
				"Linux 6.6+); stopping costs one RCU grace period per function";
}
