// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kevents.h"
#include "kfeatures.h"
#include "ksyms.h"
#include "loader.h"
#include "resolve.h"
#include "spantrace.h"
#include "spantrace.skel.h"
#include "spantree.h"
#include "stats.h"
#include "target.h"
#include "tasks.h"
#include "trace.h"
#include "umulti.h"
#include "util.h"

/* Events are released to the span trees this long after they are stamped,
 * so records of different CPUs that reach the buffer out of order are still
 * handled in time order. */
#define REORDER_WINDOW_NS (2 * 1000 * 1000ull)
#define POLL_MS 100

struct session {
	const struct opts *o;
	struct target target;
	struct probe_table probes;
	struct spantrace_bpf *skel;
	struct features feat;
	struct bpf_link **links; /* fallback: 2 per probe, entry and return */
	int *mlinks;		 /* uprobe_multi: 2 per object */
	size_t nmlinks;
	size_t nskipped; /* functions the kernel refused to probe */
	struct ring_buffer *rb;
	int epfd, sigfd;

	char *out_tmp;
	FILE *out;
	const struct trace_ops *ops;
	struct trace_writer *w;
	struct spantree *tree;
	struct stats *stats;
	struct tasks *tasks; /* every traced task, named at the end of the trace */
	struct ksyms *ks;
	struct kevents kev;
	uint64_t bad_records;
	const char *stop_reason;
};

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* --- events ---------------------------------------------------------------- */

static void on_task(void *ctx, uint32_t pid, uint32_t tid)
{
	struct session *s = ctx;

	tasks__touch(s->tasks, pid, tid);
}

static void on_span(void *ctx, const struct span_out *sp)
{
	struct session *s = ctx;
	const struct probe *p = &s->probes.v[sp->key];
	struct trace_span ts = {
		.pid = sp->pid,
		.tid = sp->tid,
		.start_ns = sp->start,
		.dur_ns = sp->end - sp->start,
		.name = p->name,
		.func = p->func,
		.object = p->object,
		.unfinished = sp->unfinished,
	};

	s->ops->span(s->w, &ts);
	if (!sp->unfinished)
		stats__add(s->stats, p->name, ts.dur_ns);
}

/* The one place records are decoded: dispatch on the header's type. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	const struct st_hdr *h = data;
	struct span_ev ev;

	if (size < sizeof(*h)) {
		s->bad_records++;
		return 0;
	}
	switch (h->type) {
	case ST_REC_SPAN_BEGIN:
	case ST_REC_SPAN_END: {
		const struct st_span *r = data;

		if (size < sizeof(*r) || r->probe >= s->probes.n) {
			s->bad_records++;
			return 0;
		}
		ev.ts = h->ts;
		ev.pid = r->pid;
		ev.tid = h->tid;
		ev.key = r->probe;
		ev.kind = h->type == ST_REC_SPAN_BEGIN ? SPAN_EV_BEGIN : SPAN_EV_END;
		spantree__push(s->tree, &ev);
		break;
	}
	case ST_REC_TASK: {
		const struct st_task *r = data;

		struct task *t;

		if (size < sizeof(*r)) {
			s->bad_records++;
			return 0;
		}
		t = tasks__add(s->tasks, r->pid, h->tid);
		if (t)
			tasks__set_comm(t, r->comm);
		break;
	}
	default:
		if (!kevents__record(&s->kev, data, size))
			s->bad_records++;
	}
	return 0;
}

/* --- setup ------------------------------------------------------------------- */

/* The trace goes to a temporary file beside the output, renamed at the end:
 * a failed or interrupted run never leaves a half-written trace. */
static int output_open(struct session *s, char *err, size_t errlen)
{
	char *dup = strdup(s->o->output), *dir;
	mode_t um;
	int fd;

	if (!dup || asprintf(&s->out_tmp, "%s/.%s.XXXXXX", (dir = dirname(dup)),
			     strrchr(s->o->output, '/') ? strrchr(s->o->output, '/') + 1 :
							  s->o->output) < 0) {
		free(dup);
		s->out_tmp = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(dup);
	fd = mkstemp(s->out_tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write the trace to %s: %s; choose another path with -o",
			 s->o->output, strerror(errno));
		free(s->out_tmp);
		s->out_tmp = NULL;
		return -1;
	}
	um = umask(0);
	umask(um);
	fchmod(fd, 0666 & ~um);
	s->out = fdopen(fd, "w");
	if (!s->out) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	setvbuf(s->out, NULL, _IOFBF, 1 << 20);
	return 0;
}

