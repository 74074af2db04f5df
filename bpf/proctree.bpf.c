// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The traced process tree: a traced task's children join the filter before
 * they can run (fork), and its execs, exits and fatal signals are recorded.
 * An exit also ends a pipe write its thread was inside (common.bpf.h).
 */
#include "common.bpf.h"

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = task_tgid(parent), cpid = task_tgid(child), ctid = task_tid(child);
	struct st_fork *r;
	__u8 one = 1;

	if (!traced(ppid))
		return 0;
	/* The child is traced from its first instruction: it is in the filter
	 * before it can run. */
	if (cpid != ppid && bpf_map_update_elem(&tgids, &cpid, &one, BPF_ANY))
		__sync_fetch_and_add(&tgids_full, 1);
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_FORK, task_tid(parent));
	r->pid = ppid;
	r->child_pid = cpid;
	r->child_tid = ctid;
	r->_pad = 0;
	BPF_CORE_READ_STR_INTO(&r->comm, child, comm);
	submit(r);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = task_tgid(p), tid = task_tid(p);
	struct st_exec *r;
	__u8 one = 1;

	if (!traced(pid))
		return 0;
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_EXEC, tid);
	r->pid = pid;
	r->old_tid = old_pid;
	BPF_CORE_READ_STR_INTO(&r->comm, p, comm);
	bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), BPF_CORE_READ(bprm, filename));
	submit(r);
	/* the exec record named it; unchecked as in note_task: at worst it is named twice */
	bpf_map_update_elem(&seen_tids, &tid, &one, BPF_ANY);
	return 0;
}


static __always_inline void exit_event(struct task_struct *p, __s32 code, bool group_dead)
{
	__u32 pid = task_tgid(p), tid = task_tid(p);
	struct st_exit *r;

	if (!traced(pid))
		return;
	pipe_write_end(tid, 0, ST_PW_F_EXITED);
	/* span records it lost last: nothing of it comes after this to tell them */
	thread_told(bpf_task_storage_get(&thread_streams, p, 0, 0), this_cpu(), pid, tid);
	r = reserve(sizeof(*r));
	if (r) {
		fill_hdr(&r->hdr, ST_REC_EXIT, tid);
		r->pid = pid;
		r->code = code;
		r->group_dead = group_dead;
		__builtin_memset(r->_pad, 0, sizeof(r->_pad));
		BPF_CORE_READ_STR_INTO(&r->comm, p, comm);
		submit(r);
	}
	/* a recycled tid is named again */
	bpf_map_delete_elem(&seen_tids, &tid);
	__sync_fetch_and_add(&task_gen, 1);
	if (group_dead)
		bpf_map_delete_elem(&tgids, &pid);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit_tp, struct task_struct *p)
{
	/* do_exit() has stored the code and dropped signal->live already */
	exit_event(p, BPF_CORE_READ(p, exit_code), BPF_CORE_READ(p, signal, live.counter) == 0);
	return 0;
}

SEC("kprobe/do_exit")
int BPF_KPROBE(on_exit_kprobe, long code)
{
	struct task_struct *p = bpf_get_current_task_btf();

	/* At entry signal->live still counts this thread. Two threads exiting
	 * at once can both see 2: then neither is marked last, and the loader
	 * learns of the process's end from its exit records alone. */
	exit_event(p, code, BPF_CORE_READ(p, signal, live.counter) == 1);
	return 0;
}

/*
 * Signals whose default action ends the process (signal(7)), bit sig-1 for
 * signals 1..64: the standard ones that terminate or dump core, and every
 * real-time signal (32..64), whose default action is to terminate.
 */
#define ST_NSIG 64
#define SIGBIT(s) (1ull << ((s) - 1))
#define FATAL_BY_DEFAULT                                                                      \
	(SIGBIT(1) | SIGBIT(2) | SIGBIT(3) | SIGBIT(4) | SIGBIT(5) | SIGBIT(6) | SIGBIT(7) |   \
	 SIGBIT(8) | SIGBIT(9) | SIGBIT(10) | SIGBIT(11) | SIGBIT(12) | SIGBIT(13) |           \
	 SIGBIT(14) | SIGBIT(15) | SIGBIT(16) | SIGBIT(24) | SIGBIT(25) | SIGBIT(26) |         \
	 SIGBIT(27) | SIGBIT(29) | SIGBIT(30) | SIGBIT(31) | (~0ull << 31))

/*
 * Whether sig, sent to task, ends its process: fatal by default and left at its
 * default action (SIGKILL's action is always the default: it cannot be caught).
 */
static __always_inline bool ends_process(struct task_struct *task, int sig)
{
	struct sighand_struct *sh = BPF_CORE_READ(task, sighand);
	void *handler = NULL;

	if (sig <= 0 || sig > ST_NSIG || !(FATAL_BY_DEFAULT & SIGBIT(sig)) || !sh)
		return false;
	bpf_probe_read_kernel(&handler, sizeof(handler),
			      &sh->action[(sig - 1) & (ST_NSIG - 1)].sa.sa_handler);
	return !handler; /* SIG_DFL is 0: anything else is caught or ignored */
}

SEC("tp_btf/signal_generate")
int BPF_PROG(on_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
	     int result)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = task_tgid(task);
	struct st_signal *r;

	if (!traced(pid) || !ends_process(task, sig))
		return 0;
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_SIGNAL, task_tid(task));
	r->pid = pid;
	r->sig = sig;
	r->sender_pid = id >> 32;
	r->sender_tid = (__u32)id;
	r->result = result;
	r->group = group;
	bpf_get_current_comm(r->sender_comm, sizeof(r->sender_comm));
	submit(r);
	return 0;
}
