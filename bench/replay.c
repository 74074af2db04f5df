// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * replay: the loader's span path (record decoding, span tree, trace writer,
 * summary statistics) fed from a record file instead of the ring buffer, to
 * measure it on one core without BPF or root.
 *
 *   replay [--events N | --stream] [--report-every N] [--out FILE] [--min-wait MS]
 *          [--kallsyms FILE] RECORDS [PROBES...]
 *
 * RECORDS is written by `spantrace --save-records RECORDS ...` (format in
 * user/core/recfile.h). Every record goes through the loader's own decoder
 * (decoder__record: spans and kernel events alike), in file order, and the
 * file's target pid stands for threads no record names, as in the loader.
 * With --events N the file is replayed again and again, each pass's
 * timestamps shifted by the file's time span (thread ids kept), until N
 * records have been decoded; without it, once. The trace goes to /dev/null,
 * or to FILE with --out, in the format FILE's extension picks, as for -o
 * (formats.h: Chrome JSON unless it is another format's). PROBES, if given,
 * rename the file's probes in index order (or make the table of a file that
 * has none).
 *
 * With --stream the records are decoded as they are read, once, and never
 * held: RECORDS may then be a pipe ("-": standard input), as long as a
 * generator makes it (bench/churn.c), and the resident set is the decoder's.
 *
 * It reads nothing of a live process: the decoder has no live interface
 * (decode.h), so a span name the uprobe could not read keeps its function's
 * name, whatever process and address the file names.
 *
 * Every 10M events (--report-every N) it prints the rate of those events (CPU
 * time of the process) and the resident set; at the end one summary line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "count.h"
#include "decode.h"
#include "errbuf.h"
#include "formats.h"
#include "recfile.h"
#include "goroutines.h"
#include "kallsyms.h"
#include "names.h"
#include "opts.h"
#include "spantrace.h"
#include "spantree.h"
#include "stats.h"
#include "tasks.h"
#include "trace.h"

#define WINDOW_NS (2 * 1000 * 1000ull) /* the loader's REORDER_WINDOW_NS */
#define REPORT_EVERY 10000000ull
/* Larger than any record: a longer one is cut to this (and found malformed). */
#define STREAM_RECORD_MAX 4096

/* The trace's stream: written through to a file descriptor, bytes counted. */
struct sink {
	int fd;
	int err;
	uint64_t bytes;
};

static ssize_t sink__write(void *cookie, const char *buf, size_t len)
{
	struct sink *s = cookie;
	size_t done = 0;

	while (done < len) {
		ssize_t r = write(s->fd, buf + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			s->err = r ? errno : EIO;
			s->bytes += done;
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)r;
	}
	s->bytes += len;
	return (ssize_t)len;
}

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Resident set now, MiB. */
static double rss_mib(void)
{
	unsigned long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

static double peak_rss_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024;
}

