// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decode.h"
#include "errbuf.h"
#include "kdecode.h"
#include "kevents.h"
#include "kfeatures.h"
#include "live.h"
#include "mapsweep.h"
#include "spantrace.h"
#include "spantrace.skel.h"
#include "stall.h"
#include "tasks.h"
#include "util.h"

void kevents__configure(struct kevents *k)
{
	k->skel->rodata->min_wait_ns = k->dec->kev.min_wait_ns;
}

/* The plan names programs as the object does (kev_prog__name): one table of names. */
static struct bpf_program *kev_program(struct spantrace_bpf *s, enum kev_prog p)
{
	return bpf_object__find_program_by_name(s->obj, kev_prog__name(p));
}

/* Attaches one step of the plan and keeps its link. Returns 0 or -errno. */
static int attach_step(void *ctx, const struct kev_step *st)
{
	struct kevents *k = ctx;
	struct bpf_program *p = kev_program(k->skel, st->prog);
	struct bpf_link *l;

	if (!p)
		return -EINVAL;
	if (k->nlinks == KEV_MAX_LINKS) /* never: a plan has at most KEV_MAX_LINKS steps */
		return -E2BIG;
	if (st->how == KEV_TRACEPOINT)
		l = bpf_program__attach(p); /* tp_btf: the tracepoint is in the section name */
	else
		l = bpf_program__attach_kprobe(p, st->how == KEV_KRETPROBE, st->target);
	if (!l)
		return -errno;
	k->links[k->nlinks++] = l;
	return 0;
}

static void detach_last(void *ctx)
{
	struct kevents *k = ctx;

	if (k->nlinks)
		bpf_link__destroy(k->links[--k->nlinks]);
}

static void falling_back(void *ctx, const struct kev_step *st, int err)
{
	/* What a failed kprobe of an event falls back to. */
	static const char *const instead[KEV_NEVENTS] = {
		[KEV_EV_EXITS] = "using the sched_process_exit tracepoint",
		[KEV_EV_PIPES] = "falling back to syscall tracepoints for pipe writes",
	};

	say("warning: failed to attach a kprobe on %s: %s; %s", st->target, strerror(-err),
	    instead[st->event] ? instead[st->event] : "using tracepoints instead");
}

