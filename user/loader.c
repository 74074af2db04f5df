// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
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

#include "decode.h"
#include "fate.h"
#include "gobin.h"
#include "goroutines.h"
#include "kevents.h"
#include "kfeatures.h"
#include "ksyms.h"
#include "loader.h"
#include "names.h"
#include "resolve.h"
#include "ringread.h"
#include "sites.h"
#include "spantrace.h"
#include "spantrace.skel.h"
#include "spantree.h"
#include "stall.h"
#include "stats.h"
#include "target.h"
#include "tasks.h"
#include "trace.h"
#include "umulti.h"
#include "uprobes.h"
#include "util.h"

/* Events are released to the span trees this long after they are stamped,
 * so records of different CPUs that reach the buffer out of order are still
 * handled in time order. */
#define REORDER_WINDOW_NS (2 * 1000 * 1000ull)
#define POLL_MS 100

/* What the event loop watches. */
enum { EV_RING, EV_SIGNAL, EV_EXIT };

struct session {
	const struct opts *o;
	struct target target;
	struct probe_table probes;
	struct spantrace_bpf *skel;
	struct features feat;
	struct gobin go;     /* the main executable, if it is Go */
	const char *go_path; /* its open_path when its goroutines are followed */
	struct site_table sites;
	struct uprobes up;
	bool names_sleepable; /* span_enter_named loaded: it can fault names in */
	struct ringread rb;
	int epfd, sigfd;
	const struct sigstate *start; /* as spantrace was started: the command gets it */
	bool said_terminal;	      /* the note on a SIGINT not from the terminal */

