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

#include "calib.h"
#include "decode.h"
#include "errbuf.h"
#include "fate.h"
#include "formats.h"
#include "goroutines.h"
#include "guard.h"
#include "kevents.h"
#include "kfeatures.h"
#include "kallsyms.h"
#include "live.h"
#include "loader.h"
#include "loopwatch.h"
#include "names.h"
#include "nulltrace.h"
#include "outfile.h"
#include "recfile.h"
#include "resolve.h"
#include "ringread.h"
#include "sites.h"
#include "spantrace.h"
#include "spantrace.skel.h"
#include "spantree.h"
#include "stall.h"
#include "stats.h"
#include "status.h"
#include "target.h"
#include "tasks.h"
#include "trace.h"
#include "umulti.h"
#include "uplan.h"
#include "uprobes.h"
#include "util.h"

/* Events are released to the span trees this long after they are stamped,
 * so records of different CPUs that reach the buffer out of order are still
 * handled in time order. */
#define REORDER_WINDOW_NS (2 * 1000 * 1000ull)
#define POLL_MS 100
#define BUSY_POLL_MS 1

/* What the event loop watches. */
enum { EV_RING, EV_SIGNAL, EV_EXIT };

struct session {
	const struct opts *o;
	struct target target;
	struct probe_table probes;
	struct spantrace_bpf *skel;
	struct features feat;
	struct uplan plan; /* Go? exceptions? what decided the sites */
	struct site_table sites;
	bool *skip_said;	   /* per probe: its skipping was reported */
	struct uprobes up;
	bool names_sleepable; /* span_enter_named loaded: it can fault names in */
	struct ringread rb;
	int epfd, sigfd;
	const struct sigstate *start; /* as spantrace was started: the command gets it */
	bool said_terminal;	      /* the note on a SIGINT not from the terminal */

	struct outfile out; /* the trace (-o) */
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
	struct live live;     /* what the decoder may read from /proc */
	struct outfile records; /* --save-records, open if given */
	const char *stop_reason;
	uint64_t lost_untracked; /* span records lost where no stream could note it (BPF) */
	struct loopwatch watch; /* the loop's longest stretch away from the ring (-v) */
	unsigned int unwatched; /* records read since the watch last looked */
	uint64_t nrecords;	/* records read, for the status line */
	struct trace_size size; /* the trace's, as it was closed */
	struct calib calib;   /* what a probe hit costs here (--max-overhead) */
	struct guard guard;   /* keeps the probes' cost within --max-overhead */
};

/* The watch looks once every this many records: a clock read per record would cost more. */
#define WATCH_EVERY 16

/*
 * -v: every libbpf message, the verifier's log too; without -v, none (the
 * loader words its own errors). libbpf's callback has no context pointer:
 * the choice is made by installing this or NULL, so no global says -v.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

/* --- events ---------------------------------------------------------------- */

/* Every record, as read, to the decoder (malformed ones it counts). */
static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	s->nrecords++;
	if (++s->unwatched == WATCH_EVERY) {
		s->unwatched = 0;
		loopwatch__look(&s->watch, mono_ns(), thread_cpu_ns());
	}
	/* a failed write is kept by the outfile, which the loop checks */
	if (s->records.f && !outfile__error(&s->records))
		recfile__write_record(s->records.f, data, size);
	decoder__record(&s->dec, data, size);
	return 0;
}

/* --- setup ------------------------------------------------------------------- */

static const struct outfile_use trace_use = { "the trace", "-o", "spantrace.json" };
static const struct outfile_use records_use = { "the records", "--save-records", "records.bin" };

static void say_named_tmp(const struct outfile *of, bool verbose)
{
	if (verbose && of->tmpname)
		say("%s %s: written to %s beside it until the end (%s): a SIGKILL would leave it "
		    "behind", of->use->option, of->path, of->tmpname,
		    util__env_set("SPANTRACE_NO_TMPFILE") ? "SPANTRACE_NO_TMPFILE is set" :
							    "this filesystem has no unnamed files "
							    "(O_TMPFILE)");
}

/*
 * Both outputs, before anything is started or attached: a path spantrace
 * must not write to (a directory, a device, a symlink) is refused at once.
 * The rules are outfile.h's.
 */
static int outputs_open(struct session *s, char *err, size_t errlen)
{
	if (s->o->count) /* -c: no trace; opts refuses -o with it */
		return 0;
	if (outfile__open(&s->out, s->o->output, &trace_use, err, errlen))
		return -1;
	say_named_tmp(&s->out, s->o->verbose);
	if (!s->o->save_records)
		return 0;
	if (outfile__open(&s->records, s->o->save_records, &records_use, err, errlen))
		return -1;
	if (outfile__same_place(&s->out, &s->records)) {
		/* the records would be renamed over the finished trace */
		errbuf__set(err, errlen, "-o %s and --save-records %s are the same file; give each "
			    "its own", s->o->output, s->o->save_records);
		return -1;
	}
	say_named_tmp(&s->records, s->o->verbose);
	return 0;
}

