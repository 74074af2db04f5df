// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kevents.h"
#include "kfeatures.h"
#include "ksyms.h"
#include "spantrace.h"
#include "spantrace.skel.h"
#include "spantree.h"
#include "stall.h"
#include "tasks.h"
#include "trace.h"
#include "util.h"

#define FRAME_LEN 96

void kevents__configure(struct kevents *k)
{
	k->skel->rodata->min_wait_ns = k->min_wait_ns;
}

static int add_link(struct kevents *k, struct bpf_link *l)
{
	if (!l)
		return -errno;
	k->links[k->nlinks++] = l;
	return 0;
}

static int attach_tp(struct kevents *k, struct bpf_program *p, const char *tp, char *err,
		     size_t errlen)
{
	int r = add_link(k, bpf_program__attach(p));

	if (r)
		snprintf(err, errlen, "failed to attach tracepoint %s: %s", tp, strerror(-r));
	return r;
}

/* kprobes on the pipe write functions; false (and nothing left attached) if any fails. */
static bool attach_pipe_kprobes(struct kevents *k)
{
	size_t first = k->nlinks;
	int r = 0;

	for (size_t i = 0; i < k->feat->npipe_funcs && !r; i++) {
		const char *fn = k->feat->pipe_funcs[i];

		r = add_link(k, bpf_program__attach_kprobe(k->skel->progs.pipe_write_enter, false,
							   fn));
		if (!r)
			r = add_link(k, bpf_program__attach_kprobe(
						k->skel->progs.pipe_write_return, true, fn));
		if (r)
			say("warning: failed to attach a kprobe on %s: %s; falling back to syscall "
			    "tracepoints for pipe writes", fn, strerror(-r));
	}
	if (!r)
		return true;
	while (k->nlinks > first)
		bpf_link__destroy(k->links[--k->nlinks]);
	return false;
}

int kevents__attach(struct kevents *k, char *err, size_t errlen)
{
	struct spantrace_bpf *s = k->skel;
	bool exit_kp = false, pipe_kp = false;

	if (attach_tp(k, s->progs.on_fork, "sched_process_fork", err, errlen) ||
	    attach_tp(k, s->progs.on_exec, "sched_process_exec", err, errlen) ||
	    attach_tp(k, s->progs.on_signal, "signal_generate", err, errlen) ||
	    attach_tp(k, s->progs.on_switch, "sched_switch", err, errlen))
		return -1;
	if (k->feat->exit_kprobe) {
		int r = add_link(k, bpf_program__attach_kprobe(s->progs.on_exit_kprobe, false,
							       "do_exit"));

		exit_kp = r == 0;
		if (r)
			say("warning: failed to attach a kprobe on do_exit: %s; using the "
			    "sched_process_exit tracepoint", strerror(-r));
	}
	if (!exit_kp && attach_tp(k, s->progs.on_exit_tp, "sched_process_exit", err, errlen))
		return -1;
	if (k->feat->npipe_funcs)
		pipe_kp = attach_pipe_kprobes(k);
	if (!pipe_kp && (attach_tp(k, s->progs.on_sys_enter, "sys_enter", err, errlen) ||
			 attach_tp(k, s->progs.on_sys_exit, "sys_exit", err, errlen)))
		return -1;
	if (k->verbose) {
		say("process tree: tracepoints sched_process_fork and sched_process_exec");
		say("exits: %s", exit_kp || !k->feat->exit_kprobe ?
					 k->feat->exit_why :
					 "tracepoint sched_process_exit (the do_exit kprobe failed)");
		say("pipe writes: %s",
		    pipe_kp || !k->feat->npipe_funcs ?
			    k->feat->pipe_why :
			    "the kprobe failed → syscall tracepoints (write, writev on pipe fds) + "
			    "stack attribution");
		say("fatal signals: tracepoint signal_generate");
		say("off-CPU waits: tracepoint sched_switch, kernel stack at switch-out; blockers "
		    "from pipe locks, and task_struct.blocker where the kernel has it");
	}
	return 0;
}

/* --- the tree at start ---------------------------------------------------------- */

