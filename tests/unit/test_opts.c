/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * opts: command-line parsing, the fields it fills and its error messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* argv from string literals, NULL-terminated like a real one; lives in the caller's block. */
#define ARGV(...) ((char *[]){ "spantrace", __VA_ARGS__, NULL })

static int argv_len(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

static void parse_ok(char **argv, struct opts *o)
{
	char err[512] = "";
	int ret = opts__parse(argv_len(argv), argv, o, err, sizeof(err));

	if (ret)
		print_error("opts__parse: %s\n", err);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
}

static void parse_err(char **argv, const char *msg)
{
	char err[512] = "";
	struct opts o;

	assert_int_equal(opts__parse(argv_len(argv), argv, &o, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
	/* The error path frees what was parsed so far. */
	assert_null(o.specs);
	assert_int_equal(o.nspecs, 0);
}

static void assert_spec(const struct spec *s, const char *text, const char *object,
			const char *pattern)
{
	assert_string_equal(s->text, text);
	if (object)
		assert_string_equal(s->object, object);
	else
		assert_null(s->object);
	assert_string_equal(s->pattern, pattern);
}

static void test_pid(void **state)
{
	struct opts o;

	parse_ok(ARGV("-p", "1234", "-u", "main"), &o);
	assert_int_equal(o.pid, 1234);
	assert_null(o.cmd);
	assert_int_equal(o.nspecs, 1);
	assert_spec(&o.specs[0], "main", NULL, "main");
	assert_string_equal(o.output, OPTS_DEFAULT_OUTPUT);
	assert_int_equal(o.duration_ns, 0);
	assert_int_equal(o.ringbuf_size, OPTS_DEFAULT_RINGBUF);
	assert_int_equal(o.ringbuf_size, 8u << 20);
	assert_false(o.verbose);
	assert_false(o.help);
	opts__free(&o);
	assert_null(o.specs);
	assert_int_equal(o.nspecs, 0);

	parse_ok(ARGV("--pid=42", "--uprobe=f"), &o);
	assert_int_equal(o.pid, 42);
	assert_int_equal(o.nspecs, 1);
	opts__free(&o);

	parse_ok(ARGV("-u", "f", "--pid", "2147483647"), &o);
	assert_int_equal(o.pid, 2147483647);
	opts__free(&o);

	/* Glued short argument. */
	parse_ok(ARGV("-p7", "-uf"), &o);
	assert_int_equal(o.pid, 7);
	assert_spec(&o.specs[0], "f", NULL, "f");
	opts__free(&o);
}

static void test_pid_errors(void **state)
{
	parse_err(ARGV("-p", "abc", "-u", "f"),
		  "-p needs a process id (a positive number), got 'abc'");
	parse_err(ARGV("-p", "0", "-u", "f"),
		  "-p needs a process id (a positive number), got '0'");
	/* A required argument is taken even when it looks like an option. */
	parse_err(ARGV("-p", "-5", "-u", "f"),
		  "-p needs a process id (a positive number), got '-5'");
	parse_err(ARGV("-p", "12x", "-u", "f"),
		  "-p needs a process id (a positive number), got '12x'");
	parse_err(ARGV("-p", "", "-u", "f"),
		  "-p needs a process id (a positive number), got ''");
	parse_err(ARGV("-p", "2147483648", "-u", "f"),
		  "-p needs a process id (a positive number), got '2147483648'");
	parse_err(ARGV("-p", "99999999999999999999", "-u", "f"),
		  "-p needs a process id (a positive number), got '99999999999999999999'");
	/* Specs parsed before the error are freed (ASan checks). */
	parse_err(ARGV("-u", "a", "-u", "b", "-p", "x"),
		  "-p needs a process id (a positive number), got 'x'");
}

static void test_uprobe_repeated(void **state)
{
	struct opts o;

	parse_ok(ARGV("-u", "demo_*", "-u", "libc:malloc", "--uprobe", "ns::f*", "-u",
		      "/usr/lib/libx.so:x_*", "-p", "1"),
		 &o);
	assert_int_equal(o.nspecs, 4);
	assert_spec(&o.specs[0], "demo_*", NULL, "demo_*");
	assert_spec(&o.specs[1], "libc:malloc", "libc", "malloc");
	assert_spec(&o.specs[2], "ns::f*", NULL, "ns::f*");
	assert_spec(&o.specs[3], "/usr/lib/libx.so:x_*", "/usr/lib/libx.so", "x_*");
	opts__free(&o);
	assert_null(o.specs);
	assert_int_equal(o.nspecs, 0);
	/* Freeing twice is harmless. */
	opts__free(&o);
}

static void test_uprobe_errors(void **state)
{
	parse_err(ARGV("-p", "1", "-u", "libc:"),
		  "bad -u 'libc:': empty PATTERN in 'libc:': add a function glob after ':', "
		  "e.g. 'libc:*'");
	parse_err(ARGV("-p", "1", "-u", "ok", "-u", ":f"),
		  "bad -u ':f': empty OBJECT in ':f': write OBJECT:PATTERN, or PATTERN for the "
		  "executable");
	parse_err(ARGV("-p", "1", "-u", ""),
		  "bad -u '': empty SPEC: write [OBJECT:]PATTERN, e.g. 'main_*' or 'libc:malloc'");
}

static void test_output(void **state)
{
	struct opts o;

	parse_ok(ARGV("-p", "1", "-u", "f", "-o", "out.json"), &o);
	assert_string_equal(o.output, "out.json");
	opts__free(&o);

	parse_ok(ARGV("-p", "1", "-u", "f", "--output=/tmp/x.json"), &o);
	assert_string_equal(o.output, "/tmp/x.json");
	opts__free(&o);

	/* The last -o wins. */
	parse_ok(ARGV("-p", "1", "-u", "f", "-o", "a", "-o", "b"), &o);
	assert_string_equal(o.output, "b");
	opts__free(&o);

	parse_err(ARGV("-p", "1", "-u", "f", "-o", ""), "-o needs a file name");
	parse_err(ARGV("-p", "1", "-u", "f", "--output="), "-o needs a file name");
}

static void test_duration(void **state)
{
	static const char *bad[] = { "0", "0.0000000001", "x", "inf", "nan", "-1", " 1", "+1",
				     "1e999", "1e300", "2678400.5", "2s", "", "." };
	char msg[160];
	struct opts o;

	parse_ok(ARGV("-p", "1", "-u", "f", "-d", "0.5"), &o);
	assert_int_equal(o.duration_ns, 500000000);
	opts__free(&o);

	parse_ok(ARGV("-p", "1", "-u", "f", "-d", ".25"), &o);
	assert_int_equal(o.duration_ns, 250000000);
	opts__free(&o);

	parse_ok(ARGV("-p", "1", "-u", "f", "--duration", "30"), &o);
	assert_int_equal(o.duration_ns, 30000000000ull);
	opts__free(&o);

	/* the bound, 31 days, is allowed */
	parse_ok(ARGV("-p", "1", "-u", "f", "-d", "2678400"), &o);
	assert_int_equal(o.duration_ns, OPTS_MAX_DURATION_NS);
	assert_int_equal(o.duration_ns, 2678400ull * 1000000000ull);
	opts__free(&o);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(msg, sizeof(msg), "-d needs a number of seconds above 0 and at most "
			 "2678400 (31 days), got '%s'", bad[i]);
		parse_err(ARGV("-p", "1", "-u", "f", "-d", (char *)bad[i]), msg);
	}
}

static void ringbuf_ok(const char *arg, uint64_t want)
{
	struct opts o;

	parse_ok(ARGV("-p", "1", "-u", "f", "--ringbuf-size", (char *)arg), &o);
	assert_int_equal(o.ringbuf_size, want);
	opts__free(&o);
}

static void ringbuf_bad(const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg),
		 "--ringbuf-size needs a power of two between 4096 and 1G, got '%s'", arg);
	parse_err(ARGV("-p", "1", "-u", "f", "--ringbuf-size", (char *)arg), msg);
}

