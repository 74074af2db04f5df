// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel-event records into the trace. See kdecode.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "decode.h"
#include "kdecode.h"
#include "ksyms.h"
#include "pipeset.h"
#include "spantrace.h"
#include "spantree.h"
#include "stall.h"
#include "tasks.h"
#include "trace.h"

#define FRAME_LEN 96

/* --- kernel stacks and blockers ------------------------------------------------ */

struct kstack {
	char frames[ST_MAX_STACK][FRAME_LEN];
	const char *v[ST_MAX_STACK];
	size_t n;
};


/* A live line for the user (a stall), to k->notices as spantrace says things. */
static void __attribute__((format(printf, 2, 3))) notice(const struct kdecode *k, const char *fmt,
							  ...)
{
	va_list ap;

	if (!k->notices)
		return;
	fputs("spantrace: ", k->notices);
	va_start(ap, fmt);
	vfprintf(k->notices, fmt, ap);
	va_end(ap);
	fputc('\n', k->notices);
}

static void kstack__fill(const struct kdecode *k, struct kstack *ks, const uint64_t *ips,
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
	 * tracepoint's glue (bpf_trace_run4, __traceiter_sched_switch): not the task's. */
	for (size_t i = ks->n < 8 ? ks->n : 8; i-- > 0;) {
		if (stall__tracing_frame(ks->v[i])) {
			memmove(ks->v, ks->v + i + 1, (ks->n - i - 1) * sizeof(ks->v[0]));
			ks->n -= i + 1;
			break;
		}
	}
}

/* Thread tid's name: from its records, else (live only) as the system has it now. */
static const char *comm_of(struct decoder *d, uint32_t tid, char *buf, size_t len)
{
	struct task *t = tasks__get(d->tasks, tid);

	if (t && t->comm[0])
		return t->comm;
	buf[0] = 0;
	if (d->live && d->live->comm)
		d->live->comm(d->live->ctx, tid, buf, len);
	return buf[0] ? buf : NULL;
}

struct blocker_words {
	uint32_t tid;
	const char *reason;
	char comm[32];
};

/* Who holds up a writer that waits for room in pipe ino, and why. */
static void pipe_space_words(struct decoder *d, uint64_t ino, uint32_t writer,
			     struct blocker_words *b)
{
	uint32_t reader = 0;

	if (!d->live || !d->live->pipe_reader) {
		/* the kernel keeps no list of a pipe's openers; without /proc: unknown */
		b->reason = "the pipe is full; its readers are not known here";
		return;
	}
	if (!d->live->pipe_reader(d->live->ctx, ino, writer, &reader)) {
		b->reason = "the pipe is full; its readers are not known yet (/proc was still "
			    "being searched)";
		return;
	}
	b->tid = reader;
	b->reason = !reader	       ? "the pipe is full and no process holds its read end" :
		    reader == writer ? "the pipe is full; only the writer's own process holds "
				       "its read end" :
				       "the pipe is full; holds the read end and does not read";
}

static void blocker_words(struct decoder *d, uint8_t kind, uint32_t by, uint64_t ino, uint32_t pid,
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
	case ST_BLK_PIPE_SPACE:
		b->tid = 0;
		pipe_space_words(d, ino, pid, b);
		break;
	default:
		break;
	}
	if (b->tid && (cm = comm_of(d, b->tid, b->comm, sizeof(b->comm))))
		snprintf(b->comm, sizeof(b->comm), "%s", cm);
}

/* --- waits and pipe writes ----------------------------------------------------- */

/* The function a task waits in, below the scheduler's own, into buf; NULL if none. */
static const char *wait_func(const struct kstack *ks, char *buf, size_t len)
{
	size_t w = stall__wait_frame(ks->v, ks->n);

	if (w == ks->n)
		return NULL;
	stall__func(ks->v[w], buf, len);
	return buf;
}