/* Adds pid's threads to the task table and its children to the queue. */
static int adopt_process(struct kevents *k, pid_t pid, pid_t **queue, size_t *nq, size_t *cap)
{
	char path[96], comm[32], kids[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0; /* gone meanwhile */
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);
		struct task *t;
		char *p, *end;

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
		util__read_line(path, comm, sizeof(comm));
		t = tasks__add(k->tasks, (uint32_t)pid, (uint32_t)tid);
		if (t && comm[0])
			tasks__set_comm(t, comm);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tid);
		util__read_line(path, kids, sizeof(kids));
		for (p = kids; *p; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			if (*nq == *cap) {
				pid_t *q = realloc(*queue, (*cap ? 2 * *cap : 16) * sizeof(*q));

				if (!q) {
					closedir(d);
					return -ENOMEM;
				}
				*queue = q;
				*cap = *cap ? 2 * *cap : 16;
			}
			(*queue)[(*nq)++] = (pid_t)c;
		}
	}
	closedir(d);
	return 0;
}

static int scan_waits(struct kevents *k)
{
	struct bpf_link *l = bpf_program__attach_iter(k->skel->progs.scan_waits, NULL);
	char buf[64];
	int fd, r = 0;

	if (!l)
		return -errno;
	/* Waits are dated against the current task's last switch-in: be fresh. */
	sched_yield();
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0)
		r = -errno;
	else
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l);
	return r;
}

int kevents__adopt(struct kevents *k, pid_t pid, bool scan_tree, char *err, size_t errlen)
{
	pid_t *queue = NULL;
	size_t nq = 0, cap = 0, head = 0;
	uint8_t one = 1;
	int r = 0;

	k->root = pid;
	if (!scan_tree) {
		char path[64], comm[32];
		struct task *t = tasks__add(k->tasks, (uint32_t)pid, (uint32_t)pid);

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		util__read_line(path, comm, sizeof(comm));
		if (t)
			tasks__set_comm(t, comm);
		return 0;
	}
	/* Into the filter first, then its children read: a child forked in
	 * between is caught by the fork tracepoint or by the read. */
	queue = malloc(sizeof(*queue));
	if (!queue) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	queue[nq++] = pid;
	cap = 1;
	while (head < nq && !r) {
		uint32_t p = (uint32_t)queue[head++];

		if (bpf_map__update_elem(k->skel->maps.tgids, &p, sizeof(p), &one, sizeof(one),
					 BPF_ANY)) {
			snprintf(err, errlen,
				 "failed to trace process %u: %s (at most %d processes at once)", p,
				 strerror(errno), ST_MAX_TGIDS);
			free(queue);
			return -1;
		}
		r = adopt_process(k, (pid_t)p, &queue, &nq, &cap);
	}
	free(queue);
	if (r) {
		snprintf(err, errlen, "failed to read the process tree of %d: %s", pid, strerror(-r));
		return -1;
	}
	if (k->verbose && nq > 1)
		say("tracing %zu processes: %d and its descendants", nq, pid);
	r = scan_waits(k);
	if (r)
		say("warning: cannot see waits already in progress (task iterator: %s); "
		    "they appear once they end", strerror(-r));
	return 0;
}

/* --- decoding ------------------------------------------------------------------ */

struct kstack {
	char frames[ST_MAX_STACK][FRAME_LEN];
	const char *v[ST_MAX_STACK];
	size_t n;
};

static void kstack__fill(const struct kevents *k, struct kstack *ks, const uint64_t *ips,
			 size_t n)
{
	ks->n = 0;
	for (size_t i = 0; i < n && i < ST_MAX_STACK; i++) {
		if (!ips[i])
			break;
		if (k->ks)
			ksyms__format(k->ks, ips[i], ks->frames[ks->n], FRAME_LEN);
		else
			snprintf(ks->frames[ks->n], FRAME_LEN, "0x%llx",
				 (unsigned long long)ips[i]);
		ks->v[ks->n] = ks->frames[ks->n];
		ks->n++;
	}
	/* A stack taken in a tracepoint starts with the BPF program and the
	 * tracepoint's glue (bpf_trace_run4, __bpf_trace_sched_switch): not the task's. */
	for (size_t i = ks->n < 6 ? ks->n : 6; i-- > 0;) {
		if (strncmp(ks->v[i], "bpf_trace_run", 13) == 0 ||
		    strncmp(ks->v[i], "__bpf_trace_", 12) == 0) {
			memmove(ks->v, ks->v + i + 1, (ks->n - i - 1) * sizeof(ks->v[0]));
			ks->n -= i + 1;
			break;
		}
	}
}