/* --save-records: the raw records, in the format of decode.h, after this header. */
static int records_write_header(struct session *s, char *err, size_t errlen)
{
	if (recfile__write_header(s->records.f, (uint32_t)s->target.pid, &s->probes) ||
	    outfile__error(&s->records)) {
		outfile__write_error(&s->records, err, errlen);
		return -1;
	}
	return 0;
}

/*
 * A failed write to either output stops tracing at once (a full disk stays
 * full): the reason, or NULL while both are fine.
 */
static const char *output_failure(const struct session *s)
{
	if (outfile__error(&s->out))
		return "the trace could not be written";
	if (s->records.open && outfile__error(&s->records))
		return "the records could not be written";
	return NULL;
}

/*
 * The records end with the trace: whole, or removed after a failed write,
 * with the reason in err. The trace does not depend on them.
 */
static int records_commit(struct session *s, char *err, size_t errlen)
{
	if (!s->records.open)
		return 0;
	if (outfile__error(&s->records)) {
		outfile__write_error(&s->records, err, errlen);
		outfile__discard(&s->records);
		return -1;
	}
	return outfile__commit(&s->records, err, errlen);
}

/*
 * Two perf events per function plus the usual handful. A command was forked
 * before this: it keeps the limit it was given.
 */
static int raise_fd_limit(size_t nprobes, char *err, size_t errlen)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		errbuf__set(err, errlen, "failed to read the open-file limit: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur >= 2 * nprobes + 64)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		errbuf__set(err, errlen,
			    "failed to raise the open-file limit to %llu for %zu probes: %s",
			    (unsigned long long)rl.rlim_cur, nprobes, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * How much each CPU queues between its looks at the ring's fill (submit_on
 * in bpf/common.bpf.h): the wakeup threshold shared among the CPUs, so that
 * it is found crossed by the time twice as much is queued, however many of
 * them are busy.
 */
static uint64_t wakeup_check_bytes(uint64_t wakeup)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t each = wakeup / (uint64_t)(ncpus > 0 ? ncpus : 1);

	return each ? each : 1;
}

/*
 * make bench's floor: SPANTRACE_BENCH_FLOOR puts an empty program on every
 * span site instead of span_enter and span_exit (no spans are recorded).
 */
static bool bench_floor(void)
{
	return util__env_set("SPANTRACE_BENCH_FLOOR");
}

/*
 * make bench's per-program cost: with SPANTRACE_BENCH_PROG_STATS set (and
 * sysctl kernel.bpf_stats_enabled=1), one line per span program that ran:
 * the kernel's count of runs and their total time.
 */
static void say_prog_stats(const struct session *s)
{
	struct bpf_program *progs[] = { s->skel->progs.span_enter, s->skel->progs.span_exit,
					s->skel->progs.span_enter_named,
					s->skel->progs.span_floor };

	if (!util__env_set("SPANTRACE_BENCH_PROG_STATS"))
		return;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.run_cnt)
			continue;
		say("bpf prog %s: run_cnt %llu run_time_ns %llu", bpf_program__name(progs[i]),
		    (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
	}
}

