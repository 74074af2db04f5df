/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How the kernel events are observed, decided from what the kernel has:
 * kprobes or tracepoints (struct kev_features, from a kallsyms table,
 * whether the kernel has kprobes at all and whether it has syscall
 * tracepoints), and the attach plan that follows,
 * the list of kernel-event programs to attach, how and where. Pure: unit tests
 * feed a kallsyms text file; user/live/kfeatures.c asks the kernel for the
 * booleans and user/live/kevents.c carries the plan out.
 */
#ifndef SPANTRACE_KPLAN_H
#define SPANTRACE_KPLAN_H

#include <stdbool.h>
#include <stddef.h>

struct ksyms;

/* pipe_write, or anon_pipe_write and fifo_pipe_write (Linux 6.15+) */
#define KEV_MAX_PIPE_FUNCS 2

/*
 * The syscall tracepoints (tracefs events/syscalls/NAME) that observe pipe
 * writes where there are no kprobes: the exits of write and writev, then
 * their entries (an entry seen before its exit's program is attached would
 * be left open).
 */
#define KEV_NSYSCALL_TPS 4
extern const char *const kev_syscall_tps[KEV_NSYSCALL_TPS];

struct kev_features {
	/* kprobes: the kprobe PMU exists (CONFIG_KPROBES) and kallsyms is readable. */
	bool kprobes;
	char kprobes_why[160];
	/* Pipe writes: kprobes on these kernel functions, or (none) tracepoints. */
	const char *pipe_funcs[KEV_MAX_PIPE_FUNCS];
	size_t npipe_funcs;
	char pipe_why[448];
	/*
	 * The tracepoints for pipe writes, without kprobes or when one fails:
	 * write's and writev's own syscall tracepoints, or, where the kernel has
	 * none, the raw sys_enter and sys_exit, which every syscall of every
	 * process on the host pays for. pipe_tps says which, and why.
	 */
	bool syscall_tps;
	char pipe_tps[240];
	/* Exits: a kprobe on do_exit, or the sched_process_exit tracepoint. */
	bool exit_kprobe;
	char exit_why[240];
};

/*
 * Decides how each kernel event is observed. ks: the kernel's functions (NULL:
 * /proc/kallsyms was unreadable); kprobe_pmu: the kernel has the kprobe PMU;
 * kprobes_off: the user forbade kprobes (SPANTRACE_NO_KPROBES);
 * no_syscall_tps: NULL if the kernel has the syscall tracepoints of
 * kev_syscall_tps, else why not. The why strings say what was chosen and, for
 * a tracepoint, why not a kprobe.
 */
void kev_features__decide(struct kev_features *f, const struct ksyms *ks, bool kprobe_pmu,
			  bool kprobes_off, const char *no_syscall_tps);

/* The kernel-event programs of bpf/proctree.bpf.c and bpf/waits.bpf.c. */
enum kev_prog {
	KEV_PROG_FORK,		/* on_fork */
	KEV_PROG_EXEC,		/* on_exec */
	KEV_PROG_SIGNAL,	/* on_signal */
	KEV_PROG_SWITCH,	/* on_switch */
	KEV_PROG_EXIT_KPROBE,	/* on_exit_kprobe */
	KEV_PROG_EXIT_TP,	/* on_exit_tp */
	KEV_PROG_PIPE_ENTER,	/* pipe_write_enter */
	KEV_PROG_PIPE_RETURN,	/* pipe_write_return */
	KEV_PROG_WRITE_ENTER,	/* on_write_enter */
	KEV_PROG_WRITE_EXIT,	/* on_write_exit */
	KEV_PROG_SYS_ENTER,	/* on_sys_enter */
	KEV_PROG_SYS_EXIT,	/* on_sys_exit */
	KEV_NPROGS,
};

/* The program's name in the BPF object. */
const char *kev_prog__name(enum kev_prog p);

/*
 * KEV_TRACEPOINT: a BTF tracepoint (tp_btf, named in the program's section);
 * KEV_SYSCALL_TP: a syscall tracepoint, by its tracefs id (a perf event).
 */
enum kev_how { KEV_TRACEPOINT, KEV_SYSCALL_TP, KEV_KPROBE, KEV_KRETPROBE };

/* What a step observes. The steps of one event stand or fall together. */
enum kev_event {
	KEV_EV_PROCESS_TREE,
	KEV_EV_SIGNALS,
	KEV_EV_WAITS,
	KEV_EV_EXITS,
	KEV_EV_PIPES,
	KEV_NEVENTS,
};

struct kev_step {
	enum kev_event event;
	enum kev_prog prog;
	enum kev_how how;
	const char *target; /* the tracepoint, or the kernel function probed */
	/*
	 * Attached only if a step of the same event that is not a fallback
	 * failed to attach (a kprobe the kernel refused): then those steps'
	 * links are destroyed and the fallbacks attached instead.
	 */
	bool fallback;
};

/*
 * The largest plan: four tracepoints (fork, exec, signals, waits), do_exit's
 * kprobe and its tracepoint, a kprobe and a kretprobe on each pipe write
 * function and the syscall tracepoints they fall back to. Each step makes
 * at most one link, so an array of KPLAN_MAX links always holds a plan's.
 */
#define KPLAN_MAX (4 + 2 + 2 * KEV_MAX_PIPE_FUNCS + KEV_NSYSCALL_TPS)

/* Steps in attach order; the steps of one event are contiguous. */
struct kplan {
	struct kev_step v[KPLAN_MAX];
	size_t n;
};

/* The attach plan for f. */
void kplan__build(const struct kev_features *f, struct kplan *p);

/* Carrying a plan out; the caller does the attaching (kevents.c with libbpf). */
struct kplan_exec {
	/* Attaches one step, keeping what it made: 0, or -errno. */
	int (*attach)(void *ctx, const struct kev_step *st);
	/* Undoes the last step attached and not yet undone. */
	void (*detach_last)(void *ctx);
	/* Step st failed with -err; its event's fallbacks are attached instead. */
	void (*falling_back)(void *ctx, const struct kev_step *st, int err);
	void *ctx;

	/* Out. */
	bool fell_back[KEV_NEVENTS];   /* the event's fallbacks were attached */
	const struct kev_step *failed; /* on error: the step that failed, */
	int error;		       /* and its -errno */
};

/*
 * Attaches the steps of p in order, fallbacks only for an event that fell
 * back. When a step that is not a fallback fails and its event has fallbacks,
 * the event's steps attached so far are undone and its fallbacks attached
 * instead. Returns 0, or -1 when any other step fails (x->failed, x->error):
 * what was attached stays, for the caller to undo.
 */
int kplan__run(const struct kplan *p, struct kplan_exec *x);

#endif