static const char *comm_of(struct kevents *k, uint32_t tid, char *buf, size_t len)
{
	struct task *t = tasks__get(k->tasks, tid);
	char path[64];

	if (t && t->comm[0])
		return t->comm;
	snprintf(path, sizeof(path), "/proc/%u/comm", tid);
	util__read_line(path, buf, len);
	return buf[0] ? buf : NULL;
}

/* Does fd link "pipe:[ino]" open for reading? */
static bool holds_read_end(int pid, const char *fd, const char *want)
{
	char path[300], link[64], info[256];
	ssize_t n;
	FILE *f;
	unsigned int flags = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	if (strcmp(link, want) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(info, sizeof(info), f))
		if (sscanf(info, "flags: %o", &flags) == 1)
			break;
	fclose(f);
	return (flags & O_ACCMODE) == O_RDONLY;
}

/*
 * The process holding up a writer that waits for room in pipe ino: one that
 * holds the read end, preferring a traced one other than the writer. Found in
 * /proc (the kernel keeps no list of a pipe's openers) and cached: the poll
 * loop refreshes it while the wait lasts (max_age 1 s), so that when the wait
 * ends and the reader has gone, the record still names it (max_age 0: any).
 */
static const struct pipe_readers *pipe_reader(struct kevents *k, uint64_t ino, uint32_t writer,
					      uint64_t max_age)
{
	uint64_t now = mono_ns();
	struct pipe_readers *c;
	char want[48];
	struct dirent *pd, *fd;
	DIR *proc, *fds;
	int best = 0, best_score = -1;

	for (size_t i = 0; i < KEV_READER_CACHE; i++)
		if (k->readers[i].ino == ino && (!max_age || now - k->readers[i].at < max_age))
			return &k->readers[i];
	c = &k->readers[k->next_reader++ % KEV_READER_CACHE];
	memset(c, 0, sizeof(*c));
	c->ino = ino;
	c->at = now;
	snprintf(want, sizeof(want), "pipe:[%llu]", (unsigned long long)ino);
	proc = opendir("/proc");
	if (!proc)
		return c;
	while ((pd = readdir(proc))) {
		int pid = atoi(pd->d_name);
		char path[64];

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fd = readdir(fds))) {
			struct task *t;
			int score;

			if (fd->d_name[0] == '.' || !holds_read_end(pid, fd->d_name, want))
				continue;
			t = tasks__get(k->tasks, (uint32_t)pid);
			score = ((uint32_t)pid != writer) * 2 + (t != NULL);
			if (score > best_score) {
				best = pid;
				best_score = score;
			}
			break;
		}
		closedir(fds);
	}
	closedir(proc);
	c->pid = (uint32_t)best;
	if (best) {
		char b[32];
		const char *cm = comm_of(k, (uint32_t)best, b, sizeof(b));

		snprintf(c->comm, sizeof(c->comm), "%s", cm ? cm : "?");
	}
	return c;
}

struct blocker_words {
	uint32_t tid;
	const char *reason;
	char comm[32];
};

static void blocker_words(struct kevents *k, uint8_t kind, uint32_t by, uint64_t ino, uint32_t pid,
			  struct blocker_words *b)
{
	const char *cm;