/* Opens and configures the object; sleepable: load span_enter_named. */
static int open_bpf(struct session *s, bool sleepable, char *err, size_t errlen)
{
	s->skel = spantrace_bpf__open();
	if (!s->skel) {
		errbuf__set(err, errlen, "failed to open the BPF object: %s", strerror(errno));
		return -1;
	}
	s->skel->rodata->wakeup_bytes = s->o->ringbuf_size / 8;
	s->skel->rodata->wakeup_check_bytes = wakeup_check_bytes(s->o->ringbuf_size / 8);
	if (s->feat.uprobe_multi) {
		struct bpf_program *up[] = { s->skel->progs.span_enter, s->skel->progs.span_exit,
					     s->skel->progs.span_enter_named,
					     s->skel->progs.go_newproc, s->skel->progs.go_newproc_ret,
					     s->skel->progs.go_goexit, s->skel->progs.go_panic,
					     s->skel->progs.unwind_event };

		for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++)
			bpf_program__set_expected_attach_type(up[i], ST_TRACE_UPROBE_MULTI);
	}
	bpf_program__set_autoload(s->skel->progs.span_enter_named, sleepable);
	/* make bench's floor (bpf/floor.bpf.c): attached the same way as the span programs */
	bpf_program__set_autoload(s->skel->progs.span_floor, bench_floor());
	if (s->feat.uprobe_multi)
		bpf_program__set_expected_attach_type(s->skel->progs.span_floor,
						      ST_TRACE_UPROBE_MULTI);
	if (s->plan.go_path) {
		s->skel->rodata->go_goid_off = s->plan.go.goid_off;
		s->skel->rodata->go_stack_hi_off = s->plan.go.stack_hi_off;
	}
	bpf_map__set_max_entries(s->skel->maps.events, (uint32_t)s->o->ringbuf_size);
	/* every probe's hits, and the calibration's (probe index n) */
	bpf_map__set_max_entries(s->skel->maps.probe_hits, ST_GUARD_SLOT(s->probes.n + 1, false));
	bpf_map__set_max_entries(s->skel->maps.probe_stopped, (uint32_t)s->probes.n + 1);
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
	int r;

	if (open_bpf(s, sleepable, err, errlen))
		return -1;
	r = spantrace_bpf__load(s->skel);
	if (r && sleepable) {
		/* no sleepable uprobes here: names come from span_enter, and /proc */
		if (s->o->verbose)
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
		errbuf__set(err, errlen, "failed to load the BPF programs: %s; run with -v for the "
			    "verifier log", strerror(-r));
		return -1;
	}
	s->names_sleepable = sleepable;
	if (kevents__trace_process(s->skel, pid)) {
		errbuf__set(err, errlen, "failed to set the traced process: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool attach_failed_by_exit(struct session *s, int e, char *err, size_t errlen)
{
	if (!target__exited(&s->target) && e != ESRCH)
		return false;
	errbuf__set(err, errlen, "process %d exited while probes were being attached",
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
		if (s->target.objs[i].is_main && s->target.objs[i].open_path &&
		    strcmp(s->target.objs[i].open_path, path) == 0)
			return 0;
	return s->target.pid;
}

static bool has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Kinds of reasons to skip a function, counted for one warning line. */
#define SKIP_KINDS 8
struct skip_count {
	const char *kind[SKIP_KINDS];
	size_t n[SKIP_KINDS];
	size_t nkinds, total;
};

static void skip_count__add(struct skip_count *c, const char *kind)
{
	size_t k;

	c->total++;
	for (k = 0; k < c->nkinds && strcmp(c->kind[k], kind); k++)
		;
	if (k == c->nkinds && k < SKIP_KINDS)
		c->kind[c->nkinds++] = kind;
	if (k < SKIP_KINDS)
		c->n[k]++;
}

static void skip_count__say(const struct skip_count *c, bool verbose)
{
	char line[1024];
	size_t off;

	off = (size_t)snprintf(line, sizeof(line), "warning: skipped %zu function%s:", c->total,
			       c->total == 1 ? "" : "s");
	for (size_t k = 0; k < c->nkinds && off < sizeof(line); k++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s %zu %s", k ? ";" : "",
					c->n[k], c->kind[k]);
	say("%s%s", line, verbose ? "" : "; -v lists them");
}

/*
 * Functions that could not be probed since the last call (no RET, an
 * instruction the kernel emulates wrongly, refused by the kernel): an error
 * if a SPEC named one exactly, else one warning line for them all, by kind.
 */
static int report_skipped(struct session *s, const char *kernel_why, char *err, size_t errlen)
{
	struct skip_count c = { 0 };
	char kernel_kind[160];

	snprintf(kernel_kind, sizeof(kernel_kind), "refused by the kernel (%s)",
		 kernel_why ? kernel_why : "");
	for (size_t i = 0; i < s->probes.n; i++) {
		const struct probe *p = &s->probes.v[i];
		const char *w = s->sites.why[i] ? s->sites.why[i] : kernel_why;

		if (!s->sites.skipped[i] || s->skip_said[i])
			continue;
		s->skip_said[i] = true;
		skip_count__add(&c, s->sites.skip_kind[i] ? s->sites.skip_kind[i] : kernel_kind);
		if (!has_glob(p->spec->pattern)) {
			if (s->sites.why[i])
				errbuf__set(err, errlen,
					    "cannot trace %s in %s: %s; trace its callers, "
					    "or the functions it calls",
					    p->func, p->object, w);
			else
				errbuf__set(err, errlen,
					    "failed to attach a uprobe to %s in %s: %s", p->func,
					    p->object, w);
			return -1;
		}
		if (s->o->verbose)
			say("skipped %s in %s: %s", p->func, p->object, w);
	}
	if (s->sites.nskipped == s->probes.n && s->probes.n) {
		errbuf__set(err, errlen, "none of the %zu functions matched can be traced (%s)",
			    s->probes.n, c.nkinds ? c.kind[0] : "see -v");
		return -1;
	}
	if (c.total)
		skip_count__say(&c, s->o->verbose);
	return 0;
}

/* -v: where each function's probes sit, and why. */
static void say_sites(const struct session *s)
{
	for (size_t i = 0; i < s->probes.n; i++) {
		const struct probe *p = &s->probes.v[i];
		const struct site_table *st = &s->sites;
		uint32_t nx = st->nexits[i], nh = st->nhidden[i];
		char ret[200];

		if (st->skipped[i])
			continue;
		if (p->role != SPEC_FUNC)
			snprintf(ret, sizeof(ret), "%s", "");
		else if (!st->ret_insns[i])
			snprintf(ret, sizeof(ret), "; return: uretprobe");
		else
			snprintf(ret, sizeof(ret), "; returns: %u way%s out (RETs, tail jumps)%s%.0u%s",
				 nx, nx == 1 ? "" : "s",
				 nh ? "; not seen: " : "", nh,
				 nh ? " conditional or indirect jumps out (a call leaving through "
				      "one ends unfinished when a later event shows it gone)" : "");
		say("%s: entry probe at +%u, %s%s", p->func, st->entry[i], st->place[i], ret);
	}
}

/* --- the overhead guard ---------------------------------------------------- */

static bool guard_on(const struct session *s)
{
	return s->o->max_overhead > 0 && s->probes.n > s->sites.nskipped;
}

/* -v: the calibration's figures. */
static void say_calibration(const struct calib *c)
{
	char line[512], ns[32];
	size_t off = 0;

	for (int k = 0; k < SITE_NCOSTS && off < sizeof(line); k++)
		if (c->measured[k])
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s %s%s (%u hits)",
						off ? ", " : "", sites__cost_name(k),
						k == SITE_COST_URETPROBE ? "+" : "",
						fmt_duration(c->ns[k], ns, sizeof(ns)), c->hits[k]);
	say("overhead guard: a probe hit costs, measured on spantrace's own code in %.0f ms: %s",
	    c->took_ns / 1e6, line);
}

/*
 * What a hit of each kind of site the functions use costs here, before
 * anything else is attached (SPANTRACE_CALIBRATE_ALL=1: every kind, for
 * make bench).
 */
static int calibrate(struct session *s, char *err, size_t errlen)
{
	struct calib *c = &s->calib;
	uint64_t batch = s->o->ringbuf_size / 256;

	if (!guard_on(s))
		return 0;
	*c = (struct calib){ .skel = s->skel, .multi = s->feat.uprobe_multi,
			     .probe = (uint32_t)s->probes.n,
			     .batch = (uint32_t)(batch > 32 ? 32 : batch < 8 ? 8 : batch) };
	for (size_t i = 0; i < s->sites.n; i++) {
		const struct site *st = &s->sites.v[i];

		if (st->probe != SITE_NO_PROBE && !s->sites.skipped[st->probe])
			c->want[st->cost] = true;
	}
	if (util__env_set("SPANTRACE_CALIBRATE_ALL"))
		for (int k = 0; k < SITE_NCOSTS; k++)
			c->want[k] = true;
	if (calib__run(c, err, errlen)) {
		snprintf(err + strlen(err), errlen - strlen(err), " (calibrating the overhead guard; "
			 "--max-overhead off traces without it)");
		return -1;
	}
	if (s->o->verbose)
		say_calibration(c);
	return 0;
}

/* The guard's first look, once everything is attached and the target runs. */
static int guard_start(struct session *s, char *err, size_t errlen)
{
	if (!guard_on(s))
		return 0;
	s->guard = (struct guard){ .probes = &s->probes, .sites = &s->sites, .up = &s->up,
				   .skel = s->skel, .dec = &s->dec, .rb = &s->rb,
				   .max_percent = s->o->max_overhead,
				   .root_pid = (uint32_t)s->target.pid, .verbose = s->o->verbose };
	memcpy(s->guard.cost_ns, s->calib.ns, sizeof(s->guard.cost_ns));
	return guard__start(&s->guard, mono_ns(), err, errlen);
}

/* Between the slow steps of stopping probes: the ring buffer fills meanwhile. */
static void read_ring(void *ctx)
{
	struct session *s = ctx;

	ringread__consume(&s->rb);
}

static int attach_probes(struct session *s, char *err, size_t errlen)
{
	struct spantrace_bpf *k = s->skel;
	size_t before = s->sites.nskipped;
	bool floor = bench_floor();
	int r;

	s->up = (struct uprobes){
		.probes = &s->probes,
		.sites = &s->sites,
		.progs = { [SITE_ENTER] = floor ? k->progs.span_floor : k->progs.span_enter,
			   [SITE_ENTER_NAMED] = floor		  ? k->progs.span_floor :
						s->names_sleepable ? k->progs.span_enter_named :
								     k->progs.span_enter,
			   [SITE_EXIT] = floor ? k->progs.span_floor : k->progs.span_exit,
			   [SITE_GO_NEWPROC] = k->progs.go_newproc,
			   [SITE_GO_NEWPROC_RET] = k->progs.go_newproc_ret,
			   [SITE_GO_GOEXIT] = k->progs.go_goexit,
			   [SITE_GO_PANIC] = k->progs.go_panic,
			   [SITE_UNWIND] = k->progs.unwind_event },
		.multi = s->feat.uprobe_multi,
		.pid_for = uprobe_pid,
		.ctx = s,
		.swap_epoch = &k->bss->swap_epoch,
		.swap_new_gen = &k->bss->swap_new_gen,
		.between = read_ring,
	};
	if (!s->sites.n)
		return 0;
	if (raise_fd_limit(s->sites.n, err, errlen))
		return -1;
	r = uprobes__attach(&s->up, s->o->verbose, err, errlen);
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
	errbuf__set(err, errlen, "failed to watch %s (epoll_ctl): %s", name, strerror(errno));
	return -1;
}

static int setup_loop(struct session *s, char *err, size_t errlen)
{
	sigset_t set;
	int r = ringread__open(&s->rb, bpf_map__fd(s->skel->maps.events),
			       bpf_map__max_entries(s->skel->maps.events), on_record, s);

	if (r) {
		errbuf__set(err, errlen, "failed to map the ring buffer: %s", strerror(-r));
		return -1;
	}
	/* Blocked, they queue on the signalfd instead of ending spantrace (fate.h). */
	fate__signals(s->target.launched, &s->start->ignored, &set);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		errbuf__set(err, errlen, "failed to block signals: %s", strerror(errno));
		return -1;
	}
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (s->sigfd < 0) {
		errbuf__set(err, errlen, "failed to create a signalfd: %s", strerror(errno));
		return -1;
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		errbuf__set(err, errlen, "failed to create an epoll instance: %s", strerror(errno));
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

/* The status line's counts now (status.h). */
static void draw_status(struct session *s, uint64_t now)
{
	struct status_sample sm = {
		.events = s->nrecords,
		.spans = spantree__stats(s->tree)->spans,
		.open_spans = spantree__open_spans(s->tree),
		.lost = s->skel->bss->dropped,
		.no_trace = s->o->count,
	};
	struct trace_size sz;

	s->ops->size(s->w, &sz);
	sm.bytes = sz.bytes;
	sm.cut = sz.cut;
	guard__overhead(&s->guard, &sm.overhead);
	status__draw(&sm, now);
}

static void run_loop(struct session *s)
{
	uint64_t started = mono_ns();

	uint64_t deadline = s->o->duration_ns ? started + s->o->duration_ns : 0;
	bool busy = false;

	for (;;) {
		struct epoll_event evs[4];
		uint64_t now;
		int n;

		loopwatch__wait(&s->watch, mono_ns(), thread_cpu_ns());
		/* with work of its own under way the loop comes back to it soon, yet sleeps in
		 * between: a slice of work, then a rest, never a core taken from the target */
		n = epoll_wait(s->epfd, evs, 4, busy ? BUSY_POLL_MS : POLL_MS);
		loopwatch__look(&s->watch, mono_ns(), thread_cpu_ns());

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
		loopwatch__look(&s->watch, now, thread_cpu_ns());
		if ((s->stop_reason = output_failure(s)))
			return;
		if (now > REORDER_WINDOW_NS)
			spantree__flush(s->tree, now - REORDER_WINDOW_NS);
		busy = kevents__poll(&s->kev, now);
		busy |= live__step(&s->live);
		if (status__due(now))
			draw_status(s, now);
		guard__tick(&s->guard, now);
		if (deadline && now >= deadline) {
			s->stop_reason = "the duration elapsed";
			return;
		}
	}
}

static void print_summary(struct session *s, uint64_t dropped)
{
	const struct spantree_stats *ts = spantree__stats(s->tree);

	status__stop();
	fprintf(stderr, "\n");
	guard__costs_to_stats(&s->guard, s->stats);
	stats__print(s->stats, stderr);
	fprintf(stderr, "\n%llu spans (%llu unfinished) on %u %s; events lost: %llu\n",
		(unsigned long long)ts->spans, (unsigned long long)ts->unfinished, ts->tasks,
		s->plan.go_path ? "tasks (threads and goroutines)" : "threads",
		(unsigned long long)dropped);
	if (s->plan.go_path)
		fprintf(stderr, "goroutines: %llu created, %llu panics\n",
			(unsigned long long)s->dec.ngo_created,
			(unsigned long long)s->dec.ngo_panics);
	if (s->plan.unwind.present)
		fprintf(stderr, "exceptions: %llu thrown; %llu spans unwound by one (left out of "
			"the table above)\n", (unsigned long long)s->dec.nexceptions,
			(unsigned long long)ts->exceptions);
	if (ts->unwound)
		fprintf(stderr, "%llu spans ended without their return (a panic or an exception "
			"unwound them, or they left by a jump no probe sees, or never return), "
			"marked unfinished\n", (unsigned long long)ts->unwound);
	if (ts->lossy_tasks)
		fprintf(stderr, "span events were lost on %u %s: %llu spans they may have made "
			"wrong are marked after_loss in the trace and left out of the table above\n",
			ts->lossy_tasks, ts->lossy_tasks == 1 ? "task" : "tasks",
			(unsigned long long)ts->after_loss);
	if (ts->lossy_leaky_tasks)
		say("on %u of those tasks, calls also left without their return (a longjmp?): "
		    "spans there after lost events may be wrong even without the mark",
		    ts->lossy_leaky_tasks);
	if (s->lost_untracked)
		say("%llu lost span events could not be told to the trace (no room to note "
		    "which thread or goroutine lost them): spans near them may be wrong and "
		    "unmarked", (unsigned long long)s->lost_untracked);
	if (s->dec.name_faults)
		say("%llu span names could not be read from their argument (a bad pointer?): "
		    "those spans are named after their function",
		    (unsigned long long)s->dec.name_faults);
	if (s->dec.names_dropped)
		say("%llu span names were not kept (more than %d names in spans open at once, or "
		    "out of memory): those spans are named after their function",
		    (unsigned long long)s->dec.names_dropped, NAMES_MAX_HELD);
	if (s->size.cut)
		say("the trace reached --max-size %llu: cut at %llu bytes of events, %llu events "
		    "after that not written (the summary above counts them all)",
		    (unsigned long long)s->o->max_size, (unsigned long long)s->size.cut_at,
		    (unsigned long long)s->size.unwritten);
	if (dropped)
		say("%llu events were dropped because the ring buffer was full; "
		    "consider --ringbuf-size", (unsigned long long)dropped);
	if (s->dec.bad_records)
		say("%llu malformed records ignored", (unsigned long long)s->dec.bad_records);
	guard__summary(&s->guard, stderr);
	if (s->skel && s->skel->bss->swap_unmarked)
		say("%llu probe hits may have been recorded twice while the overhead guard replaced "
		    "a probe link (no memory to mark them)",
		    (unsigned long long)s->skel->bss->swap_unmarked);
	kevents__summary(&s->kev, stderr);
	if (s->o->verbose)
		say("event loop: %llu rounds; longest time away from the ring buffer %.3f ms, "
		    "most CPU time spent away at once %.3f ms", (unsigned long long)s->watch.rounds,
		    (double)s->watch.worst / 1e6, (double)s->watch.worst_cpu / 1e6);
	if (s->o->verbose && ts->orphan_ends)
		say("%llu returns of calls that began before tracing were ignored",
		    (unsigned long long)ts->orphan_ends);
}

static void session_cleanup(struct session *s)
{
	uprobes__free(&s->up);
	guard__free(&s->guard);
	sites__free(&s->sites, s->probes.n);
	free(s->skip_said);
	gor__free(s->gors);
	names__free(s->names);
	ringread__close(&s->rb);
	spantrace_bpf__destroy(s->skel);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	/* a failed run: what the writer still holds goes nowhere */
	outfile__stop_writing(&s->out);
	if (s->w)
		s->ops->close(s->w);
	outfile__discard(&s->out);
	outfile__discard(&s->records);
	spantree__free(s->tree);
	stats__free(s->stats);
	kevents__free(&s->kev);
	live__free(&s->live);
	kdecode__free(&s->dec.kev);
	tasks__free(s->tasks);
	ksyms__free(s->ks);
	probe_table__free(&s->probes);
	target__close(&s->target);
}

/* Nothing of spantrace stays in the kernel: the command runs on untraced. */
static void session_unload(struct session *s)
{
	calib__release(&s->calib);
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
	} else if (!t->launched && s->dec.kev.root_ended) {
		say("process %d (%s) %s", t->pid, t->comm,
		    fate__describe(s->dec.kev.root_wstatus, how, sizeof(how)));
	}
	session_cleanup(s);
	return rc;
}

/* --- the steps of a run, in loader__run's order ------------------------------ */

/*
 * The process to trace: the command, forked and held before exec until
 * every probe is in place (target__release), or the running process of -p.
 */
static int start_target(struct session *s, char *err, size_t errlen)
{
	const struct opts *o = s->o;

	/* Ignored, SIGCHLD has the kernel reap the command: no exit status. It gets it back. */
	if (o->cmd && sigismember(&s->start->ignored, SIGCHLD) == 1 &&
	    signal(SIGCHLD, SIG_DFL) == SIG_ERR) {
		errbuf__set(err, errlen, "failed to reset SIGCHLD: %s", strerror(errno));
		return -1;
	}
	return o->pid ? target__attach_pid(&s->target, o->pid, err, errlen) :
			target__launch(&s->target, o->cmd, true, s->start, err, errlen);
}

/*
 * The functions the SPECs name in the target's objects, and where their
 * probes sit; -v says where. Functions that cannot be probed are reported.
 */
static int find_probes(struct session *s, char *err, size_t errlen)
{
	if (uplan__build(&s->plan, &s->target, s->o, &s->probes, &s->sites, err, errlen))
		return -1;
	s->skip_said = calloc(s->probes.n ? s->probes.n : 1, sizeof(*s->skip_said));
	if (!s->skip_said) {
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	if (s->o->verbose)
		say_sites(s);
	return report_skipped(s, NULL, err, errlen);
}

/*
 * What this kernel offers: its symbols (without them kernel stacks stay
 * addresses) and the features the attach plans follow. BTF is required.
 */
static int probe_kernel(struct session *s, char *err, size_t errlen)
{
	s->ks = ksyms__load("/proc/kallsyms", err, errlen);
	if (!s->ks && s->o->verbose)
		say("kernel stacks stay addresses: %s", err);
	features__probe(&s->feat, s->ks);
	if (s->o->verbose) {
		say("uprobes: %s", s->feat.uprobe_why);
		say("kernel events: %s", s->feat.btf_why);
	}
	if (!s->feat.btf) {
		/* libbpf relocates a whole object against kernel BTF, used or not */
		errbuf__set(err, errlen,
			    "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
			    "spantrace's BPF programs are compiled once and relocated against it "
			    "(CO-RE); use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	return 0;
}

/*
 * Loads the programs, attaches the kernel events, adopts the process tree,
 * attaches the uprobes, and readies the event loop.
 */
static int attach_all(struct session *s, char *err, size_t errlen)
{
	const struct opts *o = s->o;

	s->dec.kev = (struct kdecode){ .ks = s->ks, .min_wait_ns = o->min_wait_ns,
				       .stall_ns = o->stall_ns,
				       .root_pid = (uint32_t)s->target.pid, .notices = status__notices() };
	s->kev = (struct kevents){ .feat = &s->feat, .dec = &s->dec, .live = &s->live };
	return load_bpf(s, err, errlen) || calibrate(s, err, errlen) ||
	       kevents__attach(&s->kev, o->verbose, err, errlen) ||
	       kevents__adopt(&s->kev, s->target.pid, !s->target.launched, o->verbose, err,
			      errlen) ||
	       attach_probes(s, err, errlen) || setup_loop(s, err, errlen) ? -1 : 0;
}

/*
 * Every probe is in place: a launched command may exec now; a -p process
 * must still be there. Says what is traced.
 */
static int begin_tracing(struct session *s, char *err, size_t errlen)
{
	size_t nfuncs = s->probes.n - s->sites.nskipped;

	/* nothing but the session's probes from here on */
	calib__release(&s->calib);
	if (s->target.launched) {
		if (target__release(&s->target, err, errlen))
			return -1;
	} else if (target__exited(&s->target)) {
		errbuf__set(err, errlen, "process %d exited while probes were being attached",
			    s->o->pid);
		return -1;
	}
	say("tracing %zu function%s in process %d (%s) and its descendants, with kernel events; %s",
	    nfuncs, nfuncs == 1 ? "" : "s", s->target.pid, s->target.comm,
	    s->target.launched ? "until it exits (Ctrl-C goes to it)" : "Ctrl-C to stop");
	return guard_start(s, err, errlen);
}

/*
 * Span records lost that no stream has told (a thread still running lost its
 * last ones, or had no room to tell them at its exit): the spans still open
 * may miss what they called, or have ended. They are marked.
 */
static void mark_untold_loss(struct session *s)
{
	uint64_t lost = s->skel->bss->stream_lost;

	spantree__flush(s->tree, UINT64_MAX); /* every GAP released: counted */
	if (lost > spantree__stats(s->tree)->lost_events)
		spantree__mark_open(s->tree);
}

/*
 * Tracing has stopped: the probes come off, the records already in the
 * buffer are read, every span ends, and the trace is closed and put in
 * place. *dropped: the events the BPF side found no room for.
 */
static int finish_trace(struct session *s, uint64_t *dropped, char *err, size_t errlen)
{
	uint64_t stop;

	status__stop(); /* tracing is over: what follows is said on lines of its own */
	if (outfile__error(&s->out)) {
		outfile__write_error(&s->out, err, errlen);
		return -1;
	}

	/* Everything the target did before it stopped is already in the buffer. */
	uprobes__detach(&s->up);
	kevents__detach(&s->kev);
	/* nothing more comes in: a pipe's readers may now be searched for while asked */
	live__settle(&s->live, LIVE_SETTLE_NS);
	while (ringread__consume(&s->rb) > 0)
		;
	stop = mono_ns();
	mark_untold_loss(s);
	spantree__finish(s->tree, stop);
	kevents__finish(&s->kev, stop);
	decoder__name_tasks(&s->dec);
	*dropped = s->skel->bss->dropped;
	say_prog_stats(s);
	s->lost_untracked = s->skel->bss->lost_untracked;
	decoder__tell_loss(&s->dec, *dropped);
	s->ops->size(s->w, &s->size);
	if (s->ops->close(s->w)) {
		s->w = NULL;
		outfile__write_error(&s->out, err, errlen);
		return -1;
	}
	s->w = NULL;
	return s->o->count ? 0 : outfile__commit(&s->out, err, errlen);
}

/*
 * The trace is in place: the records end too, then the summary and why
 * tracing stopped. Returns 1 if the records could not be kept, else 0.
 */
static int report_run(struct session *s, uint64_t dropped)
{
	char records_err[1024] = "";

	records_commit(s, records_err, sizeof(records_err));
	print_summary(s, dropped);
	if (s->o->count)
		say("stopped: %s; counted only (-c), no trace written", s->stop_reason);
	else
		say("stopped: %s; wrote %s", s->stop_reason, s->out.name);
	if (!records_err[0])
		return 0;
	say("%s; the trace was kept in %s, the partial records file removed", records_err,
	    s->out.name);
	return 1;
}

int loader__run(const struct opts *o, const struct sigstate *start)
{
	struct session s = { .o = o,
			     .ops = o->count ? &null_trace_ops : trace_format__for_path(o->output)->ops,
			     .epfd = -1,
			     .sigfd = -1, .start = start };
	char err[1024] = "";
	uint64_t dropped;

	libbpf_set_print(o->verbose ? libbpf_print : NULL);

	if (target__check_caps(err, sizeof(err)) || outputs_open(&s, err, sizeof(err)) ||
	    start_target(&s, err, sizeof(err)) || find_probes(&s, err, sizeof(err)))
		goto fail;
	s.stats = stats__new();
	s.tree = spantree__new(REORDER_WINDOW_NS, decoder__on_span, decoder__on_task, &s.dec);
	s.tasks = tasks__new();
	s.gors = gor__new();
	s.names = names__new();
	s.w = s.ops->open(s.out.f);
	if (!s.stats || !s.tree || !s.w || !s.tasks || !s.gors || !s.names) {
		errbuf__set(err, sizeof(err), "out of memory");
		goto fail;
	}
	s.ops->limit(s.w, o->max_size);
	spantree__on_drop(s.tree, decoder__on_drop);
	s.dec = (struct decoder){ .probes = &s.probes, .tree = s.tree, .tasks = s.tasks,
				  .gors = s.gors, .names = s.names, .stats = s.stats, .ops = s.ops,
				  .w = s.w, .target_pid = (uint32_t)s.target.pid,
				  .live = &s.live.iface };
	live__init(&s.live, s.tasks);
	if (o->save_records && records_write_header(&s, err, sizeof(err)))
		goto fail;
	status__start(o->quiet, mono_ns()); /* before the kernel events take its notices stream */
	if (probe_kernel(&s, err, sizeof(err)) || attach_all(&s, err, sizeof(err)) ||
	    begin_tracing(&s, err, sizeof(err)))
		goto fail;

	run_loop(&s);
	loopwatch__stop(&s.watch);
	if (finish_trace(&s, &dropped, err, sizeof(err)))
		goto fail;
	return session_end(&s, report_run(&s, dropped));
fail:
	say("%s", err);
	return session_end(&s, 1);
}