static void max_size_ok(const char *arg, uint64_t want)
{
	struct opts o;

	parse_ok(ARGV("-p", "1", "-u", "f", "--max-size", (char *)arg), &o);
	assert_int_equal(o.max_size, want);
	opts__free(&o);
}

static void max_size_bad(const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "--max-size needs a number of bytes of at least 4096 "
		 "(suffixes k, m, g), got '%s'", arg);
	parse_err(ARGV("-p", "1", "-u", "f", "--max-size", (char *)arg), msg);
}

static void test_max_size(void **state)
{
	struct opts o;

	parse_ok(ARGV("-p", "1"), &o);
	assert_int_equal(o.max_size, 0); /* no limit */
	assert_false(o.count);
	assert_false(o.quiet);
	opts__free(&o);
	max_size_ok("4096", 4096);
	max_size_ok("100k", 100 << 10);
	max_size_ok("3m", 3 << 20);
	max_size_ok("2G", 2ull << 30);
	max_size_ok("1000000", 1000000);
	max_size_bad("4095");
	max_size_bad("0");
	max_size_bad("1t");
	max_size_bad("-1m");
	max_size_bad("");
	parse_err(ARGV("--list", "f", "--max-size", "1m", "/bin/true"),
		  "--max-size has no use with --list, which attaches nothing and writes no trace; "
		  "drop it");
}