	memset(b, 0, sizeof(*b));
	b->tid = by;
	switch (kind) {
	case ST_BLK_PIPE_LOCK:
		b->reason = "holds the pipe lock";
		break;
	case ST_BLK_PIPE_HELD:
		b->reason = "holds the pipe lock itself while it sleeps here";
		b->tid = 0;
		break;
	case ST_BLK_MUTEX:
		b->reason = by ? "owns the mutex" : NULL;
		break;
	case ST_BLK_SEM:
		b->reason = by ? "took the semaphore last" : NULL;
		break;
	case ST_BLK_PIPE_SPACE: {
		const struct pipe_readers *r = pipe_reader(k, ino, pid, 0);

		b->tid = r->pid;
		b->reason = !r->pid ? "the pipe is full and no process holds its read end" :
			    r->pid == pid ? "the pipe is full; only the writer's own process holds "
					    "its read end" :
					    "the pipe is full; holds the read end and does not read";
		break;
	}
	default:
		break;
	}
	if (b->tid && (cm = comm_of(k, b->tid, b->comm, sizeof(b->comm))))
		snprintf(b->comm, sizeof(b->comm), "%s", cm);
}

static void wait_name(const struct kstack *ks, uint32_t state, char *buf, size_t len)
{
	size_t w = stall__wait_frame(ks->v, ks->n);
	const char *what = stall__uninterruptible(state) ? "uninterruptible" :
			   *stall__state(state) == 'S'	  ? "sleep" :
							    "stopped";
	char fn[FRAME_LEN];

	if (w == ks->n) {
		snprintf(buf, len, "%s", what);
		return;
	}
	stall__func(ks->v[w], fn, sizeof(fn));
	snprintf(buf, len, "%s: %s", what, fn);
}

static void write_wait(struct kevents *k, uint32_t tid, const struct st_offcpu *o, uint64_t end,
		       bool unfinished)
{
	struct kstack *ks = malloc(sizeof(*ks));
	struct task *t = tasks__touch(k->tasks, o->pid, tid);
	struct blocker_words b;
	char name[160], sig[32];
	struct trace_wait wt = {
		.pid = o->pid,
		.tid = tid,
		.start_ns = o->start,
		.dur_ns = end > o->start ? end - o->start : 0,
		.name = name,
		.state = stall__state(o->state),
		.killable = stall__killable(o->state),
		.pipe_ino = o->pipe_ino,
		.start_estimated = o->flags & (ST_WAIT_F_ESTIMATED | ST_WAIT_F_NOSTART),
		.unfinished = unfinished,
	};

	if (!ks)
		return;
	kstack__fill(k, ks, (const uint64_t *)o->stack, o->nstack);
	wait_name(ks, o->state, name, sizeof(name));
	wt.kstack = ks->v;
	wt.nkstack = ks->n;
	if (t && t->fatal_sig && t->fatal_ts <= end)
		wt.fatal_signal = stall__signame(t->fatal_sig, sig, sizeof(sig));
	blocker_words(k, o->blocker, o->blocked_by, o->pipe_ino, o->pid, &b);
	wt.blocked_by = b.tid;
	wt.blocked_reason = b.reason;
	k->ops->wait(k->w, &wt);
	k->n.waits++;
	if (stall__uninterruptible(o->state))
		k->n.dwaits++;
	if (t && t->stall_said && t->stall_start == o->start) {
		say("stall over: pid %u tid %u (%s) after %.1f s%s", o->pid, tid, t->comm,
		    (double)wt.dur_ns / 1e9, unfinished ? " (still waiting when tracing stopped)" : "");
		t->stall_said = 0;
	}
	free(ks);
}

static void note_pipe(struct kevents *k, uint64_t ino)
{
	for (size_t i = 0; i < k->npipes; i++)
		if (k->pipes[i] == ino)
			return;
	if (k->npipes == k->cap_pipes) {
		size_t cap = k->cap_pipes ? 2 * k->cap_pipes : 8;
		uint64_t *v = realloc(k->pipes, cap * sizeof(*v));

		if (!v)
			return;
		k->pipes = v;
		k->cap_pipes = cap;
	}
	k->pipes[k->npipes++] = ino;
}

