// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

#define DAY_NS (86400ull * 1000000000ull)

void opts__usage(FILE *f)
{
	fputs("usage: spantrace -p PID [-u SPEC]... [--span BEGIN=END]... [-o FILE] [-d SECONDS] [-v]\n"
	      "       spantrace [-u SPEC]... [--span BEGIN=END]... [-o FILE] [-d SECONDS] [-v] -- COMMAND [ARGS...]\n"
	      "\n"
	      "Records a process tree as a Chrome trace: the calls of span functions, and\n"
	      "what the kernel does to it (fork, exec, exit, fatal signals, pipe writes,\n"
	      "off-CPU waits with kernel stacks). Reports stalled tasks live on stderr.\n"
	      "\n"
	      "  -p, --pid PID          trace the running process PID and its descendants\n"
	      "  -u, --uprobe SPEC      trace functions [OBJECT:]PATTERN; PATTERN is a glob over\n"
	      "                         function symbols, OBJECT an absolute path or a prefix of\n"
	      "                         the name of an ELF object mapped in the target (default:\n"
	      "                         the main executable). Repeatable. SPEC:name=argN names\n"
	      "                         each span from argument N (a C or Go string).\n"
	      "      --span BEGIN=END   span pairs: a call to a BEGIN function opens a span, a\n"
	      "                         call to an END function closes it (both SPECs; write\n"
	      "                         BEGIN:name=argN=END to name it from BEGIN's argument N).\n"
	      "                         Repeatable.\n"
	      "  -o, --output FILE      trace file (default " OPTS_DEFAULT_OUTPUT ")\n"
	      "  -d, --duration SECONDS stop after SECONDS (default: when the target exits)\n"
	      "      --min-wait MS      record off-CPU waits of at least MS milliseconds\n"
	      "                         (default 10)\n"
	      "      --stall SECONDS    report a task in uninterruptible sleep (D) for longer\n"
	      "                         than SECONDS on stderr while it lasts (default 1)\n"
	      "      --probe-at WHERE   entry probes at 'auto' (default: the cheapest\n"
	      "                         instruction before anything changes the arguments or\n"
	      "                         the stack, e.g. past endbr64) or 'entry' (first byte)\n"
	      "      --ringbuf-size BYTES  BPF ring buffer size, a power of two >= 4096\n"
	      "                         (default 8 MiB; suffixes k, m)\n"
	      "      --save-records FILE  also write every raw ring-buffer record to FILE,\n"
	      "                         for bench/replay (format in user/core/recfile.h)\n"
	      "  -v, --verbose          say what is resolved and attached, show libbpf's log\n"
	      "  -h, --help             this text\n"
	      "\n"
	      "With -p, stops when the process has exited, on SIGINT, SIGTERM or SIGHUP, or after\n"
	      "-d, and exits 0. With --, traces until COMMAND exits: Ctrl-C goes to COMMAND,\n"
	      "SIGTERM and SIGHUP are passed on to it; after -d the trace is written and spantrace\n"
	      "waits for COMMAND. It then exits with COMMAND's status (128+N if signal N killed\n"
	      "it). An error exits 1, a bad command line 2.\n"
	      "\n"
	      "Examples:\n"
	      "  spantrace -p 1234\n"
	      "  spantrace -p 1234 -u 'ht_*' -u 'libsqlite3:sqlite3_step'\n"
	      "  spantrace -u 'demo_*' -o demo.json -- ./demo\n"
	      "  spantrace --span 'span_begin:name=arg0=span_end' -- ./server\n"
	      "  spantrace --span 'main.WithSpan:name=arg2=main.WithSpan.func1' -- ./goserver\n",
	      f);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	/* strtoull takes "-N" (negated) and leading spaces: digits only. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end == 'k' || *end == 'K')
		shift = 10, end++;
	else if (*end == 'm' || *end == 'M')
		shift = 20, end++;
	/* A shift that overflows could wrap to a valid power of two. */
	if (*end || v > (ULLONG_MAX >> shift))
		return -1;
	v <<= shift;
	*out = v;
	return 0;
}