int kevents__attach(struct kevents *k, bool verbose, char *err, size_t errlen)
{
	const struct kev_features *f = &k->feat->kev;
	struct kplan_exec x = { .attach = attach_step, .detach_last = detach_last,
				.falling_back = falling_back, .ctx = k };
	struct kplan plan;

	kplan__build(f, &plan);
	if (kplan__run(&plan, &x)) {
		if (x.failed->how == KEV_TRACEPOINT)
			errbuf__set(err, errlen, "failed to attach tracepoint %s: %s",
				    x.failed->target, strerror(-x.error));
		else
			errbuf__set(err, errlen, "failed to attach a %s on %s: %s",
				    x.failed->how == KEV_KPROBE ? "kprobe" : "kretprobe",
				    x.failed->target, strerror(-x.error));
		return -1;
	}
	if (verbose) {
		say("process tree: tracepoints sched_process_fork and sched_process_exec");
		say("exits: %s",
		    x.fell_back[KEV_EV_EXITS] ?
			    "tracepoint sched_process_exit (the do_exit kprobe failed)" :
			    f->exit_why);
		say("pipe writes: %s",
		    x.fell_back[KEV_EV_PIPES] ?
			    "the kprobe failed → syscall tracepoints (write, writev on pipe fds) + "
			    "stack attribution" :
			    f->pipe_why);
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
		t = tasks__add(k->dec->tasks, (uint32_t)pid, (uint32_t)tid);
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

int kevents__adopt(struct kevents *k, pid_t pid, bool scan_tree, bool verbose, char *err,
		   size_t errlen)
{
	pid_t *queue = NULL;
	size_t nq = 0, cap = 0, head = 0;
	uint8_t one = 1;
	int r = 0;

	if (!scan_tree) {
		char path[64], comm[32];
		struct task *t = tasks__add(k->dec->tasks, (uint32_t)pid, (uint32_t)pid);

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
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	queue[nq++] = pid;
	cap = 1;
	while (head < nq && !r) {
		uint32_t p = (uint32_t)queue[head++];

		if (bpf_map__update_elem(k->skel->maps.tgids, &p, sizeof(p), &one, sizeof(one),
					 BPF_ANY)) {
			errbuf__set(err, errlen,
				    "failed to trace process %u: %s (at most %d processes at once)",
				    p, strerror(errno), ST_MAX_TGIDS);
			free(queue);
			return -1;
		}
		r = adopt_process(k, (pid_t)p, &queue, &nq, &cap);
	}
	free(queue);
	if (r) {
		errbuf__set(err, errlen, "failed to read the process tree of %d: %s", pid,
			    strerror(-r));
		return -1;
	}
	if (verbose && nq > 1)
		say("tracing %zu processes: %d and its descendants", nq, pid);
	r = scan_waits(k);
	if (r)
		say("warning: cannot see waits already in progress (task iterator: %s); "
		    "they appear once they end", strerror(-r));
	return 0;
}

/* --- stalls and the stop --------------------------------------------------------- */

/* Waits in progress are looked at this often... */
#define SWEEP_EVERY_NS (100 * 1000 * 1000ull)
/* ...this many per read of the map, and at most this many per round of the loop. */
#define SWEEP_CHUNK 256
#define SWEEP_ROUND 1024

/* A wait in progress, read from the map at now. */
static void wait_in_progress(struct kevents *k, uint32_t tid, const struct st_offcpu *o,
			     uint64_t now)
{
	uint32_t reader;

	if (stall__uninterruptible(o->state))
		kdecode__stall(k->dec, tid, o, now);
	else if (o->blocker == ST_BLK_PIPE_SPACE && now > o->start + k->dec->kev.min_wait_ns)
		/* its readers now: by the end of the wait they may be gone */
		live__pipe_reader(k->live, o->pipe_ino, o->pid, 1000000000ull, &reader);
}

static void sweep_failed(struct kevents *k, long err)
{
	k->sweeping = false;
	if (!k->sweep_said)
		say("warning: failed to read the map of waits in progress: %s; stalls are "
		    "reported when they end", strerror((int)-err));
	k->sweep_said = true;
}

bool kevents__poll(struct kevents *k, uint64_t now)
{
	struct mapsweep *m = &k->sweep;
	size_t seen = 0;
	long n;

	if (!k->sweeping) {
		if (k->swept_at && now - k->swept_at < SWEEP_EVERY_NS)
			return false;
		if (!m->keys && mapsweep__init(m, bpf_map__fd(k->skel->maps.offcpu),
					       sizeof(uint32_t), sizeof(struct st_offcpu),
					       SWEEP_CHUNK)) {
			sweep_failed(k, -ENOMEM);
			k->swept_at = now;
			return false;
		}
		mapsweep__restart(m);
		k->sweeping = true;
		k->swept_at = now;
	}
	while (seen < SWEEP_ROUND) {
		n = mapsweep__next(m);
		if (n < 0)
			sweep_failed(k, n);
		if (n <= 0)
			break;
		now = mono_ns();
		for (long i = 0; i < n; i++)
			wait_in_progress(k, ((const uint32_t *)m->keys)[i],
					 (const struct st_offcpu *)m->values + i, now);
		seen += (size_t)n;
	}
	if (m->done)
		k->sweeping = false;
	return k->sweeping;
}

/* Every entry of a map, key and value to fn: at the stop, all at once. */
static void sweep_all(int fd, uint32_t value_size,
		      void (*fn)(struct kevents *k, uint32_t tid, const void *val, uint64_t stop),
		      struct kevents *k, uint64_t stop)
{
	struct mapsweep m;
	long n;

	if (mapsweep__init(&m, fd, sizeof(uint32_t), value_size, SWEEP_CHUNK))
		return;
	while ((n = mapsweep__next(&m)) > 0)
		for (long i = 0; i < n; i++)
			fn(k, ((const uint32_t *)m.keys)[i], (const char *)m.values + i * value_size,
			   stop);
	mapsweep__free(&m);
}

static void wait_at_stop(struct kevents *k, uint32_t tid, const void *val, uint64_t stop)
{
	const struct st_offcpu *o = val;

	if (stop >= o->start + k->dec->kev.min_wait_ns)
		kdecode__wait(k->dec, tid, o, stop, true);
}

static void pipe_write_at_stop(struct kevents *k, uint32_t tid, const void *val, uint64_t stop)
{
	struct st_pwrite pw = *(const struct st_pwrite *)val;
	struct st_offcpu o;

	/* still off CPU inside the write: that time counts as blocked too */
	if (bpf_map__lookup_elem(k->skel->maps.offcpu, &tid, sizeof(tid), &o, sizeof(o), 0) == 0 &&
	    stop > o.start)
		pw.blocked_ns += stop - o.start;
	kdecode__pipe_write(k->dec, tid, &pw, 0, stop, true);
}

void kevents__finish(struct kevents *k, uint64_t stop)
{
	sweep_all(bpf_map__fd(k->skel->maps.offcpu), sizeof(struct st_offcpu), wait_at_stop, k,
		  stop);
	sweep_all(bpf_map__fd(k->skel->maps.pwrites), sizeof(struct st_pwrite),
		  pipe_write_at_stop, k, stop);
}

void kevents__detach(struct kevents *k)
{
	while (k->nlinks)
		bpf_link__destroy(k->links[--k->nlinks]);
}

void kevents__summary(const struct kevents *k, FILE *f)
{
	uint64_t tgids_full = k->skel->bss->tgids_full, waits_full = k->skel->bss->waits_full;

	kdecode__summary(&k->dec->kev, f);
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
	mapsweep__free(&k->sweep);
}
