// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The command line, from one table: each option's names, argument, help and
 * how its argument is read (a typed parser and the member of struct opts it
 * fills). getopt_long's arrays and the help text are made from the table, so
 * a new option is one entry.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "opts.h"

#define DAY_NS (86400ull * 1000000000ull)

struct opt;

/*
 * Reads an option's argument (NULL for a flag) into *o. Returns 0, 1 when the
 * command line ends there (-h), or -1 with a one-line error in err.
 */
typedef int opt_parse_fn(const struct opt *d, const char *arg, struct opts *o, char *err,
			 size_t errlen);

/* One word an option takes and the value it stands for. */
struct opt_word {
	const char *word;
	bool value;
};

/* Whether an option has a use when tracing, with --list, or both. */
enum opt_use {
	USE_BOTH = 0,
	USE_TRACING, /* refused with --list, which traces nothing */
	USE_LISTING, /* refused without --list */
};

/* One option: what the user writes, what the help says, how its argument is read. */
struct opt {
	const char *name;    /* --NAME */
	char letter;	     /* -L, 0 if none */
	const char *arg;     /* its argument as the help names it; NULL: it takes none */
	const char *help;    /* what it does; each '\n' starts a line of the help */
	opt_parse_fn *parse; /* one of the typed parsers at the end of this file */
	size_t field;	     /* FIELD(): the member of struct opts parse fills */
	const char *bad;     /* the error for a bad argument: a format, of what its parser says */
	uint64_t min, max;   /* bounds of the value, in ns or bytes */
	double unit;	     /* parse_secs_arg: nanoseconds in one unit of the argument */
	const struct opt_word *words; /* parse_word: the words it takes, up to one with word NULL */
	int use;	     /* enum opt_use */
};

/*
 * offsetof(struct opts, member), a member of the type its parser writes: one of
 * another type makes the array size -1, which does not compile.
 */
#define FIELD(member, type)                                                                       \
	(offsetof(struct opts, member) +                                                          \
	 0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((struct opts *)0)->member),    \
						      type) ? 1 : -1]))

static opt_parse_fn parse_flag, parse_help, parse_pid, parse_path, parse_word, parse_secs_arg,
	parse_pow2_size, parse_size_arg, parse_spec, parse_span, parse_exclude, parse_list,
	parse_percent_or_off;

static const struct opt_word probe_at_words[] = {
	{ "auto", false },
	{ "entry", true },
	{},
};

static const struct opt_word format_words[] = {
	{ "text", false },
	{ "json", true },
	{},
};

/* -d's error names its bound. */
_Static_assert(OPTS_MAX_DURATION_NS == 2678400ull * 1000000000ull && 2678400 == 31 * 86400,
	       "the error of -d says 2678400 (31 days)");