static void write_pipe_write(struct kevents *k, uint32_t tid, const struct st_pwrite *pw,
			     int64_t result, uint64_t end, bool unfinished)
{
	struct blocker_words b;
	struct trace_pipe_write t = {
		.pid = pw->pid,
		.tid = tid,
		.start_ns = pw->start,
		.dur_ns = end > pw->start ? end - pw->start : 0,
		.pipe_ino = pw->ino,
		.result = result,
		.requested = pw->requested,
		.blocked_ns = pw->blocked_ns,
		.unfinished = unfinished || (pw->flags & ST_PW_F_EXITED),
	};

	tasks__touch(k->tasks, pw->pid, tid);
	k->n.pipe_writes++;
	if (result > 0)
		k->n.pipe_bytes += (uint64_t)result;
	note_pipe(k, pw->ino);
	if (pw->blocked_ns)
		k->n.pipe_blocked++;
	/* Every write is counted; the ones that waited are drawn. */
	if (pw->blocked_ns < k->min_wait_ns && !t.unfinished)
		return;
	blocker_words(k, pw->blocker, pw->blocked_by, pw->ino, pw->pid, &b);
	t.blocked_by = b.tid;
	t.blocked_reason = b.reason;
	k->ops->pipe_write(k->w, &t);
}

static void instant(struct kevents *k, uint32_t pid, uint32_t tid, uint64_t ts, const char *name,
		    const char *cat, const struct trace_arg *args, size_t nargs)
{
	struct trace_instant in = { .pid = pid, .tid = tid, .ts_ns = ts, .name = name,
				    .cat = cat, .args = args, .nargs = nargs };

	k->ops->instant(k->w, &in);
}

static void on_exit_rec(struct kevents *k, const struct st_exit *r)
{
	struct task *t = tasks__touch(k->tasks, r->pid, r->hdr.tid);
	struct span_ev ev = { .ts = r->hdr.ts, .pid = r->pid, .tid = r->hdr.tid,
			      .kind = SPAN_EV_EXIT };
	struct trace_arg a[3];
	size_t na = 0;
	char sig[32];

	if (t) {
		if (r->comm[0])
			tasks__set_comm(t, r->comm);
		t->exited = true;
		t->fatal_sig = 0;
	}
	spantree__push(k->tree, &ev);
	/* the code is a wait(2) status */
	if (WIFSIGNALED(r->code)) {
		a[na++] = (struct trace_arg){ .key = "signal", .type = TA_STR,
					      .s = stall__signame(WTERMSIG(r->code), sig, sizeof(sig)) };
		if (WCOREDUMP(r->code))
			a[na++] = (struct trace_arg){ .key = "core_dumped", .type = TA_BOOL, .i = 1 };
	} else {
		a[na++] = (struct trace_arg){ .key = "code", .type = TA_INT,
					      .i = WEXITSTATUS(r->code) };
	}
	instant(k, r->pid, r->hdr.tid, r->hdr.ts, r->group_dead ? "exit" : "thread exit", "exit", a,
		na);
	if (r->group_dead && r->pid == (uint32_t)k->root) {
		k->root_ended = true;
		k->root_wstatus = r->code;
	}
	if (r->group_dead)
		k->n.exits++;
	else
		k->n.thread_exits++;
}

static void on_signal_rec(struct kevents *k, const struct st_signal *r)
{
	char sig[32], comm[ST_COMM_LEN + 1];
	struct trace_arg a[5];

	memcpy(comm, r->sender_comm, ST_COMM_LEN);
	comm[ST_COMM_LEN] = 0;
	tasks__touch(k->tasks, r->pid, r->hdr.tid);
	tasks__signal(k->tasks, r->pid, r->hdr.tid, r->group, r->sig, r->hdr.ts, r->sender_tid);
	a[0] = (struct trace_arg){ .key = "signal", .type = TA_STR,
				   .s = stall__signame(r->sig, sig, sizeof(sig)) };
	a[1] = (struct trace_arg){ .key = "sender_pid", .type = TA_INT, .i = r->sender_pid };
	a[2] = (struct trace_arg){ .key = "sender_tid", .type = TA_INT, .i = r->sender_tid };
	a[3] = (struct trace_arg){ .key = "sender_comm", .type = TA_STR, .s = comm };
	a[4] = (struct trace_arg){ .key = "group", .type = TA_BOOL, .i = r->group != 0 };
	instant(k, r->pid, r->hdr.tid, r->hdr.ts, "fatal signal", "signal", a, 5);
	k->n.signals++;
}