	char *out_tmp;
	FILE *out;
	const struct trace_ops *ops;
	struct trace_writer *w;
	struct spantree *tree;
	struct stats *stats;
	struct tasks *tasks; /* every traced task, named at the end of the trace */
	struct ksyms *ks;
	struct kevents kev;
	struct goroutines *gors;
	struct names *names;
	struct decoder dec;   /* span records, into the tables above; its counters */
	FILE *records;	      /* --save-records, or NULL */
	int records_errno;    /* the first failed write to it, 0 if none */
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

/* Every record, as read: span records to the decoder, the others to kevents. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (s->records && !s->records_errno && recfile__write_record(s->records, data, size))
		s->records_errno = errno ? errno : EIO;
	if (!decoder__record(&s->dec, data, size) && !kevents__record(&s->kev, data, size))
		s->dec.bad_records++;
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

/* --save-records: the raw records, in the format of decode.h. */
static int records_open(struct session *s, char *err, size_t errlen)
{
	s->records = fopen(s->o->save_records, "we");
	if (s->records)
		setvbuf(s->records, NULL, _IOFBF, 1 << 20);
	if (!s->records ||
	    recfile__write_header(s->records, (uint32_t)s->target.pid, &s->probes)) {
		snprintf(err, errlen, "cannot write the records to %s: %s", s->o->save_records,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int records_close(struct session *s, char *err, size_t errlen)
{
	int e = s->records_errno;

	if (!s->records)
		return 0;
	if (fclose(s->records) && !e)
		e = errno;
	s->records = NULL;
	if (e) {
		snprintf(err, errlen, "failed to write the records to %s: %s", s->o->save_records,
			 strerror(e));
		return -1;
	}
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

/*
 * Two perf events per function plus the usual handful. A command was forked
 * before this: it keeps the limit it was given.
 */
static int raise_fd_limit(size_t nprobes, char *err, size_t errlen)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		snprintf(err, errlen, "failed to read the open-file limit: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur >= 2 * nprobes + 64)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		snprintf(err, errlen, "failed to raise the open-file limit to %llu for %zu probes: %s",
			 (unsigned long long)rl.rlim_cur, nprobes, strerror(errno));
		return -1;
	}
	return 0;
}

/* Opens and configures the object; sleepable: load span_enter_named. */
static int open_bpf(struct session *s, bool sleepable, char *err, size_t errlen)
{
	s->skel = spantrace_bpf__open();
	if (!s->skel) {
		snprintf(err, errlen, "failed to open the BPF object: %s", strerror(errno));
		return -1;
	}
	s->skel->rodata->wakeup_bytes = s->o->ringbuf_size / 8;
	if (s->feat.uprobe_multi) {
		struct bpf_program *up[] = { s->skel->progs.span_enter, s->skel->progs.span_exit,
					     s->skel->progs.span_enter_named,
					     s->skel->progs.go_newproc, s->skel->progs.go_newproc_ret,
					     s->skel->progs.go_goexit, s->skel->progs.go_panic };

		for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++)
			bpf_program__set_expected_attach_type(up[i], ST_TRACE_UPROBE_MULTI);
	}
	bpf_program__set_autoload(s->skel->progs.span_enter_named, sleepable);
	if (s->go_path) {
		s->skel->rodata->go_goid_off = s->go.goid_off;
		s->skel->rodata->go_stack_hi_off = s->go.stack_hi_off;
	}
	bpf_map__set_max_entries(s->skel->maps.events, (uint32_t)s->o->ringbuf_size);
	s->kev.skel = s->skel;
	kevents__configure(&s->kev);
	return 0;
}

static bool has_named_sites(const struct session *s)
{
	for (size_t i = 0; i < s->sites.n; i++)
		if (s->sites.v[i].prog == SITE_ENTER_NAMED)
			return true;
	return false;
}

static int load_bpf(struct session *s, char *err, size_t errlen)
{
	uint32_t pid = (uint32_t)s->target.pid;
	bool sleepable = has_named_sites(s);
	uint8_t one = 1;
	int r;

	if (open_bpf(s, sleepable, err, errlen))
		return -1;
	r = spantrace_bpf__load(s->skel);
	if (r && sleepable) {
		/* no sleepable uprobes here: names come from span_enter, and /proc */
		if (verbose)
			say("span names: this kernel refused a sleepable uprobe (%s); names in pages "
			    "the process has not touched yet are read later from /proc/PID/mem",
			    strerror(-r));
		spantrace_bpf__destroy(s->skel);
		s->skel = NULL;
		sleepable = false;
		if (open_bpf(s, false, err, errlen))
			return -1;
		r = spantrace_bpf__load(s->skel);
	}
	if (r) {
		snprintf(err, errlen, "failed to load the BPF programs: %s; run with -v for the "
			 "verifier log", strerror(-r));
		return -1;
	}
	s->names_sleepable = sleepable;
	if (bpf_map__update_elem(s->skel->maps.tgids, &pid, sizeof(pid), &one, sizeof(one),
				 BPF_ANY)) {
		snprintf(err, errlen, "failed to set the traced process: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool attach_failed_by_exit(struct session *s, int e, char *err, size_t errlen)
{
	if (!target__exited(&s->target) && e != ESRCH)
		return false;
	snprintf(err, errlen, "process %d exited while probes were being attached",
		 s->target.pid);
	return true;
}

/*
 * The process the kernel filters a probe in path on. The main executable is
 * probed in every process that runs it, so forked descendants are traced
 * from their first call; the tgids map in BPF keeps other processes running
 * the same program out, and costs nothing to processes that do not run it.
 * A shared library stays filtered to the traced process: probed for every
 * process on the system, each call to it anywhere would trap. Returns the
 * value in uprobe_multi's convention (0: any process).
 */
static int uprobe_pid(void *ctx, const char *path)
{
	const struct session *s = ctx;

	for (size_t i = 0; i < s->target.nobjs; i++)
		if (s->target.objs[i].is_main && strcmp(s->target.objs[i].open_path, path) == 0)
			return 0;
	return s->target.pid;
}

static bool has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/*
 * Functions that could not be probed (no RET, or refused by the kernel): an
 * error if a SPEC named one exactly, else one warning for all of them.
 */
static int report_skipped(struct session *s, const char *kernel_why, char *err, size_t errlen)
{
	size_t nskip = 0;
	const char *why = NULL;

	for (size_t i = 0; i < s->probes.n; i++) {
		const struct probe *p = &s->probes.v[i];
		const char *w;

		if (!s->sites.skipped[i])
			continue;
		nskip++;
		w = s->sites.why[i] ? s->sites.why[i] : kernel_why;
		why = w;
		if (!has_glob(p->spec->pattern)) {
			if (s->sites.why[i])
				snprintf(err, errlen, "cannot trace %s in %s: %s; trace its callers, "
					 "or the functions it calls", p->func, p->object, w);
			else
				snprintf(err, errlen, "failed to attach a uprobe to %s in %s: %s",
					 p->func, p->object, w);
			return -1;
		}
		if (verbose)
			say("skipped %s in %s: %s", p->func, p->object, w);
	}
	if (nskip == s->probes.n && nskip) {
		snprintf(err, errlen, "none of the %zu functions matched can be traced (%s)", nskip,
			 why);
		return -1;
	}
	if (nskip && kernel_why)
		say("warning: skipped %zu function%s the kernel refused to probe (%s)%s", nskip,
		    nskip == 1 ? "" : "s", why, verbose ? "" : "; -v lists them");
	else if (nskip)
		say("warning: skipped %zu function%s: %s%s", nskip, nskip == 1 ? "" : "s", why,
		    verbose ? "" : "; -v lists them");
	return 0;
}

/* Is the main executable Go, and can its goroutines be followed? Then plan the sites. */
static int plan_probes(struct session *s, char *err, size_t errlen)
{
	const struct target_obj *main_obj = NULL;
	bool go_probes = false;
	char why[512];

	for (size_t i = 0; i < s->target.nobjs; i++)
		if (s->target.objs[i].is_main)
			main_obj = &s->target.objs[i];
	if (main_obj && s->probes.n &&
	    gobin__inspect(main_obj->open_path, &s->go, why, sizeof(why)) == 0 && s->go.is_go) {
		for (size_t i = 0; i < s->probes.n; i++)
			go_probes |= strcmp(s->probes.v[i].open_path, main_obj->open_path) == 0;
		if (go_probes) {
			if (gobin__check(&s->go, main_obj->path, err, errlen))
				return -1;
			s->go_path = main_obj->open_path;
			if (verbose)
				say("%s: Go %s; goroutine id at runtime.g+%u, stack top at +%u (%s)",
				    main_obj->path, s->go.version[0] ? s->go.version : "(unknown version)",
				    s->go.goid_off, s->go.stack_hi_off, s->go.goid_from);
		}
	}
	if (sites__build(&s->probes, s->go_path,
			 (s->o->probe_at_entry ? SITES_AT_ENTRY : 0) |
				 (util__env_set("SPANTRACE_C_RET_PROBES") ? SITES_C_RETS : 0),
			 &s->sites, err, errlen))
		return -1;
	if (verbose)
		for (size_t i = 0; i < s->probes.n; i++) {
			const struct probe *p = &s->probes.v[i];
			size_t nret = 0;

			if (s->sites.skipped[i])
				continue;
			for (size_t k = 0; k < s->sites.n; k++)
				nret += s->sites.v[k].probe == i && s->sites.v[k].prog == SITE_EXIT;
			if (p->role != SPEC_FUNC)
				say("%s: entry probe at +%u, %s", p->func, s->sites.entry[i],
				    s->sites.place[i]);
			else if (s->sites.ret_insns[i])
				say("%s: entry probe at +%u, %s; returns: %zu RET instruction%s", p->func,
				    s->sites.entry[i], s->sites.place[i], nret, nret == 1 ? "" : "s");
			else
				say("%s: entry probe at +%u, %s; return: uretprobe", p->func,
				    s->sites.entry[i], s->sites.place[i]);
		}
	return report_skipped(s, NULL, err, errlen);
}

static int attach_probes(struct session *s, char *err, size_t errlen)
{
	struct spantrace_bpf *k = s->skel;
	size_t before = s->sites.nskipped;
	int r;

	s->up = (struct uprobes){
		.probes = &s->probes,
		.sites = &s->sites,
		.progs = { [SITE_ENTER] = k->progs.span_enter,
			   [SITE_ENTER_NAMED] = s->names_sleepable ? k->progs.span_enter_named :
								     k->progs.span_enter,
			   [SITE_EXIT] = k->progs.span_exit,
			   [SITE_GO_NEWPROC] = k->progs.go_newproc,
			   [SITE_GO_NEWPROC_RET] = k->progs.go_newproc_ret,
			   [SITE_GO_GOEXIT] = k->progs.go_goexit,
			   [SITE_GO_PANIC] = k->progs.go_panic },
		.multi = s->feat.uprobe_multi,
		.verbose = verbose,
		.pid_for = uprobe_pid,
		.ctx = s,
	};
	if (!s->sites.n)
		return 0;
	if (raise_fd_limit(s->sites.n, err, errlen))
		return -1;
	r = uprobes__attach(&s->up, err, errlen);
	if (r) {
		attach_failed_by_exit(s, -r, err, errlen);
		return -1;
	}
	if (s->sites.nskipped == before)
		return 0;
	return report_skipped(s, uprobes__strerror(s->up.refused_errno), err, errlen);
}

static int watch(struct session *s, int fd, uint32_t what, const char *name, char *err,
		 size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = what };

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	snprintf(err, errlen, "failed to watch %s (epoll_ctl): %s", name, strerror(errno));
	return -1;
}

static int setup_loop(struct session *s, char *err, size_t errlen)
{
	sigset_t set;
	int r = ringread__open(&s->rb, bpf_map__fd(s->skel->maps.events),
			       bpf_map__max_entries(s->skel->maps.events), on_record, s);

	if (r) {
		snprintf(err, errlen, "failed to map the ring buffer: %s", strerror(-r));
		return -1;
	}
	/* Blocked, they queue on the signalfd instead of ending spantrace (fate.h). */
	fate__signals(s->target.launched, &s->start->ignored, &set);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		snprintf(err, errlen, "failed to block signals: %s", strerror(errno));
		return -1;
	}
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (s->sigfd < 0) {
		snprintf(err, errlen, "failed to create a signalfd: %s", strerror(errno));
		return -1;
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		snprintf(err, errlen, "failed to create an epoll instance: %s", strerror(errno));
		return -1;
	}
	/* without the pidfd the target's exit would never be noticed */
	return watch(s, s->rb.fd, EV_RING, "the ring buffer", err, errlen) ||
	       watch(s, s->sigfd, EV_SIGNAL, "the signalfd", err, errlen) ||
	       watch(s, s->target.pidfd, EV_EXIT, "the traced process", err, errlen) ? -1 : 0;
}

/* --- run ---------------------------------------------------------------------- */

/* One signal from the signalfd, handled as fate.h says. true if it stops tracing (-p). */
static bool on_signal(struct session *s)
{
	struct signalfd_siginfo si;
	char sig[32];
	int sig_no, r;

	if (read(s->sigfd, &si, sizeof(si)) != sizeof(si))
		return false;
	sig_no = (int)si.ssi_signo;
	stall__signame(sig_no, sig, sizeof(sig));
	switch (fate__on_signal(s->target.launched, sig_no)) {
	case FATE_STOP:
		s->stop_reason = sig_no == SIGINT ? "interrupted" :
				 sig_no == SIGTERM ? "terminated" : "hung up";
		return true;
	case FATE_PASS_ON:
		r = target__signal(&s->target, sig_no);
		if (r)
			say("failed to pass %s on to %s: %s", sig, s->target.name, strerror(-r));
		else
			say("%s passed on to %s", sig, s->target.name);
		return false;
	case FATE_TERMINAL:
		/* SI_KERNEL: the terminal's, sent to the whole process group, the command too */
		if (si.ssi_code != SI_KERNEL && !s->said_terminal) {
			s->said_terminal = true;
			say("%s from process %u not passed on: %s gets Ctrl-C from the terminal "
			    "itself, and spantrace ends when it does (SIGTERM to spantrace is passed "
			    "on)", sig, si.ssi_pid, s->target.name);
		}
		return false;
	case FATE_IGNORE:
		break;
	}
	return false;
}

static void run_loop(struct session *s)
{
	uint64_t deadline = s->o->duration_ns ? mono_ns() + s->o->duration_ns : 0;

	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(s->epfd, evs, 4, POLL_MS);
		uint64_t now;

		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EV_SIGNAL && on_signal(s))
				return;
			if (evs[i].data.u32 == EV_EXIT) {
				s->stop_reason = "the process exited";
				return;
			}
		}
		ringread__consume(&s->rb);
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
	fprintf(stderr, "\n%llu spans (%llu unfinished) on %u %s; events lost: %llu\n",
		(unsigned long long)ts->spans, (unsigned long long)ts->unfinished, ts->tasks,
		s->go_path ? "tasks (threads and goroutines)" : "threads",
		(unsigned long long)dropped);
	if (s->go_path)
		fprintf(stderr, "goroutines: %llu created, %llu panics, %llu spans cut short by "
			"a panic or unwinding\n", (unsigned long long)s->dec.ngo_created,
			(unsigned long long)s->dec.ngo_panics, (unsigned long long)ts->unwound);
	if (s->dec.name_faults)
		say("%llu span names could not be read from their argument (a bad pointer?): "
		    "those spans are named after their function",
		    (unsigned long long)s->dec.name_faults);
	if (dropped)
		say("%llu events were dropped because the ring buffer was full; "
		    "consider --ringbuf-size", (unsigned long long)dropped);
	if (s->dec.bad_records)
		say("%llu malformed records ignored", (unsigned long long)s->dec.bad_records);
	kevents__summary(&s->kev, stderr);
	if (verbose && ts->orphan_ends)
		say("%llu returns of calls that began before tracing were ignored",
		    (unsigned long long)ts->orphan_ends);
}

static void session_cleanup(struct session *s)
{
	uprobes__free(&s->up);
	sites__free(&s->sites, s->probes.n);
	gor__free(s->gors);
	names__free(s->names);
	ringread__close(&s->rb);
	spantrace_bpf__destroy(s->skel);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->w)
		s->ops->close(s->w);
	output_discard(s);
	if (s->records)
		fclose(s->records);
	spantree__free(s->tree);
	stats__free(s->stats);
	kevents__free(&s->kev);
	tasks__free(s->tasks);
	ksyms__free(s->ks);
	probe_table__free(&s->probes);
	target__close(&s->target);
}

