// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* How kernel events are observed, and the attach plan. See kplan.h. */
#include <stdio.h>
#include <string.h>

#include "kplan.h"
#include "ksyms.h"

const char *const kev_syscall_tps[KEV_NSYSCALL_TPS] = { "sys_exit_write", "sys_exit_writev",
							 "sys_enter_write", "sys_enter_writev" };

void kev_features__decide(struct kev_features *f, const struct ksyms *ks, bool kprobe_pmu,
			  bool kprobes_off, const char *no_syscall_tps)
{
	/* Where the pipe write path lives: split in two in Linux 6.15 (anon
	 * pipes and FIFOs got their own file_operations); one before. */
	static const char *const pipe_new[KEV_MAX_PIPE_FUNCS] = { "anon_pipe_write",
								   "fifo_pipe_write" };

	memset(f, 0, sizeof(*f));
	if (kprobes_off)
		snprintf(f->kprobes_why, sizeof(f->kprobes_why), "SPANTRACE_NO_KPROBES is set");
	else if (!kprobe_pmu)
		snprintf(f->kprobes_why, sizeof(f->kprobes_why), "no kprobes in this kernel");
	else if (!ks)
		snprintf(f->kprobes_why, sizeof(f->kprobes_why),
			 "kernel symbols unreadable (/proc/kallsyms)");
	else
		f->kprobes = true;

	if (f->kprobes) {
		for (size_t i = 0; i < KEV_MAX_PIPE_FUNCS; i++)
			if (ksyms__addr(ks, pipe_new[i]))
				f->pipe_funcs[f->npipe_funcs++] = pipe_new[i];
		if (!f->npipe_funcs && ksyms__addr(ks, "pipe_write"))
			f->pipe_funcs[f->npipe_funcs++] = "pipe_write";
	}
	f->syscall_tps = !no_syscall_tps;
	if (f->syscall_tps)
		snprintf(f->pipe_tps, sizeof(f->pipe_tps),
			 "syscall tracepoints (write, writev on pipe fds)");
	else
		snprintf(f->pipe_tps, sizeof(f->pipe_tps),
			 "raw tracepoints sys_enter/sys_exit, which every syscall on the host "
			 "pays for (write, writev on pipe fds; no syscall tracepoints: %s)",
			 no_syscall_tps);
	if (f->npipe_funcs)
		snprintf(f->pipe_why, sizeof(f->pipe_why), "kprobe on %s%s%s", f->pipe_funcs[0],
			 f->npipe_funcs > 1 ? " and " : "",
			 f->npipe_funcs > 1 ? f->pipe_funcs[1] : "");
	else
		snprintf(f->pipe_why, sizeof(f->pipe_why), "%s → %s + stack attribution",
			 f->kprobes ? "no pipe write function in kallsyms" : f->kprobes_why,
			 f->pipe_tps);

	f->exit_kprobe = f->kprobes && ksyms__addr(ks, "do_exit");
	if (f->exit_kprobe)
		snprintf(f->exit_why, sizeof(f->exit_why), "kprobe on do_exit");
	else
		snprintf(f->exit_why, sizeof(f->exit_why), "tracepoint sched_process_exit (%s)",
			 f->kprobes ? "no do_exit in kallsyms" : f->kprobes_why);
}

const char *kev_prog__name(enum kev_prog p)
{
	static const char *const names[KEV_NPROGS] = {
		[KEV_PROG_FORK] = "on_fork",
		[KEV_PROG_EXEC] = "on_exec",
		[KEV_PROG_SIGNAL] = "on_signal",
		[KEV_PROG_SWITCH] = "on_switch",
		[KEV_PROG_EXIT_KPROBE] = "on_exit_kprobe",
		[KEV_PROG_EXIT_TP] = "on_exit_tp",
		[KEV_PROG_PIPE_ENTER] = "pipe_write_enter",
		[KEV_PROG_PIPE_RETURN] = "pipe_write_return",
		[KEV_PROG_WRITE_ENTER] = "on_write_enter",
		[KEV_PROG_WRITE_EXIT] = "on_write_exit",
		[KEV_PROG_SYS_ENTER] = "on_sys_enter",
		[KEV_PROG_SYS_EXIT] = "on_sys_exit",
	};

	return (unsigned int)p < KEV_NPROGS ? names[p] : "?";
}