/* In the order of the help. */
static const struct opt options[] = {
	{
		.name = "pid", .letter = 'p', .arg = "PID",
		.help = "trace the running process PID and its descendants",
		.parse = parse_pid, .field = FIELD(pid, pid_t),
		.bad = "-p needs a process id (a positive number), got '%s'",
	},
	{
		.name = "uprobe", .letter = 'u', .arg = "SPEC",
		.help = "trace functions [OBJECT:]PATTERN; PATTERN is a glob over\n"
			"function symbols, OBJECT an absolute path or a prefix of\n"
			"the name of an ELF object mapped in the target (default:\n"
			"the main executable). Repeatable. SPEC:name=argN names\n"
			"each span from argument N (a C or Go string).",
		.parse = parse_spec,
		.bad = "bad -u '%s': %s",
	},
	{
		.name = "span", .arg = "BEGIN=END",
		.help = "span pairs: a call to a BEGIN function opens a span, a\n"
			"call to an END function closes it (both SPECs; write\n"
			"BEGIN:name=argN=END to name it from BEGIN's argument N).\n"
			"Repeatable.",
		.parse = parse_span,
		.bad = "bad --span %s",
	},
	{
		.name = "exclude", .letter = 'x', .arg = "SPEC",
		.help = "leave out the functions [OBJECT:]PATTERN matches from\n"
			"those -u, --span and --list match (without OBJECT: in\n"
			"every object). Repeatable.",
		.parse = parse_exclude,
		.bad = "bad -x '%s': %s",
	},
	{
		.name = "list", .letter = 'l', .arg = "SPEC",
		.help = "print the functions [OBJECT:]PATTERN matches, one a\n"
			"line, and where each would be probed or why it cannot\n"
			"be; attaches nothing. In -p PID, in -- COMMAND (not\n"
			"started) or in FILE. Repeatable; -u, --span and -x\n"
			"count too.",
		.parse = parse_list,
		.bad = "bad --list '%s': %s",
	},
	{
		.name = "format", .arg = "FORMAT",
		.help = "--list's lines: 'text' (tab-separated columns, the\n"
			"default) or 'json' (one JSON object a line)",
		.parse = parse_word, .field = FIELD(list_json, bool),
		.words = format_words, .use = USE_LISTING,
		.bad = "--format takes 'text' (tab-separated columns, the default) or 'json' "
		       "(one JSON object a line), got '%s'",
	},
	{
		.name = "output", .letter = 'o', .arg = "FILE",
		.help = "trace file (default " OPTS_DEFAULT_OUTPUT ")",
		.parse = parse_path, .field = FIELD(output, const char *),
		.bad = "-o needs a file name",
		.use = USE_TRACING,
	},
	{
		.name = "duration", .letter = 'd', .arg = "SECONDS",
		.help = "stop after SECONDS (default: when the target exits)",
		.parse = parse_secs_arg, .field = FIELD(duration_ns, uint64_t),
		.unit = 1e9, .min = 1, .max = OPTS_MAX_DURATION_NS,
		.bad = "-d needs a number of seconds above 0 and at most 2678400 (31 days), "
		       "got '%s'",
		.use = USE_TRACING,
	},
	{
		.name = "min-wait", .arg = "MS",
		.help = "record off-CPU waits of at least MS milliseconds\n"
			"(default 10)",
		.parse = parse_secs_arg, .field = FIELD(min_wait_ns, uint64_t),
		.unit = 1e6, .min = 0, .max = DAY_NS,
		.bad = "--min-wait needs a number of milliseconds >= 0, got '%s'",
		.use = USE_TRACING,
	},
	{
		.name = "stall", .arg = "SECONDS",
		.help = "report a task in uninterruptible sleep (D) for longer\n"
			"than SECONDS on stderr while it lasts (default 1)",
		.parse = parse_secs_arg, .field = FIELD(stall_ns, uint64_t),
		.unit = 1e9, .min = 1, .max = DAY_NS,
		.bad = "--stall needs a positive number of seconds, got '%s'",
		.use = USE_TRACING,
	},
	{
		.name = "probe-at", .arg = "WHERE",
		.help = "entry probes at 'auto' (default: the cheapest\n"
			"instruction before anything changes the arguments or\n"
			"the stack, e.g. past endbr64) or 'entry' (first byte)",
		.parse = parse_word, .field = FIELD(probe_at_entry, bool),
		.words = probe_at_words,
		.bad = "--probe-at takes 'auto' (the cheapest safe instruction, the default) or "
		       "'entry' (the first byte), got '%s'",
	},
	{
		.name = "max-overhead", .arg = "PERCENT",
		.help = "stop probing the functions that cost most once the\n"
			"probes take more than PERCENT of the traced processes'\n"
			"CPU time (default 5); 'off': never",
		.parse = parse_percent_or_off, .field = FIELD(max_overhead, double),
		.bad = "--max-overhead takes a percentage above 0 and at most 100 (e.g. 5 or 0.5), "
		       "or 'off', got '%s'",
		.use = USE_TRACING,
	},
	{
		.name = "ringbuf-size", .arg = "BYTES",
		.help = "BPF ring buffer size, a power of two >= 4096\n"
			"(default 8 MiB; suffixes k, m)",
		.parse = parse_pow2_size, .field = FIELD(ringbuf_size, uint64_t),
		.min = 4096, .max = 1ull << 30,
		.bad = "--ringbuf-size needs a power of two between 4096 and 1G, got '%s'",
		.use = USE_TRACING,
	},
	{
		.name = "max-size", .arg = "BYTES",
		.help = "stop writing events to the trace before it grows\n"
			"past BYTES (suffixes k, m, g); the trace stays\n"
			"valid and says it was cut, the summary counts on",
		.parse = parse_size_arg, .field = FIELD(max_size, uint64_t),
		.min = 4096, .max = 1ull << 50,
		.bad = "--max-size needs a number of bytes of at least 4096 (suffixes k, m, g), "
		       "got '%s'",
		.use = USE_TRACING,
	},
	{
		.name = "count", .letter = 'c',
		.help = "count only: the summary's calls and durations per\n"
			"function, no trace file written",
		.parse = parse_flag, .field = FIELD(count, bool),
		.use = USE_TRACING,
	},
	{
		.name = "quiet", .letter = 'q',
		.help = "no live status line on a terminal (warnings and\n"
			"errors are still said)",
		.parse = parse_flag, .field = FIELD(quiet, bool),
	},
	{
		.name = "save-records", .arg = "FILE",
		.help = "also write every raw ring-buffer record to FILE,\n"
			"for bench/replay (format in user/core/recfile.h)",
		.parse = parse_path, .field = FIELD(save_records, const char *),
		.bad = "--save-records needs a file name",
		.use = USE_TRACING,
	},
	{
		.name = "verbose", .letter = 'v',
		.help = "say what is resolved and attached, show libbpf's log",
		.parse = parse_flag, .field = FIELD(verbose, bool),
	},
	{
		.name = "help", .letter = 'h',
		.help = "this text",
		.parse = parse_help, .field = FIELD(help, bool),
	},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))