/* -c writes no trace: -o or --max-size with it are refused, -q is taken */
static void test_count_and_quiet(void **state)
{
	struct opts o;

	parse_ok(ARGV("-c", "-q", "-u", "f", "--", "/bin/true"), &o);
	assert_true(o.count);
	assert_true(o.quiet);
	opts__free(&o);
	parse_ok(ARGV("--count", "--quiet", "-p", "1"), &o);
	assert_true(o.count);
	assert_true(o.quiet);
	opts__free(&o);
	parse_err(ARGV("-c", "-o", "t.json", "-p", "1"),
		  "-c (--count) writes no trace, only the summary; drop -c to write one, or drop "
		  "--output");
	parse_err(ARGV("-p", "1", "--max-size", "1m", "-c"),
		  "-c (--count) writes no trace, only the summary; drop -c to write one, or drop "
		  "--max-size");
	parse_err(ARGV("--list", "f", "-c", "/bin/true"),
		  "-c (--count) has no use with --list, which attaches nothing and writes no "
		  "trace; drop it");
}

static void test_ringbuf_size(void **state)
{
	ringbuf_ok("64k", 64 << 10);
	ringbuf_ok("64K", 64 << 10);
	ringbuf_ok("1m", 1 << 20);
	ringbuf_ok("1M", 1 << 20);
	ringbuf_ok("4096", 4096);
	ringbuf_ok("4k", 4096);
	ringbuf_ok("1024m", 1 << 30);
	ringbuf_ok("1073741824", 1 << 30);

	ringbuf_bad("1000");
	ringbuf_bad("3m");
	ringbuf_bad("2g");
	ringbuf_ok("1g", 1 << 30);
	ringbuf_bad("2048");
	ringbuf_bad("2048m");
	ringbuf_bad("0");
	ringbuf_bad("");
	ringbuf_bad("k");
	ringbuf_bad("64kb");
	ringbuf_bad("4096 ");
	ringbuf_bad("18446744073709551616");
	/* strtoull negates "-N": 2^64 - 4096 would wrap to 4096. */
	ringbuf_bad("-18446744073709547520");
	ringbuf_bad("-4096");
	ringbuf_bad(" 4096");
	/* (2^44 + 1) << 20 wraps to 2^20 in 64 bits. */
	ringbuf_bad("17592186044417m");
	/* (2^54 + 4) << 10 wraps to 4096. */
	ringbuf_bad("18014398509481988k");
}

static void test_save_records(void **state)
{
	struct opts o;

	parse_ok(ARGV("-p", "1"), &o);
	assert_null(o.save_records);
	opts__free(&o);
	parse_ok(ARGV("--save-records", "/tmp/rec.bin", "-u", "f", "--", "./prog", "--save-records",
		      "x"),
		 &o);
	assert_string_equal(o.save_records, "/tmp/rec.bin");
	/* the command's own arguments stay its own */
	assert_string_equal(o.cmd[0], "./prog");
	assert_string_equal(o.cmd[1], "--save-records");
	opts__free(&o);
	parse_ok(ARGV("-p", "1", "--save-records=a", "--save-records=b"), &o);
	assert_string_equal(o.save_records, "b");
	opts__free(&o);
	parse_err(ARGV("-p", "1", "--save-records", ""), "--save-records needs a file name");
	parse_err(ARGV("-p", "1", "--save-records"),
		  "option '--save-records' needs an argument; see --help");
}

static void test_verbose_help(void **state)
{
	struct opts o;

	parse_ok(ARGV("-p", "1", "-u", "f", "-v"), &o);
	assert_true(o.verbose);
	assert_false(o.help);
	opts__free(&o);

	parse_ok(ARGV("--verbose", "-p", "1", "-u", "f"), &o);
	assert_true(o.verbose);
	opts__free(&o);

	/* Clustered short options. */
	parse_ok(ARGV("-vp", "3", "-u", "f"), &o);
	assert_true(o.verbose);
	assert_int_equal(o.pid, 3);
	opts__free(&o);

	/* -h needs nothing else and skips the other checks. */
	parse_ok(ARGV("-h"), &o);
	assert_true(o.help);
	assert_int_equal(o.nspecs, 0);
	opts__free(&o);

	parse_ok(ARGV("--help"), &o);
	assert_true(o.help);
	opts__free(&o);

	parse_ok(ARGV("-u", "f", "-h", "stray"), &o);
	assert_true(o.help);
	assert_int_equal(o.nspecs, 1);
	opts__free(&o);
}