static void output_discard(struct session *s)
{
	if (s->out)
		fclose(s->out);
	s->out = NULL;
	if (s->out_tmp)
		unlink(s->out_tmp);
	free(s->out_tmp);
	s->out_tmp = NULL;
}

static int output_commit(struct session *s, char *err, size_t errlen)
{
	int r = 0;

	if (fflush(s->out) || fsync(fileno(s->out)))
		r = -errno;
	if (fclose(s->out) && !r)
		r = -errno;
	s->out = NULL;
	if (!r && rename(s->out_tmp, s->o->output))
		r = -errno;
	if (r) {
		snprintf(err, errlen, "failed to write the trace to %s: %s", s->o->output,
			 strerror(-r));
		output_discard(s);
		return -1;
	}
	free(s->out_tmp);
	s->out_tmp = NULL;
	return 0;
}

static void raise_fd_limit(size_t nprobes)
{
	struct rlimit rl;

	/* Two perf events per function plus the usual handful. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * nprobes + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int load_bpf(struct session *s, char *err, size_t errlen)
{
	uint32_t pid = (uint32_t)s->target.pid;
	uint8_t one = 1;
	int r;

	s->skel = spantrace_bpf__open();
	if (!s->skel) {
		snprintf(err, errlen, "failed to open the BPF object: %s", strerror(errno));
		return -1;
	}
	s->skel->rodata->wakeup_bytes = s->o->ringbuf_size / 8;
	if (s->feat.uprobe_multi) {
		bpf_program__set_expected_attach_type(s->skel->progs.span_enter,
						      ST_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(s->skel->progs.span_exit,
						      ST_TRACE_UPROBE_MULTI);
	}
	bpf_map__set_max_entries(s->skel->maps.events, (uint32_t)s->o->ringbuf_size);
	s->kev.skel = s->skel;
	kevents__configure(&s->kev);
	r = spantrace_bpf__load(s->skel);
	if (r) {
		snprintf(err, errlen, "failed to load the BPF programs: %s; run with -v for the "
			 "verifier log", strerror(-r));
		return -1;
	}
	if (bpf_map__update_elem(s->skel->maps.tgids, &pid, sizeof(pid), &one, sizeof(one),
				 BPF_ANY)) {
		snprintf(err, errlen, "failed to set the traced process: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Kernel-internal ENOTSUPP: the instruction at the address cannot be probed. */
#define KERNEL_ENOTSUPP 524

/* The kernel refused this function's address, as opposed to failing the attach as a whole. */
static bool attach_refused(int e)
{
	return e == KERNEL_ENOTSUPP || e == EINVAL || e == EOPNOTSUPP;
}

static const char *attach_strerror(int e)
{
	return e == KERNEL_ENOTSUPP ? "the kernel cannot probe the instruction there" : strerror(e);
}

static void attach_error(struct session *s, int e, const char *what, const char *func,
			 const char *object, char *err, size_t errlen)
{
	if (target__exited(&s->target) || e == ESRCH)
		snprintf(err, errlen, "process %d exited while probes were being attached",
			 s->target.pid);
	else
		snprintf(err, errlen, "failed to attach %s to %s in %s: %s", what, func, object,
			 attach_strerror(e));
}

/*
 * The process the kernel filters a probe in path on. The main executable is
 * probed in every process that runs it, so forked descendants are traced
 * from their first call; the tgids map in BPF keeps other processes running
 * the same program out, and costs nothing to processes that do not run it.
 * A shared library stays filtered to the traced process: probed for every
 * process on the system, each call to it anywhere would trap. Returns the
 * value in uprobe_multi's convention (0: any process); the perf path wants
 * -1 for that.
 */
static int uprobe_pid(const struct session *s, const char *path)
{
	for (size_t i = 0; i < s->target.nobjs; i++)
		if (s->target.objs[i].is_main && strcmp(s->target.objs[i].open_path, path) == 0)
			return 0;
	return s->target.pid;
}

struct mgroup {
	const char *path;
	unsigned long *offs;
	unsigned long long *cookies; /* probe indexes */
};

/*
 * Attaches entry and return links for g[lo, hi). The kernel refuses a whole
 * link if one offset cannot be probed, so on such a refusal split in halves
 * until the refused functions are isolated; those are marked skipped.
 * Returns 0, or -errno for a failure that is not about one function.
 */
static int attach_range(struct session *s, struct mgroup *g, unsigned int lo, unsigned int hi,
			bool *skipped, int *why)
{
	int fds[2];

	for (int ret = 0; ret < 2; ret++) {
		int prog = bpf_program__fd(ret ? s->skel->progs.span_exit :
						 s->skel->progs.span_enter);

		fds[ret] = umulti__link_create(prog, g->path, g->offs + lo, g->cookies + lo,
					       hi - lo, ret ? ST_F_UPROBE_MULTI_RETURN : 0,
					       uprobe_pid(s, g->path));
		if (fds[ret] >= 0)
			continue;
		int e = errno;

		if (ret)
			close(fds[0]);
		if (!attach_refused(e))
			return -e;
		if (hi - lo == 1) {
			skipped[g->cookies[lo]] = true;
			*why = e;
			return 0;
		}
		unsigned int mid = lo + (hi - lo) / 2;
		int r = attach_range(s, g, lo, mid, skipped, why);

		return r ? r : attach_range(s, g, mid, hi, skipped, why);
	}
	s->mlinks[s->nmlinks++] = fds[0];
	s->mlinks[s->nmlinks++] = fds[1];
	return 0;
}

static bool has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* A refused function is an error if a SPEC named it exactly, else a warning. */
static int report_skipped(struct session *s, const bool *skipped, int why, char *err,
			  size_t errlen)
{
	size_t nskip = 0;

	for (size_t i = 0; i < s->probes.n; i++) {
		if (!skipped[i])
			continue;
		nskip++;
		for (size_t k = 0; k < s->o->nspecs; k++) {
			const struct spec *sp = &s->o->specs[k];

			if (!has_glob(sp->pattern) && strcmp(sp->pattern, s->probes.v[i].func) == 0) {
				attach_error(s, why, "a uprobe", s->probes.v[i].func,
					     s->probes.v[i].object, err, errlen);
				return -1;
			}
		}
		if (verbose)
			say("skipped %s in %s: %s", s->probes.v[i].func, s->probes.v[i].object,
			    attach_strerror(why));
	}
	s->nskipped = nskip;
	if (nskip)
		say("warning: skipped %zu function%s the kernel refused to probe (%s)%s", nskip,
		    nskip == 1 ? "" : "s", attach_strerror(why), verbose ? "" : "; -v lists them");
	return 0;
}

/* Entry and return links per object, each carrying all its offsets. */
static int attach_multi(struct session *s, char *err, size_t errlen)
{
	size_t n = s->probes.n;
	unsigned long *offs = calloc(n, sizeof(*offs));
	unsigned long long *cookies = calloc(n, sizeof(*cookies));
	bool *done = calloc(n, sizeof(*done)), *skipped = calloc(n, sizeof(*skipped));
	int rc = -1, why = 0;

	s->mlinks = calloc(2 * n, sizeof(*s->mlinks));
	if (!offs || !cookies || !done || !skipped || !s->mlinks) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct mgroup g = { .path = s->probes.v[i].open_path, .offs = offs,
				    .cookies = cookies };
		unsigned int cnt = 0;
		int r;

		if (done[i])
			continue;
		for (size_t j = i; j < n; j++) {
			if (done[j] || strcmp(s->probes.v[j].open_path, g.path) != 0)
				continue;
			offs[cnt] = s->probes.v[j].offset;
			cookies[cnt++] = j;
			done[j] = true;
		}
		r = attach_range(s, &g, 0, cnt, skipped, &why);
		if (r) {
			attach_error(s, -r, "uprobes", cnt == 1 ? s->probes.v[i].func : "functions",
				     s->probes.v[i].object, err, errlen);
			goto out;
		}
		if (verbose)
			say("attached %u function%s in %s (entry and return)", cnt,
			    cnt == 1 ? "" : "s", s->probes.v[i].object);
	}
	rc = report_skipped(s, skipped, why, err, errlen);
out:
	free(offs);
	free(cookies);
	free(done);
	free(skipped);
	return rc;
}