/* Nothing of spantrace stays in the kernel: the command runs on untraced. */
static void session_unload(struct session *s)
{
	uprobes__free(&s->up);
	kevents__detach(&s->kev);
	ringread__close(&s->rb);
	spantrace_bpf__destroy(s->skel);
	s->skel = s->kev.skel = NULL;
}

/*
 * A command still running when tracing has stopped (-d, or spantrace
 * failed): spantrace waits for it, never leaving it behind, and signals keep
 * their meaning (fate.h).
 */
static void wait_command(struct session *s)
{
	struct pollfd p[2] = { { .fd = s->sigfd, .events = POLLIN },
			       { .fd = s->target.pidfd, .events = POLLIN } };

	say("waiting for %s (pid %d) to end, untraced; Ctrl-C goes to it", s->target.name,
	    s->target.pid);
	while (!target__exited(&s->target)) {
		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			say("failed to wait for %s: %s", s->target.name, strerror(errno));
			return;
		}
		if (p[0].revents)
			on_signal(s);
	}
}

/*
 * The end of every run that got past the command line, traced or failed:
 * nothing stays attached, a command that runs is waited for, and the last
 * line says how the traced process ended. Returns the exit status: rc (1
 * when spantrace failed), else the command's (its code, 128+N when signal N
 * killed it), 0 with -p.
 */
