/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where uprobes go: turns the probe table into attach sites (file, offset,
 * program, cookie). Pure apart from reading the functions' code, so the rules
 * are unit-tested:
 *   - every entry probe on the cheapest instruction that leaves the
 *     arguments and the stack as the first byte has them (disasm__entry),
 *     or at the first byte with SITES_AT_ENTRY (--probe-at=entry);
 *   - a C span function: that entry uprobe, and a uretprobe;
 *   - a Go span function, and a C one in a process that can unwind
 *     exceptions (C++, Rust): that entry uprobe (in Go usually the stack
 *     check's jbe) and one on each way out: RETs and tail jumps, of the
 *     function and of its cold part (never a uretprobe: the Go runtime
 *     copies stacks and aborts on a return address it did not put there,
 *     and an exception unwinding through one finds no unwind information
 *     and ends the program in std::terminate); a function with no way out
 *     a probe can see cannot be a span function there; the entry probe on a
 *     function's only instruction before it leaves is also its end;
 *   - a pair's BEGIN and END functions: the entry uprobe only (Go: right
 *     after the stack check, where a call whose stack grows passes once);
 *   - in a Go program with span probes, the runtime functions that make
 *     goroutines, end them and start panics;
 *   - in a process that can unwind exceptions, the unwinder's entry points:
 *     where an exception begins, and where its unwinding runs code in a
 *     frame it passes (a catch, a cleanup), so the frames below are gone;
 *   - no site on an instruction the kernel would not run exactly
 *     (disasm__probe_safe): its function loses all its sites.
 */
#ifndef SPANTRACE_SITES_H
#define SPANTRACE_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disasm.h"
#include "resolve.h"

/* The BPF program a site runs. */
enum site_prog {
	SITE_ENTER,	   /* span_enter */
	SITE_ENTER_NAMED,  /* span_enter_named: sleepable, for names read from arguments */
	SITE_EXIT,	   /* span_exit */
	SITE_GO_NEWPROC,   /* go_newproc: runtime.newproc entry */
	SITE_GO_NEWPROC_RET, /* go_newproc_ret: runtime.newproc1 RETs */
	SITE_GO_GOEXIT,	   /* go_goexit: runtime.goexit1 entry */
	SITE_GO_PANIC,	   /* go_panic: runtime.gopanic entry */
	SITE_UNWIND,	   /* unwind_event: the unwinder's entry points (st_unwind_kind) */
	SITE_NPROGS,
};

#define SITE_NO_PROBE UINT32_MAX

/*
 * What one hit of a site costs the traced thread, by how the kernel runs
 * it: the kinds the overhead guard calibrates (user/live/calib.c).
 */
enum site_cost {
	SITE_COST_NOP5 = DISASM_OPTIMIZED,     /* a 5-byte nop, turned into a call */
	SITE_COST_EMULATED = DISASM_EMULATED,  /* push, nop, relative jmp/jcc/call: one trap */
	SITE_COST_STEPPED = DISASM_STEPPED,    /* anything else: single-stepped out of line */
	SITE_COST_RET = DISASM_RET,	       /* a RET instruction: single-stepped */
	SITE_COST_URETPROBE,		       /* a uretprobe's return, beyond its entry's hit */
	SITE_NCOSTS,
};

/* The kind's name in messages and the trace ("emulated", "uretprobe"...). */
const char *sites__cost_name(int cost);

struct site {
	const char *path; /* where this process opens the file (points into the probe table) */
	uint64_t offset;
	uint64_t cookie;  /* ST_CK_* | probe index */
	uint32_t probe;	  /* index in the probe table, SITE_NO_PROBE for runtime sites */
	uint8_t prog;	  /* enum site_prog */
	bool retprobe;	  /* uretprobe at offset (C returns) */
	uint8_t cost;	  /* enum site_cost, from the instruction at offset */
};

struct site_table {
	struct site *v;
	size_t n;
	bool *skipped;	  /* per probe: no sites (see below) */
	size_t nskipped;
	char **why;	  /* per probe: why it was skipped, or NULL */
	const char **skip_kind; /* per probe: why, in a few words shared by its like */
	uint32_t *entry;  /* per probe: the entry probe's offset in the function */
	char **place;	  /* per probe: where the entry probe sits and why, in words */
	/* per probe: the instruction the entry probe sits on, and its cost (size 0: not read) */
	struct disasm_insn *entry_insn;
	bool *ret_insns;  /* per probe: its return is probed on its ways out, not a uretprobe */
	uint32_t *nexits; /* per probe: ways out probed (RETs, tail jumps) */
	uint32_t *nhidden; /* per probe: ways out no probe sees (conditional, indirect jumps) */
	bool go;	  /* has goroutine sites */
	size_t nruntime;  /* runtime sites */
	size_t nunwind;	  /* the unwinder's sites */
};

/* What the loader knows of the target that decides where probes go. */
struct sites_target {
	/* open_path of the Go executable whose goroutines are followed, or NULL */
	const char *go_path;
	/*
	 * Exceptions can unwind through C frames of the process (an unwinder
	 * is mapped: libstdc++, libgcc_s): C returns on their instructions,
	 * records with the stack pointer, and the unwinder's sites in these
	 * objects.
	 */
	bool unwinds;
	const char *const *unwinder_paths;
	size_t nunwinder_paths;
	unsigned int flags; /* SITES_* */
};

/*
 * Builds the sites of every probe. Probes in tg->go_path are Go probes, and
 * the runtime functions are looked up there.
 *
 * A probe that cannot be placed (a Go function with no RET) is marked
 * skipped with the reason in why[]; whether that is fatal is the caller's
 * call. Errors (unreadable code, an argument the ABI does not pass in a
 * register, a Go runtime without the functions goroutines are tracked by)
 * return -1 with a one-line message.
 */
#define SITES_AT_ENTRY 1u /* every entry probe on the first byte (--probe-at=entry) */
/*
 * C returns on RET instructions instead of uretprobes (SPANTRACE_C_RET_PROBES=1,
 * for `make bench`, which measures both). A function that ends in a tail call
 * keeps its uretprobe.
 */
#define SITES_C_RETS 2u
int sites__build(const struct probe_table *pt, const struct sites_target *tg,
		 struct site_table *out, char *err, size_t errlen);
void sites__free(struct site_table *st, size_t nprobes);
/*
 * Probe i gets no site, for a reason found outside its code (kind: in a few
 * words its like share; why: in full) that stands before any its code gave.
 * 0, or -ENOMEM.
 */
int sites__refuse(struct site_table *st, size_t i, const char *kind, const char *why);

/* Highest argument word a name can be read from: C (SysV), Go (a string takes two words). */
#define SITES_MAX_C_ARG 5
#define SITES_MAX_GO_STR_ARG 7

#endif