/* getopt_long's value for the long form of options[i]: LONG_VAL + i, above every letter */
#define LONG_VAL 256
/* where the help's descriptions start */
#define HELP_COL 25

static const char usage_head[] =
	"usage: spantrace -p PID [-u SPEC]... [--span BEGIN=END]... [-o FILE | -c] [-d SECONDS]"
	" [-q] [-v]\n"
	"       spantrace [-u SPEC]... [--span BEGIN=END]... [-o FILE | -c] [-d SECONDS] [-q] [-v]\n"
	"                 -- COMMAND [ARGS...]\n"
	"       spantrace --list SPEC... [-x SPEC]... [--format FORMAT]"
	" (-p PID | -- COMMAND | FILE)\n"
	"\n"
	"Records a process tree as a Chrome trace: the calls of span functions, and\n"
	"what the kernel does to it (fork, exec, exit, fatal signals, pipe writes,\n"
	"off-CPU waits with kernel stacks). Reports stalled tasks live on stderr, and\n"
	"on a terminal a status line: events/s, spans, events lost, trace size.\n"
	"\n";

static const char usage_tail[] =
	"\n"
	"With -p, stops when the process has exited, on SIGINT, SIGTERM or SIGHUP, or after\n"
	"-d, and exits 0. With --, traces until COMMAND exits: Ctrl-C goes to COMMAND,\n"
	"SIGTERM and SIGHUP are passed on to it; after -d the trace is written and spantrace\n"
	"waits for COMMAND. It then exits with COMMAND's status (128+N if signal N killed\n"
	"it). An error exits 1, a bad command line 2.\n"
	"\n"
	"--list prints, for each function, tab-separated: object, symbol, name, file offset,\n"
	"'ok' or 'refused', entry probe (+offset), its instruction, its kind ('optimized',\n"
	"'emulated', 'single-step'), return ('uretprobe', 'exits=N' probes on RETs and tail\n"
	"jumps, 'begin', 'end'), and why in words ('-' where a column does not apply). It\n"
	"exits 0, 1 if a SPEC matches nothing or on an error, 2 on a bad command line.\n"
	"\n"
	"Examples:\n"
	"  spantrace -p 1234\n"
	"  spantrace -p 1234 -u 'ht_*' -u 'libsqlite3:sqlite3_step'\n"
	"  spantrace -u 'demo_*' -o demo.json -- ./demo\n"
	"  spantrace --span 'span_begin:name=arg0=span_end' -- ./server\n"
	"  spantrace --span 'main.WithSpan:name=arg2=main.WithSpan.func1' -- ./goserver\n"
	"  spantrace --list 'main.*' -x 'main.init*' ./goserver\n"
	"  spantrace --list 'libc:malloc*' -p 1234\n";