static int session_end(struct session *s, int rc)
{
	struct target *t = &s->target;
	char how[64];

	session_unload(s);
	if (t->released && !target__exited(t))
		wait_command(s);
	if (t->released && t->ended) {
		say("%s %s", t->name, fate__describe(t->wstatus, how, sizeof(how)));
		if (!rc)
			rc = fate__exit_status(t->wstatus);
	} else if (t->released) {
		say("%s ended, but its exit status could not be read", t->name);
		rc = 1;
	} else if (!t->launched && s->kev.root_ended) {
		say("process %d (%s) %s", t->pid, t->comm,
		    fate__describe(s->kev.root_wstatus, how, sizeof(how)));
	}
	session_cleanup(s);
	return rc;
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

int loader__run(const struct opts *o, const struct sigstate *start)
{
	struct session s = { .o = o, .ops = &chrome_trace_ops, .epfd = -1, .sigfd = -1,
			     .start = start };
	char err[1024] = "";
	uint64_t stop, dropped;

	verbose = o->verbose;
	libbpf_set_print(libbpf_print);

	if (target__check_caps(err, sizeof(err)))
		goto fail;
	/* Ignored, SIGCHLD has the kernel reap the command: no exit status. It gets it back. */
	if (o->cmd && sigismember(&start->ignored, SIGCHLD) == 1 &&
	    signal(SIGCHLD, SIG_DFL) == SIG_ERR) {
		snprintf(err, sizeof(err), "failed to reset SIGCHLD: %s", strerror(errno));
		goto fail;
	}
	if (o->pid ? target__attach_pid(&s.target, o->pid, err, sizeof(err)) :
		     target__launch(&s.target, o->cmd, specs_name_objects(o), start, err,
				    sizeof(err)))
		goto fail;
	if (resolve__specs(o->specs, o->nspecs, s.target.objs, s.target.nobjs, &s.probes, err,
			   sizeof(err)) ||
	    plan_probes(&s, err, sizeof(err)))
		goto fail;
	if (output_open(&s, err, sizeof(err)))
		goto fail;
	s.stats = stats__new();
	s.tree = spantree__new(REORDER_WINDOW_NS, decoder__on_span, decoder__on_task, &s.dec);
	s.tasks = tasks__new();
	s.gors = gor__new();
	s.names = names__new();
	s.w = s.ops->open(s.out);
	if (!s.stats || !s.tree || !s.w || !s.tasks || !s.gors || !s.names) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	s.dec = (struct decoder){ .probes = &s.probes, .tree = s.tree, .tasks = s.tasks,
				  .gors = s.gors, .names = s.names, .stats = s.stats, .ops = s.ops,
				  .w = s.w, .target_pid = (uint32_t)s.target.pid };
	if (o->save_records && records_open(&s, err, sizeof(err)))
		goto fail;
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
	say("tracing %zu function%s in process %d (%s) and its descendants, with kernel events; %s",
	    s.probes.n - s.sites.nskipped, s.probes.n - s.sites.nskipped == 1 ? "" : "s",
	    s.target.pid, s.target.comm,
	    s.target.launched ? "until it exits (Ctrl-C goes to it)" : "Ctrl-C to stop");

	run_loop(&s);

	/* Everything the target did before it stopped is already in the buffer. */
	uprobes__detach(&s.up);
	kevents__detach(&s.kev);
	while (ringread__consume(&s.rb) > 0)
		;
	stop = mono_ns();
	spantree__finish(s.tree, stop);
	kevents__finish(&s.kev, stop);
	if (records_close(&s, err, sizeof(err)))
		goto fail;
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
	return session_end(&s, 0);
fail:
	say("%s", err);
	return session_end(&s, 1);
}
