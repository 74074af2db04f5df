// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Why a traced thread is not running: off-CPU waits (sched_switch) with
 * their kernel stacks and blockers, the pipe writes they may be inside (by
 * kprobes on the pipe's write function, or the write-family syscall
 * tracepoints where the kernel has no kprobes), and the waits already in
 * progress when tracing starts (scan_waits, a task iterator).
 */
#include "common.bpf.h"

/* include/uapi/linux/stat.h */
#define S_IFMT 00170000
#define S_IFIFO 0010000
/* include/linux/mutex.h: the low bits of mutex.owner are flags */
#define MUTEX_FLAGS 0x07ul
/* include/linux/hung_task.h (6.16, commit e711faaafbe5): blocker type in the low bits */
#define BLOCKER_TYPE_MASK 0x03ul
#define BLOCKER_TYPE_MUTEX 0x00ul
#define BLOCKER_TYPE_SEM 0x01ul
/* x86_64 syscall numbers of the write family that can target a pipe */
#define NR_write 1
#define NR_writev 20

/* Off-CPU waits shorter than this are not sent (--min-wait). */
const volatile __u64 min_wait_ns = 10 * 1000 * 1000;

/* Threads now off CPU: read by the loader for stalls still in progress. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_WAITING);
	__type(key, __u32);
	__type(value, struct st_offcpu);
} offcpu SEC(".maps");

/* struct st_offcpu is too big for the BPF stack next to everything else. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_offcpu);
} scratch SEC(".maps");

/* Fills pw with the pipe behind fd of task t; false if fd is not a pipe or FIFO. */
static __always_inline bool pipe_of_fd(struct task_struct *t, __u64 fd, struct st_pwrite *pw)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;
	struct inode *ino;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return false;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return false;
	ino = BPF_CORE_READ(f, f_inode);
	if (!ino || (BPF_CORE_READ(ino, i_mode) & S_IFMT) != S_IFIFO)
		return false;
	pw->ino = BPF_CORE_READ(ino, i_ino);
	pw->pipe = (__u64)BPF_CORE_READ(f, private_data);
	return true;
}

static __always_inline struct task_struct *mutex_owner(struct mutex *m)
{
	return (struct task_struct *)(BPF_CORE_READ(m, owner.counter) & ~MUTEX_FLAGS);
}

/*
 * Who holds up task t, asleep in state: inside a pipe write, the pipe lock's
 * owner when t sleeps uninterruptibly for it (mutex_lock), the readers when
 * it sleeps interruptibly for room (the write path drops the lock for that);
 * holding the lock itself, t sleeps on something else. Otherwise what
 * task_struct.blocker names, on kernels that record it.
 */
static __always_inline void find_blocker(struct task_struct *t, __u32 state, struct st_pwrite *pw,
					 struct st_offcpu *w)
{
	struct task_struct *owner = NULL;

	w->blocker = ST_BLK_NONE;
	w->blocked_by = 0;
	w->pipe_ino = 0;
	if (pw) {
		w->pipe_ino = pw->ino;
		owner = mutex_owner(&((struct pipe_inode_info *)pw->pipe)->mutex);
		if (owner == t) {
			w->blocker = ST_BLK_PIPE_HELD;
		} else if (state & ST_TASK_UNINTERRUPTIBLE) {
			w->blocker = ST_BLK_PIPE_LOCK;
			w->blocked_by = owner ? task_tid(owner) : 0;
		} else {
			w->blocker = ST_BLK_PIPE_SPACE;
		}
		pw->blocker = w->blocker;
		pw->blocked_by = w->blocked_by;
		if (w->blocker != ST_BLK_PIPE_HELD)
			return;
	}
	if (bpf_core_field_exists(t->blocker)) {
		unsigned long b = BPF_CORE_READ(t, blocker);
		unsigned long lock = b & ~BLOCKER_TYPE_MASK;

		if (!lock)
			return;
		if ((b & BLOCKER_TYPE_MASK) == BLOCKER_TYPE_MUTEX) {
			owner = mutex_owner((struct mutex *)lock);
			w->blocker = ST_BLK_MUTEX;
		} else if ((b & BLOCKER_TYPE_MASK) == BLOCKER_TYPE_SEM) {
			owner = (struct task_struct *)BPF_CORE_READ((struct semaphore *)lock,
								     last_holder);
			w->blocker = ST_BLK_SEM;
		}
		if (owner && owner != t)
			w->blocked_by = task_tid(owner);
	}
}

static __always_inline bool is_wait_state(__u32 state)
{
	return (state & (ST_TASK_INTERRUPTIBLE | ST_TASK_UNINTERRUPTIBLE | ST_TASK_STOPPED_BITS)) &&
	       !(state & ST_TASK_DEAD);
}