static void add(struct kplan *p, enum kev_event ev, enum kev_prog prog, enum kev_how how,
		const char *target, bool fallback)
{
	/* Never taken: KPLAN_MAX counts every step kplan__build can add, and the
	 * unit tests build the largest plan. Still, nothing is written past v[]. */
	if (p->n == KPLAN_MAX)
		return;
	p->v[p->n++] = (struct kev_step){ .event = ev, .prog = prog, .how = how,
					  .target = target, .fallback = fallback };
}

/* The tracepoints of the pipe writes, as f says: fallbacks of the kprobes, or not. */
static void add_pipe_tracepoints(struct kplan *p, const struct kev_features *f, bool fallback)
{
	if (!f->syscall_tps) {
		add(p, KEV_EV_PIPES, KEV_PROG_SYS_EXIT, KEV_TRACEPOINT, "sys_exit", fallback);
		add(p, KEV_EV_PIPES, KEV_PROG_SYS_ENTER, KEV_TRACEPOINT, "sys_enter", fallback);
		return;
	}
	for (size_t i = 0; i < KEV_NSYSCALL_TPS; i++)
		add(p, KEV_EV_PIPES,
		    !strncmp(kev_syscall_tps[i], "sys_exit", 8) ? KEV_PROG_WRITE_EXIT :
								  KEV_PROG_WRITE_ENTER,
		    KEV_SYSCALL_TP, kev_syscall_tps[i], fallback);
}

void kplan__build(const struct kev_features *f, struct kplan *p)
{
	size_t npipe = f->npipe_funcs < KEV_MAX_PIPE_FUNCS ? f->npipe_funcs : KEV_MAX_PIPE_FUNCS;

	p->n = 0;
	add(p, KEV_EV_PROCESS_TREE, KEV_PROG_FORK, KEV_TRACEPOINT, "sched_process_fork", false);
	add(p, KEV_EV_PROCESS_TREE, KEV_PROG_EXEC, KEV_TRACEPOINT, "sched_process_exec", false);
	add(p, KEV_EV_SIGNALS, KEV_PROG_SIGNAL, KEV_TRACEPOINT, "signal_generate", false);
	add(p, KEV_EV_WAITS, KEV_PROG_SWITCH, KEV_TRACEPOINT, "sched_switch", false);

	if (f->exit_kprobe)
		add(p, KEV_EV_EXITS, KEV_PROG_EXIT_KPROBE, KEV_KPROBE, "do_exit", false);
	add(p, KEV_EV_EXITS, KEV_PROG_EXIT_TP, KEV_TRACEPOINT, "sched_process_exit",
	    f->exit_kprobe);

	for (size_t i = 0; i < npipe; i++) {
		add(p, KEV_EV_PIPES, KEV_PROG_PIPE_ENTER, KEV_KPROBE, f->pipe_funcs[i], false);
		add(p, KEV_EV_PIPES, KEV_PROG_PIPE_RETURN, KEV_KRETPROBE, f->pipe_funcs[i], false);
	}
	add_pipe_tracepoints(p, f, npipe > 0);
}

static bool has_fallback(const struct kplan *p, size_t i)
{
	for (size_t j = i + 1; j < p->n && p->v[j].event == p->v[i].event; j++)
		if (p->v[j].fallback)
			return true;
	return false;
}

int kplan__run(const struct kplan *p, struct kplan_exec *x)
{
	size_t attached = 0; /* steps of the current event attached */

	memset(x->fell_back, 0, sizeof(x->fell_back));
	x->failed = NULL;
	x->error = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct kev_step *st = &p->v[i];
		int r;

		if (i == 0 || st->event != p->v[i - 1].event)
			attached = 0;
		if (st->fallback != x->fell_back[st->event])
			continue;
		r = x->attach(x->ctx, st);
		if (!r) {
			attached++;
			continue;
		}
		if (!st->fallback && has_fallback(p, i)) {
			x->falling_back(x->ctx, st, r);
			for (; attached; attached--)
				x->detach_last(x->ctx);
			x->fell_back[st->event] = true;
			continue;
		}
		x->failed = st;
		x->error = r;
		return -1;
	}
	return 0;
}