/* "  -p, --pid PID", then the help from HELP_COL on, each further line indented to it. */
static void opt__usage(FILE *f, const struct opt *d)
{
	const char *line = d->help;
	char left[64];
	int n;

	if (d->letter)
		n = snprintf(left, sizeof(left), "  -%c, --%s", d->letter, d->name);
	else
		n = snprintf(left, sizeof(left), "      --%s", d->name);
	if (d->arg)
		snprintf(left + n, sizeof(left) - n, " %s", d->arg);
	n = (int)strlen(left);
	/* a left column too long for HELP_COL keeps two spaces before the help */
	fprintf(f, "%s%*s", left, n < HELP_COL ? HELP_COL - n : 2, "");
	for (;;) {
		size_t len = strcspn(line, "\n");

		fprintf(f, "%.*s\n", (int)len, line);
		if (!line[len])
			break;
		line += len + 1;
		fprintf(f, "%*s", HELP_COL, "");
	}
}

void opts__usage(FILE *f)
{
	fputs(usage_head, f);
	for (size_t i = 0; i < NOPTIONS; i++)
		opt__usage(f, &options[i]);
	fputs(usage_tail, f);
}

/* getopt_long's short options ("+:" and each letter, ':' if it takes an argument), long options. */
static void getopt_tables(char *shortopts, struct option *longopts)
{
	char *s = shortopts;

	*s++ = '+'; /* stop at the first non-option: the traced command keeps its options */
	*s++ = ':'; /* a missing argument is ':', not '?' like an unknown option */
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct opt *d = &options[i];

		if (d->letter) {
			*s++ = d->letter;
			if (d->arg)
				*s++ = ':';
		}
		longopts[i] = (struct option){ d->name, d->arg ? required_argument : no_argument,
					       NULL, LONG_VAL + (int)i };
	}
	*s = '\0';
	longopts[NOPTIONS] = (struct option){};
}

/* The option getopt_long returned c for. */
static const struct opt *option_of(int c)
{
	size_t i;

	if (c >= LONG_VAL)
		return &options[c - LONG_VAL];
	for (i = 0; options[i].letter != c; i++)
		;
	return &options[i];
}

/*
 * The option getopt just rejected (c: '?' or ':') as the user wrote it in
 * arg: "--name" for a long option (without "=value"), "-c" for a short one,
 * even inside a cluster such as "-vx" where argv holds no element naming it
 * alone. Returns -1.
 */
static int bad_option(int c, const char *arg, char *err, size_t errlen)
{
	char name[64];

	if (arg[0] == '-' && arg[1] == '-')
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(name, sizeof(name), "-%c", optopt);
	if (c == ':')
		errbuf__set(err, errlen, "option '%s' needs an argument; see --help", name);
	else if (optopt && name[1] == '-') /* glibc sets optopt for a known long option "=value" */
		errbuf__set(err, errlen, "option '%s' takes no argument; see --help", name);
	else
		errbuf__set(err, errlen, "unknown option '%s'; see --help", name);
	return -1;
}

/*
 * Reads the options up to the first non-option, or past "--". Returns 0, 1
 * when -h ended the command line, or -1 with the error in err. *done is where
 * the last option and its argument ended; seen[i]: options[i] was given.
 */