/*
 * A non-negative decimal number of units (1e6: ms, 1e9: s) into ns, at most
 * max_ns: the bound keeps the conversion to an integer defined.
 */
static int parse_secs(const char *s, double unit, uint64_t max_ns, uint64_t *ns)
{
	const char *d = *s == '.' ? s + 1 : s;
	char *end;
	double v;

	/* strtod also takes signs, spaces, "inf", "nan" and hex: a digit (or ".5") first. */
	if (*d < '0' || *d > '9')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v * unit > (double)max_ns)
		return -1;
	*ns = (uint64_t)(v * unit);
	return 0;
}

static int add_spec(struct opts *o, const char *text, char *err, size_t errlen)
{
	struct spec *v = realloc(o->specs, (o->nspecs + 1) * sizeof(*v));
	char why[256];

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	o->specs = v;
	if (spec__parse(text, &v[o->nspecs], why, sizeof(why))) {
		snprintf(err, errlen, "bad -u '%s': %s", text, why);
		return -1;
	}
	o->nspecs++;
	return 0;
}

/* --span BEGIN=END: two SPECs, roles SPEC_BEGIN and SPEC_END. */
static int add_pair(struct opts *o, const char *text, char *err, size_t errlen)
{
	struct spec *v = realloc(o->specs, (o->nspecs + 2) * sizeof(*v));
	char why[384];

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	o->specs = v;
	if (spec__parse_pair(text, o->npairs, &v[o->nspecs], &v[o->nspecs + 1], why,
			     sizeof(why))) {
		snprintf(err, errlen, "bad --span %s", why);
		return -1;
	}
	o->nspecs += 2;
	o->npairs++;
	return 0;
}

/*
 * The option getopt just rejected, as the user wrote it: "--name" for a long
 * option (without "=value"), "-c" for a short one, even inside a cluster
 * such as "-vx" where argv holds no element naming it alone.
 */
static void bad_option(char *buf, size_t len, const char *arg)
{
	if (arg[0] == '-' && arg[1] == '-')
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(buf, len, "-%c", optopt);
}