static void test_command(void **state)
{
	char **argv = ARGV("-u", "f", "-o", "t.json", "--", "cmd", "-x", "arg");
	struct opts o;

	parse_ok(argv, &o);
	assert_int_equal(o.pid, 0);
	assert_non_null(o.cmd);
	/* cmd points into argv, right after "--". */
	assert_ptr_equal(o.cmd, &argv[6]);
	assert_string_equal(o.cmd[0], "cmd");
	assert_string_equal(o.cmd[1], "-x");
	assert_string_equal(o.cmd[2], "arg");
	assert_null(o.cmd[3]);
	assert_string_equal(o.output, "t.json");
	assert_int_equal(o.nspecs, 1);
	opts__free(&o);

	/* The command's own -p, -u and "--" are not ours. */
	parse_ok(ARGV("-u", "f", "--", "./demo", "-p", "5", "-u", "g", "--", "-v"), &o);
	assert_int_equal(o.pid, 0);
	assert_false(o.verbose);
	assert_int_equal(o.nspecs, 1);
	assert_string_equal(o.cmd[0], "./demo");
	assert_string_equal(o.cmd[1], "-p");
	assert_string_equal(o.cmd[2], "5");
	assert_string_equal(o.cmd[3], "-u");
	assert_string_equal(o.cmd[4], "g");
	assert_string_equal(o.cmd[5], "--");
	assert_string_equal(o.cmd[6], "-v");
	assert_null(o.cmd[7]);
	opts__free(&o);

	/* A command may itself be named "--". */
	parse_ok(ARGV("-u", "f", "--", "--"), &o);
	assert_string_equal(o.cmd[0], "--");
	assert_null(o.cmd[1]);
	opts__free(&o);

	/* Long options, then the command. */
	parse_ok(ARGV("--uprobe=f", "--verbose", "--", "ls"), &o);
	assert_true(o.verbose);
	assert_string_equal(o.cmd[0], "ls");
	assert_null(o.cmd[1]);
	opts__free(&o);
}

static void test_target_errors(void **state)
{
	parse_err(ARGV("-p", "1", "-u", "f", "--", "cmd"),
		  "give either -p PID or -- COMMAND, not both");
	parse_err(ARGV("-u", "f", "-p", "1", "--", "cmd", "-x"),
		  "give either -p PID or -- COMMAND, not both");
	parse_err(ARGV("-u", "f"), "nothing to trace: give -p PID or -- COMMAND; see --help");
	/* "--" with nothing after it is no command. */
	parse_err(ARGV("-u", "f", "--"),
		  "nothing to trace: give -p PID or -- COMMAND; see --help");
}

/* Without -u only kernel events are traced: that is a complete command line. */
static void test_kernel_only(void **state)
{
	struct opts o;

	(void)state;
	parse_ok(ARGV("-p", "1"), &o);
	assert_int_equal(o.nspecs, 0);
	assert_int_equal(o.min_wait_ns, 10000000);
	assert_int_equal(o.stall_ns, 1000000000);
	opts__free(&o);
	parse_ok(ARGV("-v", "--", "cmd"), &o);
	assert_int_equal(o.nspecs, 0);
	assert_string_equal(o.cmd[0], "cmd");
	opts__free(&o);
}

static void test_min_wait_stall(void **state)
{
	struct opts o;

	(void)state;
	parse_ok(ARGV("-p", "1", "--min-wait", "0", "--stall", "0.5"), &o);
	assert_int_equal(o.min_wait_ns, 0);
	assert_int_equal(o.stall_ns, 500000000);
	opts__free(&o);
	parse_ok(ARGV("-p", "1", "--min-wait=2.5", "--stall=30"), &o);
	assert_int_equal(o.min_wait_ns, 2500000);
	assert_int_equal(o.stall_ns, 30000000000ull);
	opts__free(&o);
	parse_err(ARGV("-p", "1", "--min-wait", "-1"),
		  "--min-wait needs a number of milliseconds >= 0, got '-1'");
	parse_err(ARGV("-p", "1", "--min-wait", "ms"),
		  "--min-wait needs a number of milliseconds >= 0, got 'ms'");
	parse_err(ARGV("-p", "1", "--stall", "0"),
		  "--stall needs a positive number of seconds, got '0'");
	parse_err(ARGV("-p", "1", "--stall", "1s"),
		  "--stall needs a positive number of seconds, got '1s'");
	parse_err(ARGV("-p", "1", "--stall", "1e99"),
		  "--stall needs a positive number of seconds, got '1e99'");
}