static int read_options(int argc, char **argv, struct opts *o, int *done, bool *seen, char *err,
			size_t errlen)
{
	char shortopts[3 + 2 * NOPTIONS];
	struct option longopts[NOPTIONS + 1];
	const struct opt *d;
	int c, cur, ret;

	getopt_tables(shortopts, longopts);
	optind = 0; /* full reset: tests parse several command lines */
	opterr = 0;
	*done = 1;
	for (;;) {
		cur = optind ? optind : 1; /* the element getopt reads, also mid-cluster */
		c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c == -1)
			return 0;
		*done = optind;
		if (c == '?' || c == ':')
			return bad_option(c, argv[cur], err, errlen);
		d = option_of(c);
		seen[d - options] = true;
		ret = d->parse(d, optarg, o, err, errlen);
		if (ret)
			return ret;
	}
}

/* An option given that has no use in the mode (tracing or --list) of the command line. */
static int check_use(const struct opts *o, const bool *seen, char *err, size_t errlen)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct opt *d = &options[i];

		if (!seen[i])
			continue;
		if (o->list && d->use == USE_TRACING) {
			if (d->letter)
				errbuf__set(err, errlen, "-%c (--%s) has no use with --list, which "
					 "attaches nothing and writes no trace; drop it", d->letter,
					 d->name);
			else
				errbuf__set(err, errlen, "--%s has no use with --list, which attaches "
					 "nothing and writes no trace; drop it", d->name);
			return -1;
		}
		if (!o->list && d->use == USE_LISTING) {
			errbuf__set(err, errlen, "--%s is for --list's output (a trace's format "
				 "follows -o's file name); add --list SPEC or drop it", d->name);
			return -1;
		}
	}
	return 0;
}

/* -c writes no trace: a trace file or its size asked for with it is a mistake. */
static int check_count(const struct opts *o, const bool *seen, char *err, size_t errlen)
{
	for (size_t i = 0; o->count && i < NOPTIONS; i++) {
		const struct opt *d = &options[i];

		if (seen[i] && (d->field == FIELD(output, const char *) ||
				d->field == FIELD(max_size, uint64_t))) {
			errbuf__set(err, errlen, "-c (--count) writes no trace, only the summary; "
				    "drop -c to write one, or drop --%s", d->name);
			return -1;
		}
	}
	return 0;
}

/* --list looks into exactly one of a process, a command not started, a file. */
static int check_list_target(const struct opts *o, char *err, size_t errlen)
{
	int n = !!o->pid + !!o->cmd + !!o->file;

	if (n == 1)
		return 0;
	if (n)
		errbuf__set(err, errlen, "give --list one of -p PID, -- COMMAND or FILE, not several");
	else
		errbuf__set(err, errlen,
			 "--list needs where to look: -p PID, -- COMMAND or FILE; see --help");
	return -1;
}

/*
 * What follows the options (from argv[next]) is the command if "--" ended
 * them: getopt_long took it, so argv[done] is that "--", unless it was an
 * option's argument (-o --). With --list, one FILE may stand there instead.
 * Then the command line needs a pid or a command.
 */
static int read_target(int argc, char **argv, int next, int done, struct opts *o, char *err,
		       size_t errlen)
{
	bool after_dashes = next < argc && next == done + 1 && strcmp(argv[done], "--") == 0;

	if (after_dashes) {
		o->cmd = &argv[next];
	} else if (o->list && next == argc - 1) {
		o->file = argv[next];
	} else if (next < argc) {
		errbuf__set(err, errlen, o->list ? "unexpected argument '%s'; --list looks into one "
						"FILE, or a command given after '--'" :
						"unexpected argument '%s'; put the command to run "
						"after '--'",
			 argv[o->list ? next + 1 : next]);
		return -1;
	}
	if (o->list)
		return check_list_target(o, err, errlen);
	if (o->pid && o->cmd) {
		errbuf__set(err, errlen, "give either -p PID or -- COMMAND, not both");
		return -1;
	}
	if (!o->pid && !o->cmd) {
		errbuf__set(err, errlen, "nothing to trace: give -p PID or -- COMMAND; see --help");
		return -1;
	}
	return 0;
}