int opts__parse(int argc, char **argv, struct opts *o, char *err, size_t errlen)
{
	enum { OPT_RINGBUF = 256, OPT_MIN_WAIT, OPT_STALL, OPT_SPAN, OPT_PROBE_AT,
	       OPT_SAVE_RECORDS };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "uprobe", required_argument, NULL, 'u' },
		{ "span", required_argument, NULL, OPT_SPAN },
		{ "probe-at", required_argument, NULL, OPT_PROBE_AT },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "save-records", required_argument, NULL, OPT_SAVE_RECORDS },
		{ "min-wait", required_argument, NULL, OPT_MIN_WAIT },
		{ "stall", required_argument, NULL, OPT_STALL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *end, name[64];
	int c, cur, done = 1;
	long v;

	memset(o, 0, sizeof(*o));
	o->output = OPTS_DEFAULT_OUTPUT;
	o->ringbuf_size = OPTS_DEFAULT_RINGBUF;
	o->min_wait_ns = OPTS_DEFAULT_MIN_WAIT_NS;
	o->stall_ns = OPTS_DEFAULT_STALL_NS;
	optind = 0; /* full reset: tests parse several command lines */
	opterr = 0;

	/*
	 * '+': stop at the first non-option so the traced command keeps its
	 * options. cur is the element getopt is reading (also mid-cluster), done
	 * where the last option and its argument ended.
	 */
	for (;;) {
		cur = optind ? optind : 1;
		c = getopt_long(argc, argv, "+:p:u:o:d:vh", longopts, NULL);
		if (c == -1)
			break;
		done = optind;
		switch (c) {
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v <= 0 || v > INT_MAX) {
				snprintf(err, errlen, "-p needs a process id (a positive number), got '%s'",
					 optarg);
				goto fail;
			}
			o->pid = (pid_t)v;
			break;
		case 'u':
			if (add_spec(o, optarg, err, errlen))
				goto fail;
			break;
		case OPT_SPAN:
			if (add_pair(o, optarg, err, errlen))
				goto fail;
			break;
		case OPT_PROBE_AT:
			if (strcmp(optarg, "entry") && strcmp(optarg, "auto")) {
				snprintf(err, errlen, "--probe-at takes 'auto' (the cheapest safe "
					 "instruction, the default) or 'entry' (the first byte), got '%s'",
					 optarg);
				goto fail;
			}
			o->probe_at_entry = !strcmp(optarg, "entry");
			break;
		case 'o':
			if (!*optarg) {
				snprintf(err, errlen, "-o needs a file name");
				goto fail;
			}
			o->output = optarg;
			break;
		case 'd':
			if (parse_secs(optarg, 1e9, OPTS_MAX_DURATION_NS, &o->duration_ns) ||
			    !o->duration_ns) {
				snprintf(err, errlen, "-d needs a number of seconds above 0 and at most "
					 "%llu (%llu days), got '%s'", OPTS_MAX_DURATION_NS / 1000000000ull,
					 OPTS_MAX_DURATION_NS / DAY_NS, optarg);
				goto fail;
			}
			break;
		case OPT_RINGBUF:
			if (parse_size(optarg, &o->ringbuf_size) || o->ringbuf_size < 4096 ||
			    (o->ringbuf_size & (o->ringbuf_size - 1)) || o->ringbuf_size > (1ull << 30)) {
				snprintf(err, errlen,
					 "--ringbuf-size needs a power of two between 4096 and 1G, got '%s'",
					 optarg);
				goto fail;
			}
			break;
		case OPT_SAVE_RECORDS:
			if (!*optarg) {
				snprintf(err, errlen, "--save-records needs a file name");
				goto fail;
			}
			o->save_records = optarg;
			break;
		case OPT_MIN_WAIT:
			if (parse_secs(optarg, 1e6, DAY_NS, &o->min_wait_ns)) {
				snprintf(err, errlen,
					 "--min-wait needs a number of milliseconds >= 0, got '%s'",
					 optarg);
				goto fail;
			}
			break;
		case OPT_STALL:
			if (parse_secs(optarg, 1e9, DAY_NS, &o->stall_ns) || !o->stall_ns) {
				snprintf(err, errlen, "--stall needs a positive number of seconds, got '%s'",
					 optarg);
				goto fail;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			bad_option(name, sizeof(name), argv[cur]);
			snprintf(err, errlen, "option '%s' needs an argument; see --help", name);
			goto fail;
		default:
			bad_option(name, sizeof(name), argv[cur]);
			/* glibc sets optopt for a known long option given "=value". */
			if (optopt && name[1] == '-')
				snprintf(err, errlen, "option '%s' takes no argument; see --help",
					 name);
			else
				snprintf(err, errlen, "unknown option '%s'; see --help", name);
			goto fail;
		}
	}

	if (optind < argc) {
		/*
		 * getopt_long leaves "--" consumed; anything left is the command.
		 * A "--" that was an option's argument (-o --) does not count.
		 */
		if (optind != done + 1 || strcmp(argv[done], "--") != 0) {
			snprintf(err, errlen,
				 "unexpected argument '%s'; put the command to run after '--'",
				 argv[optind]);
			goto fail;
		}
		o->cmd = &argv[optind];
	}
	if (o->pid && o->cmd) {
		snprintf(err, errlen, "give either -p PID or -- COMMAND, not both");
		goto fail;
	}
	if (!o->pid && !o->cmd) {
		snprintf(err, errlen, "nothing to trace: give -p PID or -- COMMAND; see --help");
		goto fail;
	}
	return 0;
fail:
	opts__free(o);
	return -1;
}

void opts__free(struct opts *o)
{
	for (size_t i = 0; i < o->nspecs; i++)
		spec__free(&o->specs[i]);
	free(o->specs);
	o->specs = NULL;
	o->nspecs = 0;
}