/*
 * Sends the wait of thread tid that ends now, if long enough, and forgets it.
 * Only traced threads have one: the lookup is also the filter.
 */
static __always_inline void wait_end(__u32 tid)
{
	struct st_offcpu *w = bpf_map_lookup_elem(&offcpu, &tid);
	struct st_pwrite *pw;
	struct st_wait *r;
	__u64 now, dur;

	if (!w)
		return;
	now = bpf_ktime_get_ns();
	dur = now > w->start ? now - w->start : 0;
	pw = bpf_map_lookup_elem(&pwrites, &tid);
	if (pw)
		pw->blocked_ns += dur;
	if (dur >= min_wait_ns) {
		r = reserve(sizeof(*r));
		if (r) {
			fill_hdr(&r->hdr, ST_REC_WAIT, tid);
			r->hdr.ts = now;
			__builtin_memcpy(&r->w, w, sizeof(*w));
			submit(r);
		}
	}
	bpf_map_delete_elem(&offcpu, &tid);
}

/* Keeps the wait that traced thread prev of process pid begins now, in state. */
static __always_inline void wait_begin(void *ctx, struct task_struct *prev, __u32 pid, __u32 state)
{
	__u32 tid = prev->pid, zero = 0;
	struct st_offcpu *w = bpf_map_lookup_elem(&scratch, &zero);
	long n;

	if (!w)
		return;
	w->start = bpf_ktime_get_ns();
	w->pid = pid;
	w->state = state;
	w->flags = 0;
	find_blocker(prev, state, bpf_map_lookup_elem(&pwrites, &tid), w);
	/* prev is still current here: its kernel stack is the one we want */
	n = bpf_get_stack(ctx, w->stack, sizeof(w->stack), 0);
	w->nstack = n > 0 ? (__u64)n / 8 : 0;
	if (bpf_map_update_elem(&offcpu, &tid, w, BPF_ANY))
		__sync_fetch_and_add(&waits_full, 1);
}

/*
 * Every context switch on the host runs this, so a switch between untraced
 * tasks costs no map lookup, only tests of the bloom filter of traced
 * processes (maybe_traced): prev's when it goes to sleep (a preempted task
 * begins no wait), next's unless it is the idle task (pid 0). Only a "maybe"
 * looks prev's process up in the filter, or next's wait up (only traced
 * threads have one). prev and next are BTF pointers, read directly.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	if (is_wait_state(prev_state) && traced(prev->tgid))
		wait_begin(ctx, prev, prev->tgid, prev_state);
	if (maybe_traced(next->tgid))
		wait_end(next->pid);
	return 0;
}

static __always_inline void pipe_write_begin(struct st_pwrite *pw, __u32 pid, __u64 requested)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	pw->start = bpf_ktime_get_ns();
	pw->requested = requested;
	pw->blocked_ns = 0;
	pw->pid = pid;
	pw->blocked_by = 0;
	pw->blocker = ST_BLK_NONE;
	pw->flags = 0;
	if (bpf_map_update_elem(&pwrites, &tid, pw, BPF_ANY))
		__sync_fetch_and_add(&waits_full, 1);
}

/*
 * Pipe writes where the kernel has no kprobes: write and writev on pipe fds,
 * by the loader's choice either from their own syscall tracepoints
 * (syscalls:sys_enter_write and the like, which run on those syscalls only)
 * or, where the kernel has none (CONFIG_FTRACE_SYSCALLS), from the raw
 * sys_enter and sys_exit, which run on every syscall of every process.
 */
static __always_inline void write_enter(long nr, __u64 fd, __u64 count)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct st_pwrite pw = {};

	if (!traced(pid) || !pipe_of_fd(bpf_get_current_task_btf(), fd, &pw))
		return;
	pipe_write_begin(&pw, pid, nr == NR_write ? count : 0);
}

/* Attached by the loader to syscalls:sys_enter_write and syscalls:sys_enter_writev. */
SEC("tracepoint")
int on_write_enter(struct syscall_trace_enter *ctx)
{
	/* args[]: fd, buf or iov, count or vlen */
	write_enter(ctx->nr, ctx->args[0], ctx->args[2]);
	return 0;
}

/* Attached by the loader to syscalls:sys_exit_write and syscalls:sys_exit_writev:
 * only a thread inside a pipe write has an entry to end, looked up for a process
 * the bloom filter says may be traced. */
