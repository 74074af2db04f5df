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
#include "fate.h"
#include "formats.h"
#include "gobin.h"
#include "goroutines.h"
#include "guard.h"
#include "kevents.h"
#include "kfeatures.h"
#include "kallsyms.h"
#include "live.h"
#include "loader.h"
#include "names.h"
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
#include "target.h"
#include "tasks.h"
#include "trace.h"
#include "umulti.h"
#include "unwind.h"
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
	struct unwind_info unwind; /* can exceptions unwind through traced frames? */
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
	struct calib calib;   /* what a probe hit costs here (--max-overhead) */
	struct guard guard;   /* keeps the probes' cost within --max-overhead */
};

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
	if (outfile__open(&s->out, s->o->output, &trace_use, err, errlen))
		return -1;
	say_named_tmp(&s->out, s->o->verbose);
	if (!s->o->save_records)
		return 0;
	if (outfile__open(&s->records, s->o->save_records, &records_use, err, errlen))
		return -1;
	if (outfile__same_place(&s->out, &s->records)) {
		/* the records would be renamed over the finished trace */
		snprintf(err, errlen, "-o %s and --save-records %s are the same file; give each "
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
					     s->skel->progs.go_goexit, s->skel->progs.go_panic,
					     s->skel->progs.unwind_event };

		for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++)
			bpf_program__set_expected_attach_type(up[i], ST_TRACE_UPROBE_MULTI);
	}
	bpf_program__set_autoload(s->skel->progs.span_enter_named, sleepable);
	if (s->go_path) {
		s->skel->rodata->go_goid_off = s->go.goid_off;
		s->skel->rodata->go_stack_hi_off = s->go.stack_hi_off;
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
	uint8_t one = 1;
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
				snprintf(err, errlen, "cannot trace %s in %s: %s; trace its callers, "
					 "or the functions it calls", p->func, p->object, w);
			else
				snprintf(err, errlen, "failed to attach a uprobe to %s in %s: %s",
					 p->func, p->object, w);
			return -1;
		}
		if (s->o->verbose)
			say("skipped %s in %s: %s", p->func, p->object, w);
	}
	if (s->sites.nskipped == s->probes.n && s->probes.n) {
		snprintf(err, errlen, "none of the %zu functions matched can be traced (%s)",
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

/*
 * Opens the objects that tell whether exceptions can unwind (the unwinder's
 * libraries, the executable). One that cannot be opened is judged by its
 * name alone: its unwinder events are then not seen, which only makes the
 * ends of spans an exception passes later, never wrong.
 */
static void open_unwinder_objects(struct session *s)
{
	size_t idx[UNWIND_MAX_OBJS + 1];
	size_t n = unwind__candidates(s->target.objs, s->target.nobjs, idx, UNWIND_MAX_OBJS + 1);
	char why[512];

	for (size_t i = 0; i < n; i++)
		if (target__open_object(&s->target, idx[i], s->o->verbose, why, sizeof(why)) &&
		    s->o->verbose)
			say("exceptions: %s", why);
}

/* Is the main executable Go, and can its goroutines be followed? Then plan the sites. */
static int plan_probes(struct session *s, char *err, size_t errlen)
{
	const struct target_obj *main_obj = NULL;
	struct sites_target tg;
	bool go_probes = false;
	char why[512];

	for (size_t i = 0; i < s->target.nobjs; i++)
		if (s->target.objs[i].is_main)
			main_obj = &s->target.objs[i];
	if (main_obj && main_obj->open_path && s->probes.n &&
	    gobin__inspect(main_obj->open_path, &s->go, why, sizeof(why)) == 0 && s->go.is_go) {
		for (size_t i = 0; i < s->probes.n; i++)
			go_probes |= strcmp(s->probes.v[i].open_path, main_obj->open_path) == 0;
		if (go_probes) {
			if (gobin__check(&s->go, main_obj->path, err, errlen))
				return -1;
			s->go_path = main_obj->open_path;
			if (s->o->verbose)
				say("%s: Go %s; goroutine id at runtime.g+%u, stack top at +%u (%s)",
				    main_obj->path, s->go.version[0] ? s->go.version : "(unknown version)",
				    s->go.goid_off, s->go.stack_hi_off, s->go.goid_from);
		}
	}
	open_unwinder_objects(s);
	unwind__detect(s->target.objs, s->target.nobjs, &s->unwind);
	if (s->o->verbose && s->unwind.present)
		say("exceptions can unwind through traced frames (%s): returns are probed on "
		    "their instructions, never with a uretprobe", s->unwind.why);
	tg = (struct sites_target){
		.go_path = s->go_path,
		.unwinds = s->unwind.present,
		.unwinder_paths = s->unwind.objs,
		.nunwinder_paths = s->unwind.nobjs,
		.flags = (s->o->probe_at_entry ? SITES_AT_ENTRY : 0) |
			 (util__env_set("SPANTRACE_C_RET_PROBES") ? SITES_C_RETS : 0),
	};
	if (sites__build(&s->probes, &tg, &s->sites, err, errlen))
		return -1;
	s->skip_said = calloc(s->probes.n ? s->probes.n : 1, sizeof(*s->skip_said));
	if (!s->skip_said) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (s->o->verbose)
		say_sites(s);
	return report_skipped(s, NULL, err, errlen);
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
			   [SITE_GO_PANIC] = k->progs.go_panic,
			   [SITE_UNWIND] = k->progs.unwind_event },
		.multi = s->feat.uprobe_multi,
		.verbose = s->o->verbose,
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
		if ((s->stop_reason = output_failure(s)))
			return;
		now = mono_ns();
		if (now > REORDER_WINDOW_NS)
			spantree__flush(s->tree, now - REORDER_WINDOW_NS);
		kevents__poll(&s->kev, now);
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

	fprintf(stderr, "\n");
	guard__costs_to_stats(&s->guard, s->stats);
	stats__print(s->stats, stderr);
	fprintf(stderr, "\n%llu spans (%llu unfinished) on %u %s; events lost: %llu\n",
		(unsigned long long)ts->spans, (unsigned long long)ts->unfinished, ts->tasks,
		s->go_path ? "tasks (threads and goroutines)" : "threads",
		(unsigned long long)dropped);
	if (s->go_path)
		fprintf(stderr, "goroutines: %llu created, %llu panics\n",
			(unsigned long long)s->dec.ngo_created,
			(unsigned long long)s->dec.ngo_panics);
	if (s->unwind.present)
		fprintf(stderr, "exceptions: %llu thrown; %llu spans unwound by one (left out of "
			"the table above)\n", (unsigned long long)s->dec.nexceptions,
			(unsigned long long)ts->exceptions);
	if (ts->unwound)
		fprintf(stderr, "%llu spans ended without their return (a panic or an exception "
			"unwound them, or they left by a jump no probe sees, or never return), "
			"marked unfinished\n", (unsigned long long)ts->unwound);
	if (s->dec.name_faults)
		say("%llu span names could not be read from their argument (a bad pointer?): "
		    "those spans are named after their function",
		    (unsigned long long)s->dec.name_faults);
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
		snprintf(err, errlen, "failed to reset SIGCHLD: %s", strerror(errno));
		return -1;
	}
	return o->pid ? target__attach_pid(&s->target, o->pid, err, errlen) :
			target__launch(&s->target, o->cmd, true, s->start, err, errlen);
}