void kdecode__wait(struct decoder *d, uint32_t tid, const struct st_offcpu *o, uint64_t end,
		   bool unfinished)
{
	struct kdecode *k = &d->kev;
	struct kstack *ks = malloc(sizeof(*ks));
	struct task *t = tasks__touch(d->tasks, o->pid, tid);
	struct blocker_words b;
	char func[FRAME_LEN], sig[32];
	struct trace_wait wt = {
		.pid = o->pid,
		.tid = tid,
		.start_ns = o->start,
		.dur_ns = end > o->start ? end - o->start : 0,
		.state = stall__state(o->state),
		.killable = stall__killable(o->state),
		.pipe_ino = o->pipe_ino,
		.start_estimated = o->flags & (ST_WAIT_F_ESTIMATED | ST_WAIT_F_NOSTART),
		.unfinished = unfinished,
	};

	if (!ks)
		return;
	kstack__fill(k, ks, (const uint64_t *)o->stack, o->nstack);
	wt.func = wait_func(ks, func, sizeof(func));
	wt.kstack = ks->v;
	wt.nkstack = ks->n;
	if (t && t->fatal_sig && t->fatal_ts <= end)
		wt.fatal_signal = stall__signame(t->fatal_sig, sig, sizeof(sig));
	blocker_words(d, o->blocker, o->blocked_by, o->pipe_ino, o->pid, &b);
	wt.blocked_by = b.tid;
	wt.blocked_reason = b.reason;
	d->ops->wait(d->w, &wt);
	k->n.waits++;
	if (stall__uninterruptible(o->state))
		k->n.dwaits++;
	if (t && t->stall_said && t->stall_start == o->start) {
		notice(k, "stall over: pid %u tid %u (%s) after %.1f s%s", o->pid, tid, t->comm,
		       (double)wt.dur_ns / 1e9,
		       unfinished ? " (still waiting when tracing stopped)" : "");
		t->stall_said = 0;
	}
	free(ks);
}

/* Whether process pid is alive, as its records say: the pipes it alone wrote to may go. */
static bool process_alive(void *ctx, uint32_t pid)
{
	const struct decoder *d = ctx;
	const struct task *t = tasks__get(d->tasks, pid);

	return t && !t->exited;
}

void kdecode__pipe_write(struct decoder *d, uint32_t tid, const struct st_pwrite *pw,
			 int64_t result, uint64_t end, bool unfinished)
{
	struct kdecode *k = &d->kev;
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

	tasks__touch(d->tasks, pw->pid, tid);
	k->n.pipe_writes++;
	if (result > 0)
		k->n.pipe_bytes += (uint64_t)result;
	pipeset__write(&k->pipes, pw->ino, pw->pid, process_alive, d);
	if (pw->blocked_ns)
		k->n.pipe_blocked++;
	/* Every write is counted; the ones that waited are drawn. */
	if (pw->blocked_ns < k->min_wait_ns && !t.unfinished)
		return;
	blocker_words(d, pw->blocker, pw->blocked_by, pw->ino, pw->pid, &b);
	t.blocked_by = b.tid;
	t.blocked_reason = b.reason;
	d->ops->pipe_write(d->w, &t);
}

/* --- the process tree and signals ---------------------------------------------- */

static void instant(struct decoder *d, uint32_t pid, uint32_t tid, uint64_t ts,
		    enum trace_instant_kind kind, const struct trace_arg *args, size_t nargs)
{
	struct trace_instant in = { .pid = pid, .tid = tid, .ts_ns = ts, .kind = kind,
				    .args = args, .nargs = nargs };

	d->ops->instant(d->w, &in);
}

static void on_fork_rec(struct decoder *d, const struct st_fork *r)
{
	const struct st_hdr *h = &r->hdr;
	struct trace_flow fl;
	struct task *t;

	tasks__touch(d->tasks, r->pid, h->tid);
	tasks__born(d->tasks, r->child_pid, r->child_tid);
	t = tasks__touch(d->tasks, r->child_pid, r->child_tid);
	if (t)
		tasks__set_comm(t, r->comm);
	fl = (struct trace_flow){ .from_pid = r->pid, .from_tid = h->tid,
				  .to_pid = r->child_pid, .to_tid = r->child_tid,
				  .ts_ns = h->ts,
				  .kind = r->child_pid == r->pid ? TRACE_THREAD : TRACE_FORK };
	d->ops->flow(d->w, &fl);
	if (r->child_pid == r->pid)
		d->kev.n.threads++;
	else
		d->kev.n.forks++;
}