static void test_stray_argument(void **state)
{
	parse_err(ARGV("-p", "1", "-u", "f", "cmd"),
		  "unexpected argument 'cmd'; put the command to run after '--'");
	parse_err(ARGV("cmd"), "unexpected argument 'cmd'; put the command to run after '--'");
	parse_err(ARGV("-u", "f", "./demo", "-x"),
		  "unexpected argument './demo'; put the command to run after '--'");
	parse_err(ARGV("-u", "f", "cmd", "--", "x"),
		  "unexpected argument 'cmd'; put the command to run after '--'");
	/* A "--" taken as an option's argument does not start the command. */
	parse_err(ARGV("-u", "f", "-o", "--", "cmd"),
		  "unexpected argument 'cmd'; put the command to run after '--'");
	parse_err(ARGV("-u", "f", "-o--", "cmd"),
		  "unexpected argument 'cmd'; put the command to run after '--'");
	/* A lone "-" is an argument, not an option. */
	parse_err(ARGV("-u", "f", "-"),
		  "unexpected argument '-'; put the command to run after '--'");
}

static void test_unknown_option(void **state)
{
	parse_err(ARGV("-Z"), "unknown option '-Z'; see --help");
	parse_err(ARGV("-p", "1", "-u", "f", "-Z"), "unknown option '-Z'; see --help");
	parse_err(ARGV("-p", "1", "--bogus"), "unknown option '--bogus'; see --help");
	parse_err(ARGV("-p", "1", "--bogus=3"), "unknown option '--bogus'; see --help");
	/* Inside a cluster: the unknown letter, not some other argv element. */
	parse_err(ARGV("-vZ"), "unknown option '-Z'; see --help");
	parse_err(ARGV("-p", "1", "-Zv"), "unknown option '-Z'; see --help");
	parse_err(ARGV("-Zv"), "unknown option '-Z'; see --help");
	parse_err(ARGV("-u", "f", "--verbose=1"),
		  "option '--verbose' takes no argument; see --help");
	/* After "--" nothing is an option of ours. */
	parse_err(ARGV("-Z", "--", "cmd"), "unknown option '-Z'; see --help");
}

static void test_missing_argument(void **state)
{
	parse_err(ARGV("-u", "f", "-p"), "option '-p' needs an argument; see --help");
	parse_err(ARGV("-p", "1", "-u"), "option '-u' needs an argument; see --help");
	parse_err(ARGV("-p", "1", "-u", "f", "-o"), "option '-o' needs an argument; see --help");
	parse_err(ARGV("-p", "1", "-u", "f", "-d"), "option '-d' needs an argument; see --help");
	parse_err(ARGV("-u", "f", "--pid"), "option '--pid' needs an argument; see --help");
	parse_err(ARGV("-p", "1", "-u", "f", "--ringbuf-size"),
		  "option '--ringbuf-size' needs an argument; see --help");
	parse_err(ARGV("-u", "f", "-vp"), "option '-p' needs an argument; see --help");
}

static void test_repeated_parsing(void **state)
{
	struct opts o;
	int i;

	for (i = 0; i < 3; i++) {
		parse_ok(ARGV("-p", "11", "-u", "a", "-v"), &o);
		assert_int_equal(o.pid, 11);
		assert_true(o.verbose);
		opts__free(&o);

		/* Fails in the middle of a cluster: getopt's state must not leak on. */
		parse_err(ARGV("-p", "1", "-Zv"), "unknown option '-Z'; see --help");

		parse_ok(ARGV("-u", "b", "-u", "c", "--", "run", "-p", "9"), &o);
		assert_int_equal(o.pid, 0);
		assert_false(o.verbose);
		assert_int_equal(o.nspecs, 2);
		assert_string_equal(o.cmd[0], "run");
		opts__free(&o);

		parse_err(ARGV("-u", "f", "-p"), "option '-p' needs an argument; see --help");
	}
}

static void test_everything(void **state)
{
	struct opts o;

	parse_ok(ARGV("-p", "99", "-u", "ht_*", "-u", "libsqlite3:sqlite3_step", "-o",
		      "trace.json", "-d", "2.5", "--ringbuf-size", "64k", "-v"),
		 &o);
	assert_int_equal(o.pid, 99);
	assert_null(o.cmd);
	assert_int_equal(o.nspecs, 2);
	assert_spec(&o.specs[0], "ht_*", NULL, "ht_*");
	assert_spec(&o.specs[1], "libsqlite3:sqlite3_step", "libsqlite3", "sqlite3_step");
	assert_string_equal(o.output, "trace.json");
	assert_int_equal(o.duration_ns, 2500000000ull);
	assert_int_equal(o.ringbuf_size, 65536);
	assert_true(o.verbose);
	assert_false(o.help);
	opts__free(&o);
}

