// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/filter.h>
#include <stdio.h>

#include "kfeatures.h"
#include "tracefs.h"
#include "util.h"
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

	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "st_umulti_probe", "GPL", insns, 2, &po);
	if (prog < 0)
		return false;
	link = umulti__link_create(prog, "/", &offset, NULL, 1, 0, 0);
	err = errno;
	if (link >= 0)
		close(link);
	close(prog);
	return link < 0 && err == EBADF;
}

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe/type"

/* Reads the ids of the syscall tracepoints: NULL, or why they cannot be used. */
static const char *probe_syscall_tps(struct features *f)
{
	static char why[200];

	if (util__env_set("SPANTRACE_NO_SYSCALL_TPS"))
		return "SPANTRACE_NO_SYSCALL_TPS is set";
	if (tracefs__event_ids("syscalls", kev_syscall_tps, KEV_NSYSCALL_TPS, f->syscall_tp_ids,
			       why, sizeof(why)))
		return why;
	return NULL;
}

static void probe_kernel_events(struct features *f, const struct ksyms *ks)
{
	struct btf *btf = btf__load_vmlinux_btf();

	f->btf = btf != NULL;
	btf__free(btf);
	snprintf(f->btf_why, sizeof(f->btf_why), "%s",
		 f->btf ? "kernel BTF found" :
			  "no kernel BTF (/sys/kernel/btf/vmlinux is missing: the kernel "
			  "needs CONFIG_DEBUG_INFO_BTF)");
	kev_features__decide(&f->kev, ks, access(KPROBE_PMU, R_OK) == 0,
			     util__env_set("SPANTRACE_NO_KPROBES"), probe_syscall_tps(f));
}

int features__syscall_tp_id(const struct features *f, const char *name)
{
	for (size_t i = 0; i < KEV_NSYSCALL_TPS; i++)
		if (!strcmp(kev_syscall_tps[i], name))
			return f->syscall_tp_ids[i];
	return -1;
}

void features__probe(struct features *f, const struct ksyms *ks)
{
	memset(f, 0, sizeof(*f));
	probe_kernel_events(f, ks);
	if (util__env_set("SPANTRACE_NO_UPROBE_MULTI")) {
		f->uprobe_why = "per-function perf uprobes (SPANTRACE_NO_UPROBE_MULTI is set)";
		return;
	}
	f->uprobe_multi = probe_uprobe_multi();
	f->uprobe_why = f->uprobe_multi ?
				"uprobe_multi links, one per object and direction" :
				"per-function perf uprobes (this kernel has no uprobe_multi links, "
				"Linux 6.6+); stopping costs one RCU grace period per function";
}