SEC("tracepoint")
int on_write_exit(struct syscall_trace_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (maybe_traced(id >> 32))
		pipe_write_end((__u32)id, ctx->ret, 0);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	if (id == NR_write || id == NR_writev)
		write_enter(id, BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, dx));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	long id = BPF_CORE_READ(regs, orig_ax);

	if ((id == NR_write || id == NR_writev) && maybe_traced(pid_tgid >> 32))
		pipe_write_end((__u32)pid_tgid, ret, 0);
	return 0;
}

/* Pipe writes where the kernel has kprobes: the loader attaches these to
 * pipe_write, or anon_pipe_write and fifo_pipe_write (6.15), whichever exist. */
SEC("kprobe")
int BPF_KPROBE(pipe_write_enter, struct kiocb *iocb, struct iov_iter *from)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct st_pwrite pw = {};
	struct file *f;

	if (!traced(pid))
		return 0;
	f = BPF_CORE_READ(iocb, ki_filp);
	pw.ino = BPF_CORE_READ(f, f_inode, i_ino);
	pw.pipe = (__u64)BPF_CORE_READ(f, private_data);
	pipe_write_begin(&pw, pid, BPF_CORE_READ(from, count));
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(pipe_write_return, long ret)
{
	pipe_write_end((__u32)bpf_get_current_pid_tgid(), ret, 0);
	return 0;
}

/*
 * Waits already in progress when tracing starts (the usual case for a task
 * that is stuck): run once by the loader over every task. The start is
 * estimated from the scheduler's accounting: the task last got a CPU at
 * sched_info.last_arrival and ran (sum_exec_runtime - prev_sum_exec_runtime)
 * before it slept; both are rq-clock ns, turned into CLOCK_MONOTONIC by the
 * same reading of the current task, good to about one scheduler tick.
 */
static __always_inline __u64 rq_last_run_end(struct task_struct *t)
{
	return BPF_CORE_READ(t, sched_info.last_arrival) + BPF_CORE_READ(t, se.sum_exec_runtime) -
	       BPF_CORE_READ(t, se.prev_sum_exec_runtime);
}

#define EEXIST 17 /* errno.h: not in vmlinux.h */

/*
 * A BPF_NOEXIST update of a wait or pipe write found at attach fails for an
 * entry that exists (a probe saw it begin after attach: it knows better, as
 * intended) or for a full map: that one is a wait not tracked, and counted.
 */
static __always_inline void untracked_unless_known(long err)
{
	if (err && err != -EEXIST)
		__sync_fetch_and_add(&waits_full, 1);
}

SEC("iter/task")
int scan_waits(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task, *cur;
	struct st_pwrite pw = {}, *pwp = NULL;
	__u32 pid, tid, state, zero = 0;
	struct st_offcpu *w;
	__u64 now, then, rq_now;
	struct pt_regs *regs;
	long n;

	if (!t)
		return 0;
	pid = task_tgid(t);
	state = BPF_CORE_READ(t, __state);
	if (!traced(pid) || !is_wait_state(state))
		return 0;
	tid = task_tid(t);
	w = bpf_map_lookup_elem(&scratch, &zero);
	if (!w)
		return 0;
	now = bpf_ktime_get_ns();
	w->start = now;
	w->flags = ST_WAIT_F_NOSTART;
	if (bpf_core_field_exists(t->sched_info.last_arrival)) {
		cur = bpf_get_current_task_btf();
		rq_now = rq_last_run_end(cur);
		then = rq_last_run_end(t);
		if (then && rq_now >= then && now > rq_now - then) {
			w->start = now - (rq_now - then);
			w->flags = ST_WAIT_F_ESTIMATED;
		}
	}
	w->pid = pid;
	w->state = state;
	/* Inside a write to a pipe? The syscall number and fd are in its user registers. */
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (regs) {
		long nr = BPF_CORE_READ(regs, orig_ax);

		if ((nr == NR_write || nr == NR_writev) &&
		    pipe_of_fd(t, BPF_CORE_READ(regs, di), &pw)) {
			pw.start = w->start;
			pw.pid = pid;
			pw.flags = 0;
			pw.requested = nr == NR_write ? BPF_CORE_READ(regs, dx) : 0;
			untracked_unless_known(
				bpf_map_update_elem(&pwrites, &tid, &pw, BPF_NOEXIST));
			pwp = bpf_map_lookup_elem(&pwrites, &tid);
		}
	}
	find_blocker(t, state, pwp, w);
	n = bpf_get_task_stack(t, w->stack, sizeof(w->stack), 0);
	w->nstack = n > 0 ? (__u64)n / 8 : 0;
	/* a switch-out seen since attach knows better */
	untracked_unless_known(bpf_map_update_elem(&offcpu, &tid, w, BPF_NOEXIST));
	return 0;
}