static void test_span_pairs(void **state)
{
	struct opts o;

	parse_ok(ARGV("-u", "f", "--span", "b:name=arg0=e", "--span", "lib:x=y", "-p", "1"), &o);
	assert_int_equal(o.nspecs, 5);
	assert_int_equal(o.npairs, 2);
	assert_int_equal(o.specs[0].role, SPEC_FUNC);
	assert_int_equal(o.specs[1].role, SPEC_BEGIN);
	assert_int_equal(o.specs[1].name_arg, 0);
	assert_int_equal(o.specs[2].role, SPEC_END);
	assert_int_equal(o.specs[2].pair, 0);
	assert_int_equal(o.specs[3].pair, 1);
	assert_string_equal(o.specs[4].object, "lib");
	assert_string_equal(o.specs[4].pattern, "y");
	opts__free(&o);
	assert_int_equal(o.nspecs, 0);

	parse_err(ARGV("-p", "1", "--span", "begin_only"),
		  "bad --span 'begin_only' is not BEGIN=END: write e.g. --span "
		  "'span_begin=span_end', or --span 'span_begin:name=arg0=span_end' to name spans "
		  "from an argument");
	parse_err(ARGV("-p", "1", "--span"), "option '--span' needs an argument; see --help");
	parse_err(ARGV("-p", "1", "-u", "f:name=arg10"),
		  "bad -u 'f:name=arg10': name=arg10 in 'f:name=arg10' is out of range: arguments "
		  "are read from registers, arg0 to arg8 (arg0-arg5 for C functions)");
}

static void test_probe_at(void **state)
{
	struct opts o;

	parse_ok(ARGV("-p", "1"), &o);
	assert_false(o.probe_at_entry);
	opts__free(&o);
	parse_ok(ARGV("--probe-at", "entry", "-p", "1"), &o);
	assert_true(o.probe_at_entry);
	opts__free(&o);
	parse_ok(ARGV("--probe-at=entry", "--probe-at=auto", "-p", "1"), &o);
	assert_false(o.probe_at_entry);
	opts__free(&o);
	parse_err(ARGV("-p", "1", "--probe-at", "first"),
		  "--probe-at takes 'auto' (the cheapest safe instruction, the default) or 'entry' "
		  "(the first byte), got 'first'");
}

/* --max-overhead: a percentage in (0, 100], or off; 5 by default. */
static void test_max_overhead(void **state)
{
	static const char *const bad[] = { "0", "-1", "101", "100.5", "abc", "5%", "", " 5",
					   "nan", "inf", "0x5", "1e9", "OFF" };
	struct opts o;

	parse_ok(ARGV("-p", "1"), &o);
	assert_true(o.max_overhead == 5.0);
	opts__free(&o);
	parse_ok(ARGV("-p", "1", "--max-overhead", "0.5"), &o);
	assert_true(o.max_overhead == 0.5);
	opts__free(&o);
	parse_ok(ARGV("-p", "1", "--max-overhead=100"), &o);
	assert_true(o.max_overhead == 100.0);
	opts__free(&o);
	parse_ok(ARGV("-p", "1", "--max-overhead", ".5", "--max-overhead", "off"), &o);
	assert_true(o.max_overhead == 0);
	opts__free(&o);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "--max-overhead takes a percentage above 0 and at most 100 (e.g. 5 or 0.5), "
			 "or 'off', got '%s'", bad[i]);
		parse_err(ARGV("-p", "1", "--max-overhead", (char *)bad[i]), msg);
	}
}

/* getopt_long's own rules, kept: unique prefixes of long names, "=value" on a flag. */
static void test_long_option_prefixes(void **state)
{
	struct opts o;

	parse_ok(ARGV("-p", "1", "--dur", "5", "--pr=entry", "--verb"), &o);
	assert_int_equal(o.duration_ns, 5000000000ull);
	assert_true(o.probe_at_entry);
	assert_true(o.verbose);
	opts__free(&o);
	/* --span, --stall and --save-records all start with "--s" */
	parse_err(ARGV("-p", "1", "--s", "5"), "unknown option '--s'; see --help");
	parse_err(ARGV("-p", "1", "--help=x"), "option '--help' takes no argument; see --help");
	parse_err(ARGV("-p", "1", "--verb=x"), "option '--verb' takes no argument; see --help");
}