bool kevents__record(struct kevents *k, const void *data, size_t size)
{
	const struct st_hdr *h = data;

	switch (h->type) {
	case ST_REC_FORK: {
		const struct st_fork *r = data;
		struct trace_flow fl;
		struct task *t;

		if (size < sizeof(*r))
			return false;
		tasks__touch(k->tasks, r->pid, h->tid);
		tasks__born(k->tasks, r->child_pid, r->child_tid);
		t = tasks__touch(k->tasks, r->child_pid, r->child_tid);
		if (t)
			tasks__set_comm(t, r->comm);
		fl = (struct trace_flow){ .from_pid = r->pid, .from_tid = h->tid,
					  .to_pid = r->child_pid, .to_tid = r->child_tid,
					  .ts_ns = h->ts, .id = r->child_tid,
					  .name = r->child_pid == r->pid ? "thread" : "fork" };
		k->ops->flow(k->w, &fl);
		if (r->child_pid == r->pid)
			k->n.threads++;
		else
			k->n.forks++;
		return true;
	}
	case ST_REC_EXEC: {
		const struct st_exec *r = data;
		char file[ST_PATH_LEN + 1], comm[ST_COMM_LEN + 1];
		struct trace_arg a[2];
		struct task *t;

		if (size < sizeof(*r))
			return false;
		memcpy(file, r->filename, ST_PATH_LEN);
		file[ST_PATH_LEN] = 0;
		memcpy(comm, r->comm, ST_COMM_LEN);
		comm[ST_COMM_LEN] = 0;
		if (r->old_tid != h->tid && (t = tasks__get(k->tasks, r->old_tid)))
			t->exited = true; /* de_thread(): the exec'ing thread took the leader's tid */
		t = tasks__touch(k->tasks, r->pid, h->tid);
		if (t)
			tasks__set_comm(t, comm);
		a[0] = (struct trace_arg){ .key = "path", .type = TA_STR, .s = file };
		a[1] = (struct trace_arg){ .key = "comm", .type = TA_STR, .s = comm };
		instant(k, r->pid, h->tid, h->ts, "exec", "exec", a, 2);
		k->n.execs++;
		return true;
	}
	case ST_REC_EXIT:
		if (size < sizeof(struct st_exit))
			return false;
		on_exit_rec(k, data);
		return true;
	case ST_REC_SIGNAL:
		if (size < sizeof(struct st_signal))
			return false;
		on_signal_rec(k, data);
		return true;
	case ST_REC_WAIT: {
		const struct st_wait *r = data;

		if (size < sizeof(*r))
			return false;
		write_wait(k, h->tid, &r->w, h->ts, false);
		return true;
	}
	case ST_REC_PIPE_WRITE: {
		const struct st_pipe_write *r = data;

		if (size < sizeof(*r))
			return false;
		write_pipe_write(k, h->tid, &r->pw, r->result, h->ts, false);
		return true;
	}
	default:
		return false;
	}
}

/* --- stalls ---------------------------------------------------------------------- */

static void report_stall(struct kevents *k, uint32_t tid, const struct st_offcpu *o, uint64_t now)
{
	struct task *t = tasks__touch(k->tasks, o->pid, tid);
	uint64_t dur = now > o->start ? now - o->start : 0;
	struct kstack *ks;
	struct blocker_words b;
	struct stall_report r;
	char line[1024], comm[32];

	if (!t)
		return;
	if (t->stall_start != o->start)
		t->stall_said = 0;
	if (!stall__due(dur, t->stall_said, k->stall_ns))
		return;
	ks = malloc(sizeof(*ks));
	if (!ks)
		return;
	kstack__fill(k, ks, (const uint64_t *)o->stack, o->nstack);
	blocker_words(k, o->blocker, o->blocked_by, o->pipe_ino, o->pid, &b);
	r = (struct stall_report){
		.pid = o->pid,
		.tid = tid,
		.comm = t->comm[0] ? t->comm : comm_of(k, tid, comm, sizeof(comm)),
		.state = o->state,
		.dur_ns = dur,
		.estimated = o->flags & (ST_WAIT_F_ESTIMATED | ST_WAIT_F_NOSTART),
		.kstack = ks->v,
		.nkstack = ks->n,
		.fatal_sig = t->fatal_sig,
		.fatal_ns = t->fatal_sig && now > t->fatal_ts ? now - t->fatal_ts : 0,
		.blocked_by = b.tid,
		.blocked_comm = b.comm[0] ? b.comm : NULL,
		.blocked_reason = b.reason,
		.pipe_ino = o->pipe_ino,
	};
	stall__format(line, sizeof(line), &r);
	say("%s", line);
	t->stall_start = o->start;
	t->stall_said = dur;
	k->n.stalls++;
	free(ks);
}