int opts__parse(int argc, char **argv, struct opts *o, char *err, size_t errlen)
{
	bool seen[NOPTIONS] = { false };
	int done, ret;

	*o = (struct opts){
		.output = OPTS_DEFAULT_OUTPUT,
		.ringbuf_size = OPTS_DEFAULT_RINGBUF,
		.min_wait_ns = OPTS_DEFAULT_MIN_WAIT_NS,
		.stall_ns = OPTS_DEFAULT_STALL_NS,
		.max_overhead = OPTS_DEFAULT_MAX_OVERHEAD,
	};
	ret = read_options(argc, argv, o, &done, seen, err, errlen);
	if (ret == 1)
		return 0; /* -h: nothing else is checked */
	if (ret == 0)
		ret = check_use(o, seen, err, errlen);
	if (ret == 0)
		ret = check_count(o, seen, err, errlen);
	if (ret == 0)
		ret = read_target(argc, argv, optind, done, o, err, errlen);
	if (ret)
		opts__free(o);
	return ret;
}

void opts__free(struct opts *o)
{
	for (size_t i = 0; i < o->nspecs; i++)
		spec__free(&o->specs[i]);
	free(o->specs);
	o->specs = NULL;
	o->nspecs = 0;
}

/* --- the typed parsers: each reads one kind of argument into struct opts --- */

static void *field(struct opts *o, const struct opt *d)
{
	return (char *)o + d->field;
}

/* d->bad with the argument, e.g. "-p needs a process id (a positive number), got 'x'". */
static int bad_arg(const struct opt *d, const char *arg, char *err, size_t errlen)
{
	errbuf__set(err, errlen, d->bad, arg);
	return -1;
}

/* A bool member set by giving the option. */
static int parse_flag(const struct opt *d, const char *arg, struct opts *o, char *err,
		      size_t errlen)
{
	*(bool *)field(o, d) = true;
	return 0;
}

/* -h: the command line is complete whatever else it holds or lacks. */
static int parse_help(const struct opt *d, const char *arg, struct opts *o, char *err,
		      size_t errlen)
{
	parse_flag(d, arg, o, err, errlen);
	return 1;
}

/* A process id into a pid_t: a positive int. bad: a format of the argument. */
static int parse_pid(const struct opt *d, const char *arg, struct opts *o, char *err,
		     size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0 || v > INT_MAX)
		return bad_arg(d, arg, err, errlen);
	*(pid_t *)field(o, d) = (pid_t)v;
	return 0;
}

/* A file name into a const char * (pointing into argv): any but "". bad: a format of it. */
static int parse_path(const struct opt *d, const char *arg, struct opts *o, char *err,
		      size_t errlen)
{
	if (!*arg)
		return bad_arg(d, arg, err, errlen);
	*(const char **)field(o, d) = arg;
	return 0;
}

/* One of d->words into a bool: the value of the word. bad: a format of the argument. */
static int parse_word(const struct opt *d, const char *arg, struct opts *o, char *err,
		      size_t errlen)
{
	for (const struct opt_word *w = d->words; w->word; w++) {
		if (!strcmp(arg, w->word)) {
			*(bool *)field(o, d) = w->value;
			return 0;
		}
	}
	return bad_arg(d, arg, err, errlen);
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

/* A time (parse_secs in d->unit) into a uint64_t of ns in [d->min, d->max]. */
static int parse_secs_arg(const struct opt *d, const char *arg, struct opts *o, char *err,
			  size_t errlen)
{
	uint64_t ns;

	if (parse_secs(arg, d->unit, d->max, &ns) || ns < d->min)
		return bad_arg(d, arg, err, errlen);
	*(uint64_t *)field(o, d) = ns;
	return 0;
}

/* A decimal number of bytes with an optional suffix k, m or g. */
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
	else if (*end == 'g' || *end == 'G')
		shift = 30, end++;
	/* A shift that overflows could wrap to a valid power of two. */
	if (*end || v > (ULLONG_MAX >> shift))
		return -1;
	v <<= shift;
	*out = v;
	return 0;
}