/* -h ends parsing where it stands: what follows it, even in its cluster, is not read. */
static void test_help_stops(void **state)
{
	struct opts o;

	parse_ok(ARGV("-hv"), &o);
	assert_true(o.help);
	assert_false(o.verbose);
	opts__free(&o);
	parse_ok(ARGV("-vh", "-Z", "-p"), &o);
	assert_true(o.help);
	assert_true(o.verbose);
	opts__free(&o);
	parse_err(ARGV("-Z", "-h"), "unknown option '-Z'; see --help");
}

/* Every option has its line in the help (short and long form, argument), and parses. */
/* -x: a SPEC of its own role, after those given before it; never named. */
static void test_exclude(void **state)
{
	struct opts o;

	parse_ok(ARGV("-u", "*", "-x", "runtime.*", "--exclude", "libc:str*", "-p", "1"), &o);
	assert_int_equal(o.nspecs, 3);
	assert_int_equal(o.specs[0].role, SPEC_FUNC);
	assert_spec(&o.specs[1], "runtime.*", NULL, "runtime.*");
	assert_int_equal(o.specs[1].role, SPEC_EXCLUDE);
	assert_spec(&o.specs[2], "libc:str*", "libc", "str*");
	assert_int_equal(o.specs[2].role, SPEC_EXCLUDE);
	opts__free(&o);
	parse_err(ARGV("-p", "1", "-u", "f", "-x", "g:name=arg0"),
		  "bad -x 'g:name=arg0': an exclusion names no span: drop ':name=argN'");
	parse_err(ARGV("-p", "1", "-x", "lib:"),
		  "bad -x 'lib:': empty PATTERN in 'lib:': add a function glob after ':', "
		  "e.g. 'lib:*'");
}

/* --list: its SPECs, where it looks (one of -p, -- COMMAND, FILE), its format. */
static void test_list(void **state)
{
	struct opts o;

	parse_ok(ARGV("--list", "main.*", "prog"), &o);
	assert_true(o.list);
	assert_false(o.list_json);
	assert_string_equal(o.file, "prog");
	assert_int_equal(o.pid, 0);
	assert_null(o.cmd);
	assert_int_equal(o.nspecs, 1);
	assert_spec(&o.specs[0], "main.*", NULL, "main.*");
	assert_int_equal(o.specs[0].role, SPEC_FUNC);
	opts__free(&o);

	/* with -u, --span and -x, every SPEC in order; -v and --probe-at apply too */
	parse_ok(ARGV("-u", "a", "-l", "libc:m*", "--span", "b=e", "-x", "mx", "--format", "json",
		      "-v", "--probe-at", "entry", "-p", "7"), &o);
	assert_true(o.list && o.list_json && o.verbose && o.probe_at_entry);
	assert_int_equal(o.pid, 7);
	assert_null(o.file);
	assert_int_equal(o.nspecs, 5);
	assert_spec(&o.specs[1], "libc:m*", "libc", "m*");
	assert_int_equal(o.specs[2].role, SPEC_BEGIN);
	assert_int_equal(o.specs[4].role, SPEC_EXCLUDE);
	opts__free(&o);

	parse_ok(ARGV("--list=f", "--format=text", "--", "./cmd", "arg"), &o);
	assert_true(o.list);
	assert_false(o.list_json);
	assert_string_equal(o.cmd[0], "./cmd");
	assert_string_equal(o.cmd[1], "arg");
	assert_null(o.file);
	opts__free(&o);
}