/* PROBES on the command line: the names of the probes, in index order. */
static int rename_probes(struct probe_table *t, char **names, size_t n, char *err, size_t errlen)
{
	if (t->n && t->n != n) {
		errbuf__set(err, errlen, "%zu probe names given for a file of %zu probes", n, t->n);
		return -1;
	}
	if (!t->n) {
		t->v = calloc(n, sizeof(*t->v));
		if (!t->v) {
			errbuf__set(err, errlen, "out of memory");
			return -1;
		}
		t->n = n;
	}
	for (size_t i = 0; i < n; i++) {
		struct probe *p = &t->v[i];

		free(p->name);
		p->name = strdup(names[i]);
		if (!p->func)
			p->func = strdup(names[i]);
		if (!p->name || !p->func) {
			errbuf__set(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

struct replay {
	struct decoder d;
	struct recfile rf;
	/*
	 * The records as the ring buffer hands them over: 8-byte aligned, each
	 * after a word holding its size. The file's are not aligned.
	 */
	uint64_t *recs;
	size_t nwords;
	size_t nrecords;
	uint64_t min_ts, max_ts; /* of the file's records */
	uint64_t want;		 /* events to decode; UINT64_MAX: one pass */
	uint64_t events, passes;
	uint64_t report_every;
	uint64_t report_events;
	double report_cpu;
};

/*
 * Reads the records into memory, aligned, and finds the file's time span:
 * where a pass's timestamps start and end.
 */
static int replay__load(struct replay *r, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t w = 0, cap;
	uint32_t size;
	int got;

	if (fstat(fileno(r->rf.f), &st)) {
		errbuf__set(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	/*
	 * Each record takes at most twice its bytes in the file (4 of size, 8
	 * here): enough for all, and pages never written are never resident.
	 */
	cap = 2 * (size_t)st.st_size / 8 + 1;
	r->recs = malloc(cap * 8);
	if (!r->recs) {
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	r->min_ts = UINT64_MAX;
	r->max_ts = 0;
	while ((got = recfile__read(&r->rf, &r->recs[w + 1], (cap - w - 1) * 8, &size)) > 0) {
		const struct st_hdr *h = (const struct st_hdr *)&r->recs[w + 1];

		if (w + 1 + (size + 7) / 8 > cap) { /* the file grew */
			errbuf__set(err, errlen, "%s changed while being read", path);
			return -1;
		}
		r->recs[w] = size;
		w += 1 + (size + 7) / 8;
		r->nrecords++;
		if (size < sizeof(*h))
			continue;
		if (h->ts < r->min_ts)
			r->min_ts = h->ts;
		if (h->ts > r->max_ts)
			r->max_ts = h->ts;
	}
	if (got < 0) {
		errbuf__set(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (r->rf.truncated)
		fprintf(stderr, "replay: %s ends inside a record; replaying the %zu whole ones\n",
			path, r->nrecords);
	r->nwords = w;
	if (r->min_ts > r->max_ts)
		r->min_ts = r->max_ts = 0;
	return 0;
}

static void replay__report(struct replay *r)
{
	double now = cpu_seconds(), dt = now - r->report_cpu;

	printf("events %llu  rate %.2f M/s  rss %.2f MiB\n", (unsigned long long)r->events,
	       dt > 0 ? (double)(r->events - r->report_events) / dt / 1e6 : 0.0, rss_mib());
	fflush(stdout);
	r->report_events = r->events;
	r->report_cpu = cpu_seconds();
}

/* Moves a record's times on by shift: its header's, and the start of a wait or pipe write. */
static void shift_record(struct st_hdr *h, uint32_t size, uint64_t shift)
{
	if (size < sizeof(*h))
		return;
	h->ts += shift;
	if (h->type == ST_REC_WAIT && size >= sizeof(struct st_wait))
		((struct st_wait *)h)->w.start += shift;
	else if (h->type == ST_REC_PIPE_WRITE && size >= sizeof(struct st_pipe_write))
		((struct st_pipe_write *)h)->pw.start += shift;
}

/*
 * One pass over the file; returns the events it decoded. Each record's
 * timestamp moves on by the file's span once decoded, ready for the next pass.
 */
static uint64_t replay__pass(struct replay *r)
{
	uint64_t shift = r->max_ts - r->min_ts + 1, before = r->events;
	size_t w = 0;

	while (r->events < r->want && w < r->nwords) {
		uint32_t size = (uint32_t)r->recs[w];
		struct st_hdr *h = (struct st_hdr *)&r->recs[w + 1];
		bool ok = decoder__record(&r->d, h, size);

		shift_record(h, size, shift);
		w += 1 + (size + 7) / 8;
		if (!ok)
			continue;
		if (++r->events % r->report_every == 0)
			replay__report(r);
	}
	r->passes++;
	return r->events - before;
}

/*
 * --stream: each record decoded as it is read, none kept. The time span is
 * that of the records seen, for the stop.
 */
static int replay__stream(struct replay *r, const char *path, char *err, size_t errlen)
{
	uint64_t buf[STREAM_RECORD_MAX / 8];
	const struct st_hdr *h = (const struct st_hdr *)buf;
	uint32_t size;
	int got;

	r->min_ts = UINT64_MAX;
	while ((got = recfile__read(&r->rf, buf, sizeof(buf), &size)) > 0) {
		r->nrecords++;
		if (size > sizeof(buf))
			size = sizeof(buf);
		if (size >= sizeof(*h) && h->ts > r->max_ts)
			r->max_ts = h->ts;
		if (size >= sizeof(*h) && h->ts < r->min_ts)
			r->min_ts = h->ts;
		if (decoder__record(&r->d, buf, size) && ++r->events % r->report_every == 0)
			replay__report(r);
	}
	if (r->min_ts > r->max_ts)
		r->min_ts = r->max_ts = 0;
	r->passes = 1;
	if (got < 0) {
		errbuf__set(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (r->rf.truncated)
		fprintf(stderr, "replay: %s ends inside a record; replayed the %zu whole ones\n",
			path, r->nrecords);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: replay [--events N | --stream] [--report-every N] [--out FILE]\n"
	      "              [--min-wait MS] [--kallsyms FILE] RECORDS [PROBES...]\n"
	      "Feeds a record file of spantrace --save-records through the loader's decoder,\n"
	      "span tree and Chrome writer on one core, and reports the rate.\n"
	      "  --events N       decode N events (suffixes k, M, G), replaying the file with\n"
	      "                   shifted timestamps as often as needed (default: one pass)\n"
	      "  --stream         decode the records as they are read, once, keeping none:\n"
	      "                   RECORDS may be a pipe, - for standard input\n"
	      "  --report-every N print the rate and resident set every N events (default 10M)\n"
	      "  --out FILE       write the trace to FILE (default /dev/null)\n"
	      "  --min-wait MS    spantrace's --min-wait of the run: pipe writes that blocked\n"
	      "                   for less are counted, not drawn (default 10)\n"
	      "  --kallsyms FILE  kernel symbols for the stacks of waits (default: addresses)\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "events", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "min-wait", required_argument, NULL, 'm' },
		{ "kallsyms", required_argument, NULL, 'k' },
		{ "stream", no_argument, NULL, 's' },
		{ "report-every", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct replay r = { .want = UINT64_MAX, .report_every = REPORT_EVERY };
	struct sink sink = { .fd = -1 };
	const char *out_path = "/dev/null", *kallsyms = NULL;
	uint64_t min_wait_ns = OPTS_DEFAULT_MIN_WAIT_NS;
	struct ksyms *ks = NULL;
	char err[512], *iobuf = NULL, *end;
	double ms;
	const struct spantree_stats *st;
	double t0, secs;
	FILE *out = NULL;
	bool stream = false;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "+n:o:m:k:sr:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (bench__parse_count(optarg, &r.want) || !r.want) {
				fprintf(stderr,
					"replay: --events needs a positive count, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'm':
			ms = strtod(optarg, &end);
			if (end == optarg || *end || !(ms >= 0 && ms <= 1e9)) {
				fprintf(stderr,
					"replay: --min-wait needs milliseconds >= 0, got '%s'\n",
					optarg);
				return 2;
			}
			min_wait_ns = (uint64_t)(ms * 1e6);
			break;
		case 'k':
			kallsyms = optarg;
			break;
		case 's':
			stream = true;
			break;
		case 'r':
			if (bench__parse_count(optarg, &r.report_every) || !r.report_every) {
				fprintf(stderr,
					"replay: --report-every needs a positive count, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || (stream && r.want != UINT64_MAX)) {
		usage(stderr);
		return 2;
	}
	if (recfile__open(stream && !strcmp(argv[optind], "-") ? stdin : fopen(argv[optind], "re"),
			  argv[optind], &r.rf, err, sizeof(err)) ||
	    (argc - optind > 1 &&
	     rename_probes(&r.rf.probes, argv + optind + 1, (size_t)(argc - optind - 1), err,
			   sizeof(err))) ||
	    (!stream && replay__load(&r, argv[optind], err, sizeof(err)))) {
		fprintf(stderr, "replay: %s\n", err);
		goto out;
	}
	if (kallsyms && !(ks = ksyms__load(kallsyms, err, sizeof(err)))) {
		fprintf(stderr, "replay: cannot read the kernel symbols in %s: %s\n", kallsyms,
			err);
		goto out;
	}

	sink.fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (sink.fd >= 0)
		out = fopencookie(&sink, "w", (cookie_io_functions_t){ .write = sink__write });
	iobuf = malloc(1 << 20);
	if (!out || !iobuf) {
		fprintf(stderr, "replay: cannot write to %s: %s\n", out_path, strerror(errno));
		goto out;
	}
	setvbuf(out, iobuf, _IOFBF, 1 << 20); /* as the loader's */

	/* no .live: nothing is read from any process the file names */
	r.d = (struct decoder){ .probes = &r.rf.probes,
				.ops = trace_format__for_path(out_path)->ops,
				.target_pid = r.rf.target_pid,
				.kev = { .ks = ks, .min_wait_ns = min_wait_ns } };
	r.d.tree = spantree__new(WINDOW_NS, decoder__on_span, decoder__on_task, &r.d);
	r.d.tasks = tasks__new();
	r.d.gors = gor__new();
	r.d.names = names__new();
	r.d.stats = stats__new();
	r.d.w = r.d.ops->open(out);
	if (!r.d.tree || !r.d.tasks || !r.d.gors || !r.d.names || !r.d.stats || !r.d.w) {
		fprintf(stderr, "replay: out of memory\n");
		goto out;
	}
	spantree__on_drop(r.d.tree, decoder__on_drop);

	t0 = r.report_cpu = cpu_seconds();
	if (stream && replay__stream(&r, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "replay: %s\n", err);
		goto out;
	}
	while (!stream && replay__pass(&r) && r.events < r.want && r.want != UINT64_MAX)
		;
	spantree__finish(r.d.tree, r.min_ts + r.passes * (r.max_ts - r.min_ts + 1));
	decoder__name_tasks(&r.d);
	decoder__tell_loss(&r.d, 0); /* what the records say: the loader's count is not in them */
	ret = r.d.ops->close(r.d.w) ? 1 : 0;
	r.d.w = NULL;
	if (fclose(out))
		ret = 1;
	out = NULL;
	secs = cpu_seconds() - t0;
	if (ret)
		fprintf(stderr, "replay: failed to write the trace to %s: %s\n", out_path,
			strerror(sink.err ? sink.err : EIO));

	st = spantree__stats(r.d.tree);
	printf("total: events %llu  spans %llu  seconds %.3f  events/s %.2fM  peak rss %.1f MiB  "
	       "output %llu bytes  bytes/span %.1f\n",
	       (unsigned long long)r.events, (unsigned long long)st->spans, secs,
	       secs > 0 ? (double)r.events / secs / 1e6 : 0.0, peak_rss_mib(),
	       (unsigned long long)sink.bytes,
	       st->spans ? (double)sink.bytes / (double)st->spans : 0.0);
	printf("(%llu passes over %zu records; %llu malformed; "
	       "%llu unfinished spans; %llu late events; %llu span names not read: replay reads "
	       "no process's memory; %llu span names not kept: more than %d held at once)\n",
	       (unsigned long long)r.passes, r.nrecords,
	       (unsigned long long)r.d.bad_records, (unsigned long long)st->unfinished,
	       (unsigned long long)st->late_events, (unsigned long long)r.d.name_faults,
	       (unsigned long long)r.d.names_dropped, NAMES_MAX_HELD);
out:
	if (r.d.w)
		r.d.ops->close(r.d.w);
	if (out)
		fclose(out);
	if (sink.fd >= 0)
		close(sink.fd);
	free(iobuf);
	spantree__free(r.d.tree);
	tasks__free(r.d.tasks);
	gor__free(r.d.gors);
	names__free(r.d.names);
	stats__free(r.d.stats);
	kdecode__free(&r.d.kev);
	ksyms__free(ks);
	recfile__close(&r.rf);
	free(r.recs);
	return ret;
}