static void on_exec_rec(struct decoder *d, const struct st_exec *r)
{
	const struct st_hdr *h = &r->hdr;
	char file[ST_PATH_LEN + 1], comm[ST_COMM_LEN + 1];
	struct trace_arg a[2];
	struct task *t;

	memcpy(file, r->filename, ST_PATH_LEN);
	file[ST_PATH_LEN] = 0;
	memcpy(comm, r->comm, ST_COMM_LEN);
	comm[ST_COMM_LEN] = 0;
	/* de_thread(): the exec'ing thread took the leader's tid */
	if (r->old_tid != h->tid && (t = tasks__get(d->tasks, r->old_tid)))
		tasks__exit(d->tasks, t, h->ts, false);
	t = tasks__touch(d->tasks, r->pid, h->tid);
	if (t)
		tasks__set_comm(t, comm);
	a[0] = (struct trace_arg){ .key = "path", .type = TA_STR, .s = file };
	a[1] = (struct trace_arg){ .key = "comm", .type = TA_STR, .s = comm };
	instant(d, r->pid, h->tid, h->ts, TRACE_EXEC, a, 2);
	d->kev.n.execs++;
}

static void on_exit_rec(struct decoder *d, const struct st_exit *r)
{
	struct task *t = tasks__touch(d->tasks, r->pid, r->hdr.tid);
	struct span_ev ev = { .ts = r->hdr.ts, .pid = r->pid, .tid = r->hdr.tid,
			      .kind = SPAN_EV_EXIT };
	struct trace_arg a[3];
	size_t na = 0;
	char sig[32];

	if (t) {
		if (r->comm[0])
			tasks__set_comm(t, r->comm);
		t->fatal_sig = 0;
		tasks__exit(d->tasks, t, r->hdr.ts, r->group_dead);
	}
	decoder__forget_tasks(d, r->hdr.ts);
	spantree__push(d->tree, &ev);
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
	instant(d, r->pid, r->hdr.tid, r->hdr.ts, r->group_dead ? TRACE_EXIT : TRACE_THREAD_EXIT, a,
		na);
	if (r->group_dead && r->pid == d->kev.root_pid) {
		d->kev.root_ended = true;
		d->kev.root_wstatus = r->code;
	}
	if (r->group_dead) {
		d->kev.n.exits++;
		pipeset__exited(&d->kev.pipes);
	} else {
		d->kev.n.thread_exits++;
	}
}

static void on_signal_rec(struct decoder *d, const struct st_signal *r)
{
	char sig[32], comm[ST_COMM_LEN + 1];
	struct trace_arg a[5];

	memcpy(comm, r->sender_comm, ST_COMM_LEN);
	comm[ST_COMM_LEN] = 0;
	tasks__touch(d->tasks, r->pid, r->hdr.tid);
	tasks__signal(d->tasks, r->pid, r->hdr.tid, r->group, r->sig, r->hdr.ts, r->sender_tid);
	a[0] = (struct trace_arg){ .key = "signal", .type = TA_STR,
				   .s = stall__signame(r->sig, sig, sizeof(sig)) };
	a[1] = (struct trace_arg){ .key = "sender_pid", .type = TA_INT, .i = r->sender_pid };
	a[2] = (struct trace_arg){ .key = "sender_tid", .type = TA_INT, .i = r->sender_tid };
	a[3] = (struct trace_arg){ .key = "sender_comm", .type = TA_STR, .s = comm };
	a[4] = (struct trace_arg){ .key = "group", .type = TA_BOOL, .i = r->group != 0 };
	instant(d, r->pid, r->hdr.tid, r->hdr.ts, TRACE_FATAL_SIGNAL, a, 5);
	d->kev.n.signals++;
}