static void test_list_errors(void **state)
{
	parse_err(ARGV("--list", "f"),
		  "--list needs where to look: -p PID, -- COMMAND or FILE; see --help");
	parse_err(ARGV("--list", "f", "-p", "1", "prog"),
		  "give --list one of -p PID, -- COMMAND or FILE, not several");
	parse_err(ARGV("--list", "f", "-p", "1", "--", "cmd"),
		  "give --list one of -p PID, -- COMMAND or FILE, not several");
	parse_err(ARGV("--list", "f", "a", "b"),
		  "unexpected argument 'b'; --list looks into one FILE, or a command given after "
		  "'--'");
	parse_err(ARGV("--list", "f", "prog", "--", "cmd"),
		  "unexpected argument '--'; --list looks into one FILE, or a command given after "
		  "'--'");
	parse_err(ARGV("--list", "lib:", "prog"),
		  "bad --list 'lib:': empty PATTERN in 'lib:': add a function glob after ':', "
		  "e.g. 'lib:*'");
	/* what only tracing uses, whatever the order */
	parse_err(ARGV("-o", "t.json", "--list", "f", "prog"),
		  "-o (--output) has no use with --list, which attaches nothing and writes no "
		  "trace; drop it");
	parse_err(ARGV("--list", "f", "-d", "1", "prog"),
		  "-d (--duration) has no use with --list, which attaches nothing and writes no "
		  "trace; drop it");
	parse_err(ARGV("--list", "f", "--ringbuf-size", "4k", "prog"),
		  "--ringbuf-size has no use with --list, which attaches nothing and writes no "
		  "trace; drop it");
	parse_err(ARGV("--list", "f", "--save-records", "r", "--stall", "1", "prog"),
		  "--stall has no use with --list, which attaches nothing and writes no trace; "
		  "drop it");
	parse_err(ARGV("--list", "f", "--min-wait", "1", "prog"),
		  "--min-wait has no use with --list, which attaches nothing and writes no trace; "
		  "drop it");
	/* and what only --list uses */
	parse_err(ARGV("-p", "1", "--format", "json"),
		  "--format is for --list's output (a trace's format follows -o's file name); add "
		  "--list SPEC or drop it");
	parse_err(ARGV("--list", "f", "--format", "yaml", "prog"),
		  "--format takes 'text' (tab-separated columns, the default) or 'json' (one JSON "
		  "object a line), got 'yaml'");
	/* without --list, a FILE is still a command missing its '--' */
	parse_err(ARGV("-u", "f", "prog"),
		  "unexpected argument 'prog'; put the command to run after '--'");
}

static void test_usage(void **state)
{
	static const struct {
		const char *line, *args[3];
	} options[] = {
		{ "  -p, --pid PID ", { "--pid", "1" } },
		{ "  -u, --uprobe SPEC ", { "-p1", "-u", "f" } },
		{ "      --span BEGIN=END ", { "-p1", "--span", "b=e" } },
		{ "  -x, --exclude SPEC ", { "-p1", "-x", "f" } },
		{ "  -l, --list SPEC ", { "-lf", "prog" } },
		{ "      --format FORMAT ", { "-lf", "--format=json", "prog" } },
		{ "  -o, --output FILE ", { "-p1", "-o", "f" } },
		{ "  -d, --duration SECONDS ", { "-p1", "-d", "1" } },
		{ "      --min-wait MS ", { "-p1", "--min-wait", "1" } },
		{ "      --stall SECONDS ", { "-p1", "--stall", "1" } },
		{ "      --probe-at WHERE ", { "-p1", "--probe-at", "auto" } },
		{ "      --max-overhead PERCENT ", { "-p1", "--max-overhead", "off" } },
		{ "      --ringbuf-size BYTES ", { "-p1", "--ringbuf-size", "4k" } },
		{ "      --save-records FILE ", { "-p1", "--save-records", "f" } },
		{ "  -v, --verbose ", { "-p1", "-v" } },
		{ "  -h, --help ", { "-h" } },
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct opts o;

	assert_non_null(f);
	opts__usage(f);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_non_null(strstr(text, "usage: spantrace -p PID "));
	assert_non_null(strstr(text, "\n       spantrace --list SPEC... "));
	assert_non_null(strstr(text, "\nExamples:\n  spantrace -p 1234\n"));
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		char *argv[5] = { "spantrace" };
		int argc = 1;

		if (!strstr(text, options[i].line))
			fail_msg("no line '%s' in the help", options[i].line);
		while (argc < 4 && options[i].args[argc - 1])
			argv[argc] = (char *)options[i].args[argc - 1], argc++;
		parse_ok(argv, &o);
		opts__free(&o);
	}
	/* no line of the help is wider than a terminal */
	for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		if (nl - line > 100)
			fail_msg("help line wider than 100 columns: %.*s", (int)(nl - line), line);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_pid_errors),
		cmocka_unit_test(test_uprobe_repeated),
		cmocka_unit_test(test_uprobe_errors),
		cmocka_unit_test(test_exclude),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_errors),
		cmocka_unit_test(test_max_overhead),
		cmocka_unit_test(test_span_pairs),
		cmocka_unit_test(test_probe_at),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_ringbuf_size),
		cmocka_unit_test(test_save_records),
		cmocka_unit_test(test_verbose_help),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_target_errors),
		cmocka_unit_test(test_kernel_only),
		cmocka_unit_test(test_min_wait_stall),
		cmocka_unit_test(test_stray_argument),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_missing_argument),
		cmocka_unit_test(test_repeated_parsing),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_long_option_prefixes),
		cmocka_unit_test(test_help_stops),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_count_and_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