/* A walk over a tid-keyed map, skipping entries deleted while it goes on. */
struct map_walk {
	int fd;
	bool started;
	uint32_t tid;
};

static bool map_walk__next(struct map_walk *w, void *val)
{
	uint32_t next;

	while (bpf_map_get_next_key(w->fd, w->started ? &w->tid : NULL, &next) == 0) {
		w->tid = next;
		w->started = true;
		if (bpf_map_lookup_elem(w->fd, &next, val) == 0)
			return true;
	}
	return false;
}

void kevents__poll(struct kevents *k, uint64_t now)
{
	struct map_walk w = { .fd = bpf_map__fd(k->skel->maps.offcpu) };
	struct st_offcpu o;

	while (map_walk__next(&w, &o)) {
		if (stall__uninterruptible(o.state))
			report_stall(k, w.tid, &o, now);
		else if (o.blocker == ST_BLK_PIPE_SPACE && now > o.start + k->min_wait_ns)
			pipe_reader(k, o.pipe_ino, o.pid, 1000000000ull);
	}
}

void kevents__finish(struct kevents *k, uint64_t stop)
{
	struct map_walk w = { .fd = bpf_map__fd(k->skel->maps.offcpu) };
	struct map_walk p = { .fd = bpf_map__fd(k->skel->maps.pwrites) };
	struct st_offcpu o;
	struct st_pwrite pw;

	while (map_walk__next(&w, &o))
		if (stop >= o.start + k->min_wait_ns)
			write_wait(k, w.tid, &o, stop, true);
	while (map_walk__next(&p, &pw)) {
		/* still off CPU inside the write: that time counts as blocked too */
		if (bpf_map_lookup_elem(w.fd, &p.tid, &o) == 0 && stop > o.start)
			pw.blocked_ns += stop - o.start;
		write_pipe_write(k, p.tid, &pw, 0, stop, true);
	}
}

void kevents__detach(struct kevents *k)
{
	while (k->nlinks)
		bpf_link__destroy(k->links[--k->nlinks]);
}

void kevents__summary(const struct kevents *k, FILE *f)
{
	const struct kevents_counts *n = &k->n;
	uint64_t tgids_full = k->skel->bss->tgids_full, waits_full = k->skel->bss->waits_full;

	fprintf(f, "processes: %llu forks, %llu threads created, %llu execs\n",
		(unsigned long long)n->forks, (unsigned long long)n->threads,
		(unsigned long long)n->execs);
	fprintf(f, "exits: %llu processes (+%llu threads); fatal signals: %llu\n",
		(unsigned long long)n->exits, (unsigned long long)n->thread_exits,
		(unsigned long long)n->signals);
	fprintf(f, "pipe writes: %llu (%llu bytes) on %zu pipe%s, %llu blocked\n",
		(unsigned long long)n->pipe_writes, (unsigned long long)n->pipe_bytes, k->npipes,
		k->npipes == 1 ? "" : "s", (unsigned long long)n->pipe_blocked);
	fprintf(f, "off-CPU waits >= %.0f ms: %llu (%llu uninterruptible); stalls reported: %llu\n",
		(double)k->min_wait_ns / 1e6, (unsigned long long)n->waits,
		(unsigned long long)n->dwaits, (unsigned long long)n->stalls);
	if (tgids_full)
		say("%llu processes were not traced: more than %d at once",
		    (unsigned long long)tgids_full, ST_MAX_TGIDS);
	if (waits_full)
		say("%llu waits or pipe writes were not tracked: more than %d threads waiting at "
		    "once", (unsigned long long)waits_full, ST_MAX_WAITING);
}

void kevents__free(struct kevents *k)
{
	kevents__detach(k);
	free(k->pipes);
	k->pipes = NULL;
}