bool kdecode__record(struct decoder *d, const void *data, size_t size)
{
	static const uint16_t min_size[] = {
		[ST_REC_FORK] = sizeof(struct st_fork),
		[ST_REC_EXEC] = sizeof(struct st_exec),
		[ST_REC_EXIT] = sizeof(struct st_exit),
		[ST_REC_SIGNAL] = sizeof(struct st_signal),
		[ST_REC_WAIT] = sizeof(struct st_wait),
		[ST_REC_PIPE_WRITE] = sizeof(struct st_pipe_write),
	};
	const struct st_hdr *h = data;

	if (size < sizeof(*h) || h->type >= sizeof(min_size) / sizeof(min_size[0]) ||
	    !min_size[h->type] || size < min_size[h->type])
		return false;
	switch (h->type) {
	case ST_REC_FORK:
		on_fork_rec(d, data);
		break;
	case ST_REC_EXEC:
		on_exec_rec(d, data);
		break;
	case ST_REC_EXIT:
		on_exit_rec(d, data);
		break;
	case ST_REC_SIGNAL:
		on_signal_rec(d, data);
		break;
	case ST_REC_WAIT: {
		const struct st_wait *r = data;

		kdecode__wait(d, h->tid, &r->w, h->ts, false);
		break;
	}
	case ST_REC_PIPE_WRITE: {
		const struct st_pipe_write *r = data;

		kdecode__pipe_write(d, h->tid, &r->pw, r->result, h->ts, false);
		break;
	}
	}
	return true;
}

/* --- stalls and the summary ------------------------------------------------------ */

void kdecode__stall(struct decoder *d, uint32_t tid, const struct st_offcpu *o, uint64_t now)
{
	struct kdecode *k = &d->kev;
	struct task *t = tasks__touch(d->tasks, o->pid, tid);
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
	blocker_words(d, o->blocker, o->blocked_by, o->pipe_ino, o->pid, &b);
	r = (struct stall_report){
		.pid = o->pid,
		.tid = tid,
		.comm = t->comm[0] ? t->comm : comm_of(d, tid, comm, sizeof(comm)),
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
	notice(k, "%s", line);
	t->stall_start = o->start;
	t->stall_said = dur;
	k->n.stalls++;
	free(ks);
}

void kdecode__summary(const struct kdecode *k, FILE *f)
{
	const struct kdecode_counts *n = &k->n;

	fprintf(f, "processes: %llu forks, %llu threads created, %llu execs\n",
		(unsigned long long)n->forks, (unsigned long long)n->threads,
		(unsigned long long)n->execs);
	fprintf(f, "exits: %llu processes (+%llu threads); fatal signals: %llu\n",
		(unsigned long long)n->exits, (unsigned long long)n->thread_exits,
		(unsigned long long)n->signals);
	fprintf(f, "pipe writes: %llu (%llu bytes) on %llu pipe%s, %llu blocked\n",
		(unsigned long long)n->pipe_writes, (unsigned long long)n->pipe_bytes,
		(unsigned long long)k->pipes.counted, k->pipes.counted == 1 ? "" : "s",
		(unsigned long long)n->pipe_blocked);
	if (k->pipes.forgotten)
		fprintf(f, "pipes: %llu forgotten once every process that had written to them had "
			"exited (more than %d at once): one written to again is counted again\n",
			(unsigned long long)k->pipes.forgotten, PIPESET_MAX);
	if (k->pipes.untracked_writes)
		fprintf(f, "pipes: %llu writes went to pipes not told apart, left out of the count "
			"above (more than %d written to by live processes at once)\n",
			(unsigned long long)k->pipes.untracked_writes, PIPESET_MAX);
	fprintf(f, "off-CPU waits >= %.0f ms: %llu (%llu uninterruptible); stalls reported: %llu\n",
		(double)k->min_wait_ns / 1e6, (unsigned long long)n->waits,
		(unsigned long long)n->dwaits, (unsigned long long)n->stalls);
}

void kdecode__free(struct kdecode *k)
{
	pipeset__free(&k->pipes);
}