/* A percentage in (0, 100], or "off" (0), into a double. */
static int parse_percent_or_off(const struct opt *d, const char *arg, struct opts *o, char *err,
				size_t errlen)
{
	const char *digits = *arg == '.' ? arg + 1 : arg;
	char *end;
	double v;

	if (!strcmp(arg, "off")) {
		*(double *)field(o, d) = 0;
		return 0;
	}
	/* strtod also takes signs, spaces, "inf", "nan" and hex: a digit (or ".5") first, no x */
	if (*digits < '0' || *digits > '9' || strpbrk(arg, "xX"))
		return bad_arg(d, arg, err, errlen);
	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > 100)
		return bad_arg(d, arg, err, errlen);
	*(double *)field(o, d) = v;
	return 0;
}

/* A size (parse_size) into a uint64_t: a power of two in [d->min, d->max]. */
static int parse_pow2_size(const struct opt *d, const char *arg, struct opts *o, char *err,
			   size_t errlen)
{
	uint64_t v;

	if (parse_size(arg, &v) || v < d->min || v > d->max || (v & (v - 1)))
		return bad_arg(d, arg, err, errlen);
	*(uint64_t *)field(o, d) = v;
	return 0;
}

/* A size (parse_size) into a uint64_t in [d->min, d->max]. */
static int parse_size_arg(const struct opt *d, const char *arg, struct opts *o, char *err,
			  size_t errlen)
{
	uint64_t v;

	if (parse_size(arg, &v) || v < d->min || v > d->max)
		return bad_arg(d, arg, err, errlen);
	*(uint64_t *)field(o, d) = v;
	return 0;
}

/* Room for n more SPECs in o->specs. */
static struct spec *more_specs(struct opts *o, size_t n, char *err, size_t errlen)
{
	struct spec *v = realloc(o->specs, (o->nspecs + n) * sizeof(*v));

	if (!v) {
		errbuf__set(err, errlen, "out of memory");
		return NULL;
	}
	o->specs = v;
	return &v[o->nspecs];
}

/* A SPEC, added to o->specs. bad: a format of the argument and why it is bad. */
static int parse_spec(const struct opt *d, const char *arg, struct opts *o, char *err,
		      size_t errlen)
{
	struct spec *s = more_specs(o, 1, err, errlen);
	char why[256];

	if (!s)
		return -1;
	if (spec__parse(arg, s, why, sizeof(why))) {
		errbuf__set(err, errlen, d->bad, arg, why);
		return -1;
	}
	o->nspecs++;
	return 0;
}

/* -x: a SPEC that removes functions from the others' matches; it names no span. */
static int parse_exclude(const struct opt *d, const char *arg, struct opts *o, char *err,
			 size_t errlen)
{
	struct spec *s;

	if (parse_spec(d, arg, o, err, errlen))
		return -1;
	s = &o->specs[o->nspecs - 1];
	s->role = SPEC_EXCLUDE;
	if (s->name_arg >= 0) {
		/* the caller's error path frees every SPEC parsed, this one too */
		errbuf__set(err, errlen, d->bad, arg,
			    "an exclusion names no span: drop ':name=argN'");
		return -1;
	}
	return 0;
}

/* --list: a SPEC whose functions are listed, and the command line lists. */
static int parse_list(const struct opt *d, const char *arg, struct opts *o, char *err,
		      size_t errlen)
{
	o->list = true;
	return parse_spec(d, arg, o, err, errlen);
}

/*
 * BEGIN=END, two SPECs (roles SPEC_BEGIN and SPEC_END) added to o->specs.
 * bad: a format of why it is bad (which quotes the argument).
 */
static int parse_span(const struct opt *d, const char *arg, struct opts *o, char *err,
		      size_t errlen)
{
	struct spec *s = more_specs(o, 2, err, errlen);
	char why[384];

	if (!s)
		return -1;
	if (spec__parse_pair(arg, o->npairs, &s[0], &s[1], why, sizeof(why))) {
		errbuf__set(err, errlen, d->bad, why);
		return -1;
	}
	o->nspecs += 2;
	o->npairs++;
	return 0;
}