static void detach_all(struct session *s)
{
	for (size_t i = 0; i < s->nmlinks; i++)
		close(s->mlinks[i]);
	s->nmlinks = 0;
	if (s->links)
		for (size_t i = 0; i < 2 * s->probes.n; i++) {
			bpf_link__destroy(s->links[i]);
			s->links[i] = NULL;
		}
}

static int attach_probes(struct session *s, char *err, size_t errlen)
{
	size_t n = s->probes.n;
	bool *skipped = NULL;
	int rc = -1, why = 0;

	if (s->feat.uprobe_multi)
		return attach_multi(s, err, errlen);

	raise_fd_limit(n);
	s->links = calloc(2 * n, sizeof(*s->links));
	skipped = calloc(n, sizeof(*skipped));
	if (!s->links || !skipped) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct probe *p = &s->probes.v[i];

		for (int ret = 0; ret < 2; ret++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret, .bpf_cookie = i);
			struct bpf_program *prog = ret ? s->skel->progs.span_exit :
							 s->skel->progs.span_enter;
			struct bpf_link *l;

			l = bpf_program__attach_uprobe_opts(prog, uprobe_pid(s, p->open_path) ?: -1,
							    p->open_path,
							    p->offset, &uo);
			if (!l) {
				int e = errno;

				if (attach_refused(e)) {
					/* Like the multi path: no entry without its return. */
					bpf_link__destroy(s->links[2 * i]);
					s->links[2 * i] = NULL;
					skipped[i] = true;
					why = e;
					break;
				}
				attach_error(s, e, ret ? "a uretprobe" : "a uprobe", p->func,
					     p->object, err, errlen);
				goto out;
			}
			s->links[2 * i + ret] = l;
		}
		if (skipped[i])
			continue;
		if (verbose)
			say("attached %s at %s+0x%llx (entry and return)", p->func, p->object,
			    (unsigned long long)p->offset);
	}
	rc = report_skipped(s, skipped, why, err, errlen);