/* The functions the SPECs name in the target's objects, and where their probes sit. */
static int find_probes(struct session *s, char *err, size_t errlen)
{
	const struct opts *o = s->o;

	return target__open_objects(&s->target, o->specs, o->nspecs, o->verbose, err, errlen) ||
	       resolve__specs(o->specs, o->nspecs, s->target.objs, s->target.nobjs, &s->probes,
			      err, errlen) ||
	       plan_probes(s, err, errlen) ? -1 : 0;
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
		snprintf(err, errlen, "this kernel has no BTF (/sys/kernel/btf/vmlinux is "
			 "missing): spantrace's BPF programs are compiled once and relocated against "
			 "it (CO-RE); use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
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
				       .root_pid = (uint32_t)s->target.pid, .notices = stderr };
	s->kev = (struct kevents){ .feat = &s->feat, .dec = &s->dec, .live = &s->live,
				   .verbose = o->verbose };
	return load_bpf(s, err, errlen) || calibrate(s, err, errlen) ||
	       kevents__attach(&s->kev, err, errlen) ||
	       kevents__adopt(&s->kev, s->target.pid, !s->target.launched, err, errlen) ||
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
		snprintf(err, errlen, "process %d exited while probes were being attached",
			 s->o->pid);
		return -1;
	}
	say("tracing %zu function%s in process %d (%s) and its descendants, with kernel events; %s",
	    nfuncs, nfuncs == 1 ? "" : "s", s->target.pid, s->target.comm,
	    s->target.launched ? "until it exits (Ctrl-C goes to it)" : "Ctrl-C to stop");
	return guard_start(s, err, errlen);
}

/*
 * Tracing has stopped: the probes come off, the records already in the
 * buffer are read, every span ends, and the trace is closed and put in
 * place. *dropped: the events the BPF side found no room for.
 */
static int finish_trace(struct session *s, uint64_t *dropped, char *err, size_t errlen)
{
	uint64_t stop;

	if (outfile__error(&s->out)) {
		outfile__write_error(&s->out, err, errlen);
		return -1;
	}

	/* Everything the target did before it stopped is already in the buffer. */
	uprobes__detach(&s->up);
	kevents__detach(&s->kev);
	while (ringread__consume(&s->rb) > 0)
		;
	stop = mono_ns();
	spantree__finish(s->tree, stop);
	kevents__finish(&s->kev, stop);
	decoder__name_tasks(&s->dec);
	*dropped = s->skel->bss->dropped;
	if (s->ops->close(s->w)) {
		s->w = NULL;
		outfile__write_error(&s->out, err, errlen);
		return -1;
	}
	s->w = NULL;
	return outfile__commit(&s->out, err, errlen);
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
	say("stopped: %s; wrote %s", s->stop_reason, s->out.name);
	if (!records_err[0])
		return 0;
	say("%s; the trace was kept in %s, the partial records file removed", records_err,
	    s->out.name);
	return 1;
}

int loader__run(const struct opts *o, const struct sigstate *start)
{
	struct session s = { .o = o, .ops = trace_format__for_path(o->output)->ops, .epfd = -1,
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
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	s.dec = (struct decoder){ .probes = &s.probes, .tree = s.tree, .tasks = s.tasks,
				  .gors = s.gors, .names = s.names, .stats = s.stats, .ops = s.ops,
				  .w = s.w, .target_pid = (uint32_t)s.target.pid,
				  .live = &s.live.iface };
	live__init(&s.live, s.tasks);
	if (o->save_records && records_write_header(&s, err, sizeof(err)))
		goto fail;
	if (probe_kernel(&s, err, sizeof(err)) || attach_all(&s, err, sizeof(err)) ||
	    begin_tracing(&s, err, sizeof(err)))
		goto fail;

	run_loop(&s);
	if (finish_trace(&s, &dropped, err, sizeof(err)))
		goto fail;
	return session_end(&s, report_run(&s, dropped));
fail:
	say("%s", err);
	return session_end(&s, 1);
}