out:
	free(skipped);
	return rc;
}

static int setup_loop(struct session *s, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_record, s, NULL);
	if (!s->rb) {
		snprintf(err, errlen, "failed to create the ring buffer reader: %s",
			 strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->sigfd < 0 || s->epfd < 0) {
		snprintf(err, errlen, "failed to set up the event loop: %s", strerror(errno));
		return -1;
	}
	ev.data.u32 = 0;
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), &ev);
	ev.data.u32 = 1;
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev);
	ev.data.u32 = 2;
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->target.pidfd, &ev);
	return 0;
}

/* --- run ---------------------------------------------------------------------- */

static void run_loop(struct session *s)
{
	uint64_t deadline = s->o->duration > 0 ? mono_ns() + (uint64_t)(s->o->duration * 1e9) : 0;

	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(s->epfd, evs, 4, POLL_MS);
		uint64_t now;

		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 1) {
				struct signalfd_siginfo si;

				if (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
					s->stop_reason = si.ssi_signo == SIGINT ? "interrupted" :
										  "terminated";
					return;
				}
			} else if (evs[i].data.u32 == 2) {
				s->stop_reason = "the process exited";
				return;
			}
		}
		ring_buffer__consume(s->rb);
		now = mono_ns();
		if (now > REORDER_WINDOW_NS)
			spantree__flush(s->tree, now - REORDER_WINDOW_NS);
		kevents__poll(&s->kev, now);
		if (deadline && now >= deadline) {
			s->stop_reason = "the duration elapsed";
			return;
		}
	}
}

static void print_summary(struct session *s, uint64_t dropped)
{
	const struct spantree_stats *ts = spantree__stats(s->tree);

	fprintf(stderr, "\n");
	stats__print(s->stats, stderr);
	fprintf(stderr, "\n%llu spans (%llu unfinished) on %u threads; events lost: %llu\n",
		(unsigned long long)ts->spans, (unsigned long long)ts->unfinished, ts->tasks,
		(unsigned long long)dropped);
	if (dropped)
		say("%llu events were dropped because the ring buffer was full; "
		    "consider --ringbuf-size", (unsigned long long)dropped);
	if (s->bad_records)
		say("%llu malformed records ignored", (unsigned long long)s->bad_records);
	kevents__summary(&s->kev, stderr);
	if (verbose && ts->orphan_ends)
		say("%llu returns of calls that began before tracing were ignored",
		    (unsigned long long)ts->orphan_ends);
}

static void session_cleanup(struct session *s)
{
	detach_all(s);
	free(s->links);
	free(s->mlinks);
	ring_buffer__free(s->rb);
	spantrace_bpf__destroy(s->skel);
	if (s->epfd > 0)
		close(s->epfd);
	if (s->sigfd > 0)
		close(s->sigfd);
	if (s->w)
		s->ops->close(s->w);
	output_discard(s);
	spantree__free(s->tree);
	stats__free(s->stats);
	kevents__free(&s->kev);
	tasks__free(s->tasks);
	ksyms__free(s->ks);
	probe_table__free(&s->probes);
	target__close(&s->target);
}

/* Metadata for every task with events: its last known name. */
static void name_task(void *ctx, struct task *t)
{
	struct session *s = ctx;
	char path[64], buf[32];

	if (!t->in_trace)
		return;
	if (!t->exited) {
		/* alive: a prctl() rename since its last record shows here */
		snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", t->pid, t->tid);
		util__read_line(path, buf, sizeof(buf));
		if (buf[0])
			tasks__set_comm(t, buf);
	}
	if (!t->comm[0])
		snprintf(t->comm, sizeof(t->comm), "tid %u", t->tid);
	s->ops->thread_name(s->w, t->pid, t->tid, t->comm);
	if (t->tid == t->pid)
		s->ops->process_name(s->w, t->pid, t->comm);
}

static bool specs_name_objects(const struct opts *o)
{
	for (size_t i = 0; i < o->nspecs; i++)
		if (o->specs[i].object)
			return true;
	return false;
}

int loader__run(const struct opts *o)
{
	struct session s = { .o = o, .ops = &chrome_trace_ops, .epfd = -1, .sigfd = -1 };
	char err[1024] = "";
	uint64_t stop, dropped;

	verbose = o->verbose;
	libbpf_set_print(libbpf_print);

	if (target__check_caps(err, sizeof(err)))
		goto fail;
	if (o->pid ? target__attach_pid(&s.target, o->pid, err, sizeof(err)) :
		     target__launch(&s.target, o->cmd, specs_name_objects(o), err, sizeof(err)))
		goto fail;
	if (resolve__specs(o->specs, o->nspecs, s.target.objs, s.target.nobjs, &s.probes, err,
			   sizeof(err)))
		goto fail;
	if (output_open(&s, err, sizeof(err)))
		goto fail;
	s.stats = stats__new();
	s.tree = spantree__new(REORDER_WINDOW_NS, on_span, on_task, &s);
	s.tasks = tasks__new();
	s.w = s.ops->open(s.out);
	if (!s.stats || !s.tree || !s.w || !s.tasks) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	s.ks = ksyms__load("/proc/kallsyms", err, sizeof(err));
	if (!s.ks && verbose)
		say("kernel stacks stay addresses: %s", err);
	features__probe(&s.feat, s.ks);
	if (verbose) {
		say("uprobes: %s", s.feat.uprobe_why);
		say("kernel events: %s", s.feat.btf_why);
	}
	if (!s.feat.btf) {
		/* libbpf relocates a whole object against kernel BTF, used or not */
		snprintf(err, sizeof(err), "this kernel has no BTF (/sys/kernel/btf/vmlinux is "
			 "missing): spantrace's BPF programs are compiled once and relocated against "
			 "it (CO-RE); use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		goto fail;
	}
	s.kev = (struct kevents){ .feat = &s.feat, .ops = s.ops, .w = s.w, .tree = s.tree,
				  .tasks = s.tasks, .ks = s.ks, .min_wait_ns = o->min_wait_ns,
				  .stall_ns = o->stall_ns, .verbose = verbose };
	if (load_bpf(&s, err, sizeof(err)) || kevents__attach(&s.kev, err, sizeof(err)) ||
	    kevents__adopt(&s.kev, s.target.pid, !s.target.launched, err, sizeof(err)) ||
	    attach_probes(&s, err, sizeof(err)) || setup_loop(&s, err, sizeof(err)))
		goto fail;
	if (s.target.launched) {
		if (target__release(&s.target, err, sizeof(err)))
			goto fail;
	} else if (target__exited(&s.target)) {
		snprintf(err, sizeof(err), "process %d exited while probes were being attached",
			 o->pid);
		goto fail;
	}
	say("tracing %zu function%s in process %d (%s) and its descendants, with kernel events; "
	    "Ctrl-C to stop",
	    s.probes.n - s.nskipped, s.probes.n - s.nskipped == 1 ? "" : "s", s.target.pid,
	    s.target.comm);

	run_loop(&s);

	/* Everything the target did before it stopped is already in the buffer. */
	detach_all(&s);
	kevents__detach(&s.kev);
	while (ring_buffer__consume(s.rb) > 0)
		;
	stop = mono_ns();
	spantree__finish(s.tree, stop);
	kevents__finish(&s.kev, stop);
	tasks__foreach(s.tasks, name_task, &s);
	dropped = s.skel->bss->dropped;
	if (s.ops->close(s.w)) {
		s.w = NULL;
		snprintf(err, sizeof(err), "failed to write the trace to %s: %s", o->output,
			 strerror(errno ? errno : EIO));
		goto fail;
	}
	s.w = NULL;
	if (output_commit(&s, err, sizeof(err)))
		goto fail;
	print_summary(&s, dropped);
	say("stopped: %s; wrote %s", s.stop_reason, o->output);
	session_cleanup(&s);
	return 0;
fail:
	say("%s", err);
	session_cleanup(&s);
	return 1;
}
