// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the Chrome Trace Event writer (user/core/chrome.c): whole
 * documents compared byte for byte, escaping of names, I/O errors, and one
 * document parsed by Python's json module as an independent check. Spans and
 * the kernel events (waits, pipe writes, instants, flow arrows) each appear
 * once with every optional field set and once with none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats.h"
#include "trace.h"

/* a span name longer than the JSON writer's buffer (json.h) near the limit */
#define JW_LONG_NAME 6000

#define HEAD "{\"traceEvents\":["
#define TAIL "],\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"spantrace\"}}\n"

/* The writer under test, as the table of formats has it (set in main). */
static const struct trace_ops *ops;

/* Writes what the tests below trace, shared so the Python check sees the same document. */
static void trace__sample(struct trace_writer *w)
{
	/* span ids are for formats that link spans to their parents: Chrome nests by time */
	const struct trace_span normal = {
		.pid = 100,
		.tid = 101,
		.start_ns = 1234567,
		.dur_ns = 250,
		.id = 7,
		.parent_id = 3,
		.depth = 2,
		.name = "demo_work",
		.func = "demo_work",
		.object = "/usr/bin/demo",
	};
	const struct trace_span unfinished = {
		.pid = 100,
		.tid = 100,
		.start_ns = 2000000000,
		.dur_ns = 5,
		.name = "ns::f()",
		.func = "_ZN2ns1fEv",
		.unfinished = true,
	};

	static const char *const kstack[] = { "__mutex_lock+0x1a", "anon_pipe_write+0x4c" };
	const struct trace_wait wait = {
		.pid = 100,
		.tid = 101,
		.start_ns = 3000000,
		.dur_ns = 1500,
		.state = "D",
		.killable = true,
		.func = "__mutex_lock",
		.kstack = kstack,
		.nkstack = 2,
		.fatal_signal = "SIGKILL",
		.blocked_by = 102,
		.blocked_reason = "holds the pipe lock",
		.pipe_ino = 4242,
		.start_estimated = true,
		.unfinished = true,
	};
	const struct trace_pipe_write pw = {
		.pid = 100,
		.tid = 102,
		.start_ns = 3000100,
		.dur_ns = 2000,
		.pipe_ino = 4242,
		.result = -32,
		.requested = 65536,
		.blocked_ns = 1200,
		.blocked_by = 101,
		.blocked_reason = "reads nothing",
		.unfinished = true,
	};
	const struct trace_arg exit_args[] = {
		{ .key = "code", .type = TA_INT, .i = -1 },
		{ .key = "signal", .type = TA_STR, .s = "SIGSEGV" },
		{ .key = "core", .type = TA_BOOL, .i = 1 },
		{ .key = "comm", .type = TA_STR, .s = NULL },
	};
	const struct trace_instant exit_ev = {
		.pid = 100,
		.tid = 102,
		.ts_ns = 5000000,
		.kind = TRACE_EXIT,
		.args = exit_args,
		.nargs = 4,
	};
	const struct trace_flow fork_ev = {
		.from_pid = 100,
		.from_tid = 101,
		.to_pid = 200,
		.to_tid = 200,
		.ts_ns = 4000001,
		.kind = TRACE_FORK,
	};

	ops->process_name(w, 100, "demo");
	ops->thread_name(w, 100, 101, "worker");
	ops->span(w, &normal);
	ops->span(w, &unfinished);
	ops->wait(w, &wait);
	ops->pipe_write(w, &pw);
	ops->flow(w, &fork_ev);
	ops->instant(w, &exit_ev);
}

static const char sample_doc[] =
	HEAD "\n"
	"{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":100,\"tid\":100,"
	"\"args\":{\"name\":\"demo\"}},\n"
	"{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":100,\"tid\":101,"
	"\"args\":{\"name\":\"worker\"}},\n"
	"{\"name\":\"demo_work\",\"cat\":\"span\",\"ph\":\"X\",\"ts\":1234.567,\"dur\":0.250,"
	"\"pid\":100,\"tid\":101,\"args\":{\"func\":\"demo_work\",\"object\":\"/usr/bin/demo\"}},\n"
	"{\"name\":\"ns::f()\",\"cat\":\"span\",\"ph\":\"X\",\"ts\":2000000.000,\"dur\":0.005,"
	"\"pid\":100,\"tid\":100,\"args\":{\"func\":\"_ZN2ns1fEv\",\"unfinished\":true}},\n"
	"{\"name\":\"uninterruptible: __mutex_lock\",\"cat\":\"wait\",\"ph\":\"X\",\"ts\":3000.000,"
	"\"dur\":1.500,\"pid\":100,\"tid\":101,\"args\":{\"state\":\"D\",\"killable\":true,"
	"\"kstack\":[\"__mutex_lock+0x1a\",\"anon_pipe_write+0x4c\"],\"fatal_signal\":\"SIGKILL\","
	"\"blocked_by\":102,\"blocked_reason\":\"holds the pipe lock\",\"pipe\":4242,"
	"\"start_estimated\":true,\"unfinished\":true}},\n"
	"{\"name\":\"pipe write\",\"cat\":\"pipe\",\"ph\":\"X\",\"ts\":3000.100,\"dur\":2.000,"
	"\"pid\":100,\"tid\":102,\"args\":{\"pipe\":4242,\"result\":-32,\"requested\":65536,"
	"\"blocked_ns\":1200,\"blocked_by\":101,\"blocked_reason\":\"reads nothing\","
	"\"unfinished\":true}},\n"
	"{\"name\":\"fork\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":4000.001,\"dur\":0.000,"
	"\"pid\":100,\"tid\":101,\"args\":{\"child\":200}},\n"
	"{\"name\":\"fork\",\"cat\":\"task\",\"ph\":\"s\",\"id\":200,\"ts\":4000.001,"
	"\"pid\":100,\"tid\":101},\n"
	"{\"name\":\"start\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":4000.001,\"dur\":0.000,"
	"\"pid\":200,\"tid\":200,\"args\":{\"parent\":101}},\n"
	"{\"name\":\"fork\",\"cat\":\"task\",\"ph\":\"f\",\"bp\":\"e\",\"id\":200,"
	"\"ts\":4000.001,\"pid\":200,\"tid\":200},\n"
	"{\"name\":\"exit\",\"cat\":\"exit\",\"ph\":\"i\",\"s\":\"t\",\"ts\":5000.000,"
	"\"pid\":100,\"tid\":102,\"args\":{\"code\":-1,\"signal\":\"SIGSEGV\",\"core\":true,"
	"\"comm\":null}}\n"
	TAIL;

/* Names a tracer really meets: C++ templates, paths, and bytes from a corrupt ELF. */
static void trace__nasty(struct trace_writer *w)
{
	const struct trace_span s = {
		.pid = 7,
		.tid = 8,
		.start_ns = UINT64_MAX,
		.dur_ns = 0,
		.name = "std::map<\"k\", v>::at\\\t\x01",
		.func = "bad\xff\xc0\x80utf8\xed\xa0\x80",
		.object = "/tmp/new\nline/lib\xc3\xa9.so",
		.unfinished = false,
	};

	/* kernel-side strings take the same escaper: quotes, backslashes, tabs, stray bytes */
	static const char *const kstack[] = { "f\"q\\", "m\tmod\xff", "" };
	const struct trace_wait wt = {
		.pid = 7,
		.tid = 8,
		.start_ns = 1,
		.dur_ns = 2,
		.state = "S\\",
		.func = "\"x\"\n",
		.kstack = kstack,
		.nkstack = 3,
		.blocked_reason = "lock \x01",
	};
	const struct trace_arg args[] = {
		{ .key = "k\"ey", .type = TA_STR, .s = "v\\al\r\xc3" },
	};
	const struct trace_instant in = {
		.pid = 7,
		.tid = 8,
		.ts_ns = 3,
		.kind = TRACE_FATAL_SIGNAL,
		.args = args,
		.nargs = 1,
	};

	ops->process_name(w, 7, "a\"b\\c");
	ops->thread_name(w, 7, 8, "\x1f\x7f\xe2\x82\xac\xf0\x9f\x98\x80");
	ops->span(w, &s);
	ops->wait(w, &wt);
	ops->instant(w, &in);
}

static const char nasty_doc[] =
	HEAD "\n"
	"{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":7,\"tid\":7,"
	"\"args\":{\"name\":\"a\\\"b\\\\c\"}},\n"
	"{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":7,\"tid\":8,"
	"\"args\":{\"name\":\"\\u001f\x7f\xe2\x82\xac\xf0\x9f\x98\x80\"}},\n"
	"{\"name\":\"std::map<\\\"k\\\", v>::at\\\\\\t\\u0001\",\"cat\":\"span\",\"ph\":\"X\","
	"\"ts\":18446744073709551.615,\"dur\":0.000,\"pid\":7,\"tid\":8,"
	"\"args\":{\"func\":\"bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdutf8"
	"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",\"object\":\"/tmp/new\\nline/lib\xc3\xa9.so\"}},\n"
	"{\"name\":\"sleep: \\\"x\\\"\\n\",\"cat\":\"wait\",\"ph\":\"X\",\"ts\":0.001,"
	"\"dur\":0.002,\"pid\":7,\"tid\":8,\"args\":{\"state\":\"S\\\\\",\"killable\":false,"
	"\"kstack\":[\"f\\\"q\\\\\",\"m\\tmod\xef\xbf\xbd\",\"\"],"
	"\"blocked_reason\":\"lock \\u0001\"}},\n"
	"{\"name\":\"fatal signal\",\"cat\":\"signal\",\"ph\":\"i\",\"s\":\"t\",\"ts\":0.003,"
	"\"pid\":7,\"tid\":8,\"args\":{\"k\\\"ey\":\"v\\\\al\\r\xef\xbf\xbd\"}}\n"
	TAIL;

/* Runs fn between open and close on a memory stream and compares the whole document. */
static void doc__expect(void (*fn)(struct trace_writer *w), const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct trace_writer *w;

	assert_non_null(f);
	w = ops->open(f);
	assert_non_null(w);
	if (fn)
		fn(w);
	assert_int_equal(ops->close(w), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
	free(buf);
}

/* The table of formats has Chrome under its name and extension, and first: the default. */
static void test_format_entry(void **state)
{
	const struct trace_format *f = trace_format__by_name("chrome");

	assert_non_null(f);
	assert_ptr_equal(f, &trace_formats[0]);
	assert_string_equal(f->ext, ".json");
	assert_ptr_equal(trace_format__for_path("trace.json"), f);
}

static void test_empty_document(void **state)
{
	doc__expect(NULL, HEAD "\n" TAIL);
}

static void test_full_document(void **state)
{
	doc__expect(trace__sample, sample_doc);
}

static void test_names_escaped(void **state)
{
	doc__expect(trace__nasty, nasty_doc);
}

static void one_span(struct trace_writer *w)
{
	/* both optional args absent: args holds func alone */
	const struct trace_span s = {
		.pid = 1, .tid = 2, .start_ns = 0, .dur_ns = 999, .name = "f", .func = "f",
	};

	ops->span(w, &s);
}

static void test_optional_args_omitted(void **state)
{
	doc__expect(one_span,
		    HEAD "\n"
		    "{\"name\":\"f\",\"cat\":\"span\",\"ph\":\"X\",\"ts\":0.000,\"dur\":0.999,"
		    "\"pid\":1,\"tid\":2,\"args\":{\"func\":\"f\"}}\n" TAIL);
}

/* A span lost events may have made wrong, and what the trace lost: told in otherData. */
static void lossy(struct trace_writer *w)
{
	const struct trace_span s = {
		.pid = 1, .tid = 2, .start_ns = 0, .dur_ns = 999, .name = "f", .func = "f",
		.unfinished = true, .after_loss = true,
	};
	const struct trace_loss l = { .events = 126362, .tasks = 2, .after_loss = 1 };

	ops->span(w, &s);
	ops->loss(w, &l);
}

static void test_loss_told(void **state)
{
	doc__expect(lossy,
		    HEAD "\n"
		    "{\"name\":\"f\",\"cat\":\"span\",\"ph\":\"X\",\"ts\":0.000,\"dur\":0.999,"
		    "\"pid\":1,\"tid\":2,\"args\":{\"func\":\"f\",\"unfinished\":true,"
		    "\"after_loss\":true}}\n"
		    "],\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"spantrace\","
		    "\"lost_events\":126362,\"lost_events_tasks\":2,\"after_loss_spans\":1}}\n");
}

static void one_wait(struct trace_writer *w)
{
	/* no stack, no optional arg: kstack stays, as an empty array */
	const struct trace_wait wt = {
		.pid = 1, .tid = 2, .start_ns = 10, .dur_ns = 20, .state = "S",
	};

	ops->wait(w, &wt);
}

static void test_wait_optional_args_omitted(void **state)
{
	doc__expect(one_wait,
		    HEAD "\n"
		    "{\"name\":\"sleep\",\"cat\":\"wait\",\"ph\":\"X\",\"ts\":0.010,"
		    "\"dur\":0.020,\"pid\":1,\"tid\":2,"
		    "\"args\":{\"state\":\"S\",\"killable\":false,\"kstack\":[]}}\n"
		    TAIL);
}

static void one_pipe_write(struct trace_writer *w)
{
	const struct trace_pipe_write pw = {
		.pid = 1, .tid = 2, .start_ns = 1000, .dur_ns = 1, .pipe_ino = 9, .result = 512,
	};

	ops->pipe_write(w, &pw);
}

static void test_pipe_write_optional_args_omitted(void **state)
{
	/* blocked_ns stays even when 0: "this write never waited" is an answer too */
	doc__expect(one_pipe_write,
		    HEAD "\n"
		    "{\"name\":\"pipe write\",\"cat\":\"pipe\",\"ph\":\"X\",\"ts\":1.000,"
		    "\"dur\":0.001,\"pid\":1,\"tid\":2,"
		    "\"args\":{\"pipe\":9,\"result\":512,\"blocked_ns\":0}}\n"
		    TAIL);
}

static void one_instant(struct trace_writer *w)
{
	const struct trace_instant in = {
		.pid = 3, .tid = 4, .ts_ns = 1, .kind = TRACE_EXEC,
	};

	ops->instant(w, &in);
}

static void test_instant_without_args(void **state)
{
	doc__expect(one_instant,
		    HEAD "\n"
		    "{\"name\":\"exec\",\"cat\":\"exec\",\"ph\":\"i\",\"s\":\"t\",\"ts\":0.001,"
		    "\"pid\":3,\"tid\":4,\"args\":{}}\n" TAIL);
}

static void instant_arg_types(struct trace_writer *w)
{
	const struct trace_arg args[] = {
		{ .key = "s", .type = TA_STR, .s = "text" },
		{ .key = "null", .type = TA_STR, .s = NULL },
		{ .key = "min", .type = TA_INT, .i = INT64_MIN },
		{ .key = "max", .type = TA_INT, .i = INT64_MAX },
		{ .key = "zero", .type = TA_INT, .i = 0 },
		{ .key = "no", .type = TA_BOOL, .i = 0 },
		/* any non-zero is true, as the header says 0/1 but a caller may pass a flag word */
		{ .key = "yes", .type = TA_BOOL, .i = 4 },
	};
	const struct trace_instant in = {
		.pid = 3,
		.tid = 4,
		.ts_ns = 1,
		.kind = TRACE_FATAL_SIGNAL,
		.args = args,
		.nargs = sizeof(args) / sizeof(args[0]),
	};

	ops->instant(w, &in);
}

static void test_instant_arg_types(void **state)
{
	doc__expect(instant_arg_types,
		    HEAD "\n"
		    "{\"name\":\"fatal signal\",\"cat\":\"signal\",\"ph\":\"i\",\"s\":\"t\","
		    "\"ts\":0.001,\"pid\":3,\"tid\":4,\"args\":{\"s\":\"text\",\"null\":null,"
		    "\"min\":-9223372036854775808,\"max\":9223372036854775807,\"zero\":0,"
		    "\"no\":false,\"yes\":true}}\n" TAIL);
}

static void one_thread_flow(struct trace_writer *w)
{
	/* a thread: same process, so only the tids tell the two ends apart */
	const struct trace_flow fl = {
		.from_pid = 5, .from_tid = 5, .to_pid = 5, .to_tid = 6, .ts_ns = 0,
		.kind = TRACE_THREAD,
	};

	ops->flow(w, &fl);
}

static void test_flow_binds_to_own_slices(void **state)
{
	/* each flow event follows a zero-length slice on its own track, same ts and cat */
	doc__expect(one_thread_flow,
		    HEAD "\n"
		    "{\"name\":\"thread\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":0.000,\"dur\":0.000,"
		    "\"pid\":5,\"tid\":5,\"args\":{\"child\":6}},\n"
		    "{\"name\":\"thread\",\"cat\":\"task\",\"ph\":\"s\",\"id\":6,\"ts\":0.000,"
		    "\"pid\":5,\"tid\":5},\n"
		    "{\"name\":\"start\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":0.000,\"dur\":0.000,"
		    "\"pid\":5,\"tid\":6,\"args\":{\"parent\":5}},\n"
		    "{\"name\":\"thread\",\"cat\":\"task\",\"ph\":\"f\",\"bp\":\"e\",\"id\":6,"
		    "\"ts\":0.000,\"pid\":5,\"tid\":6}\n" TAIL);
}

/* --- names, categories and arrow ids: the writer's, from the records' facts ---------- */

/* The document fn(w, arg) makes, from HEAD to TAIL; the caller frees it. */
static char *doc__of(void (*fn)(struct trace_writer *w, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct trace_writer *w;

	assert_non_null(f);
	w = ops->open(f);
	assert_non_null(w);
	fn(w, arg);
	assert_int_equal(ops->close(w), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The doc's one event line, without HEAD, TAIL and the line breaks; the caller frees it. */
static char *doc__event(void (*fn)(struct trace_writer *w, const void *arg), const void *arg)
{
	char *doc = doc__of(fn, arg);
	size_t n = strlen(doc);

	assert_true(n > strlen(HEAD "\n" TAIL));
	assert_memory_equal(doc, HEAD "\n", strlen(HEAD "\n"));
	assert_string_equal(doc + n - strlen("\n" TAIL), "\n" TAIL);
	doc[n - strlen("\n" TAIL)] = 0;
	memmove(doc, doc + strlen(HEAD "\n"), strlen(doc + strlen(HEAD "\n")) + 1);
	return doc;
}

static void write_wait(struct trace_writer *w, const void *arg)
{
	ops->wait(w, arg);
}

/* How the task sleeps, from its state letter, then where: the function it waits in. */
static void test_wait_names(void **state)
{
	static char long_func[301];
	const struct {
		const char *state, *func, *name;
	} cases[] = {
		{ "D", "__mutex_lock", "uninterruptible: __mutex_lock" },
		{ "D", NULL, "uninterruptible" },
		{ "S", "do_nanosleep", "sleep: do_nanosleep" },
		{ "S", NULL, "sleep" },
		{ "T", "do_signal_stop", "stopped: do_signal_stop" },
		{ "T", NULL, "stopped" },
	};
	char want[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct trace_wait wt = { .pid = 1, .tid = 2, .state = cases[i].state,
					       .func = cases[i].func };
		char *ev = doc__event(write_wait, &wt);

		snprintf(want, sizeof(want),
			 "{\"name\":\"%s\",\"cat\":\"wait\",\"ph\":\"X\",\"ts\":0.000,"
			 "\"dur\":0.000,\"pid\":1,\"tid\":2,\"args\":{\"state\":\"%s\","
			 "\"killable\":false,\"kstack\":[]}}",
			 cases[i].name, cases[i].state);
		assert_string_equal(ev, want);
		free(ev);
	}

	/* a name longer than the writer's buffer is written whole */
	memset(long_func, 'f', sizeof(long_func) - 1);
	{
		const struct trace_wait wt = { .state = "D", .func = long_func };
		char *ev = doc__event(write_wait, &wt);

		snprintf(want, sizeof(want), "{\"name\":\"uninterruptible: %s\",\"cat\":\"wait\"",
			 long_func);
		assert_memory_equal(ev, want, strlen(want));
		free(ev);
	}
}

/* The overhead guard's stop: a global instant with its figures; the calibration in otherData. */
static void guard_stop_and_costs(struct trace_writer *w)
{
	const struct trace_probe_cost costs[] = { { "emulated", 912 }, { "uretprobe", 350 } };
	const struct trace_guard_stop gs = {
		.pid = 7, .ts_ns = 2000, .func = "hot", .object = "/bin/x",
		.calls_per_s = 1900000, .cost_per_call_ns = 1262, .probe_ns_per_s = 2397800000,
		.cpu_ns_per_s = 1000000000, .max_percent = 5,
	};

	ops->guard_stop(w, &gs);
	ops->probe_costs(w, costs, 2);
}

static void test_guard_stop(void **state)
{
	doc__expect(guard_stop_and_costs,
		    HEAD "\n"
		    "{\"name\":\"stopped tracing hot\",\"cat\":\"overhead\",\"ph\":\"i\",\"s\":\"g\","
		    "\"ts\":2.000,\"pid\":7,\"tid\":7,\"args\":{\"func\":\"hot\",\"object\":\"/bin/x\","
		    "\"calls_per_s\":1900000,\"probe_cost_per_call_ns\":1262,"
		    "\"probe_ns_per_s\":2397800000,\"cpu_ns_per_s\":1000000000,"
		    "\"max_overhead_percent\":5.000}}\n"
		    "],\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"spantrace\","
		    "\"probe_cost_ns\":{\"emulated\":912,\"uretprobe\":350}}}\n");
}

/* A name longer than the writer's buffer, and no object: whole, and no "object" key. */
static void guard_stop_long_name(struct trace_writer *w, const void *arg)
{
	char name[301];
	struct trace_guard_stop gs = { .pid = 1, .ts_ns = 1, .func = name, .max_percent = 0.5 };

	memset(name, 'f', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	ops->guard_stop(w, &gs);
}

static void test_guard_stop_long_name(void **state)
{
	char *ev = doc__event(guard_stop_long_name, NULL);
	char want[1024], name[301];

	memset(name, 'f', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	snprintf(want, sizeof(want),
		 "{\"name\":\"stopped tracing %s\",\"cat\":\"overhead\",\"ph\":\"i\",\"s\":\"g\","
		 "\"ts\":0.001,\"pid\":1,\"tid\":1,\"args\":{\"func\":\"%s\",\"calls_per_s\":0,"
		 "\"probe_cost_per_call_ns\":0,\"probe_ns_per_s\":0,\"cpu_ns_per_s\":0,"
		 "\"max_overhead_percent\":0.500}}", name, name);
	assert_string_equal(ev, want);
	free(ev);
}

static void write_instant(struct trace_writer *w, const void *arg)
{
	ops->instant(w, arg);
}

/* Each kind of instant has its name and category; a kind the writer does not know, nothing. */
static void test_instant_kinds(void **state)
{
	static const struct {
		enum trace_instant_kind kind;
		const char *name, *cat;
	} cases[] = {
		{ TRACE_EXEC, "exec", "exec" },
		{ TRACE_EXIT, "exit", "exit" },
		{ TRACE_THREAD_EXIT, "thread exit", "exit" },
		{ TRACE_FATAL_SIGNAL, "fatal signal", "signal" },
	};
	const struct trace_instant unknown = { .kind = (enum trace_instant_kind)99 };
	char want[256], *doc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct trace_instant in = { .pid = 1, .tid = 2, .ts_ns = 3,
						  .kind = cases[i].kind };
		char *ev = doc__event(write_instant, &in);

		snprintf(want, sizeof(want),
			 "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"ts\":0.003,"
			 "\"pid\":1,\"tid\":2,\"args\":{}}",
			 cases[i].name, cases[i].cat);
		assert_string_equal(ev, want);
		free(ev);
	}
	doc = doc__of(write_instant, &unknown);
	assert_string_equal(doc, HEAD "\n" TAIL);
	free(doc);
}

static void write_flow(struct trace_writer *w, const void *arg)
{
	ops->flow(w, arg);
}

/* Each kind of task creation names its arrow; the arrow's id is the child's tid. */
static void test_flow_kinds(void **state)
{
	static const struct {
		enum trace_task_start kind;
		uint32_t to_pid, to_tid;
		const char *name;
	} cases[] = {
		{ TRACE_FORK, 300, 300, "fork" },
		{ TRACE_THREAD, 5, 301, "thread" },
		{ TRACE_GOROUTINE, 5, 0x40000007u, "go" },
	};
	const struct trace_flow unknown = { .kind = (enum trace_task_start)99 };
	char want[1024], *doc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct trace_flow fl = { .from_pid = 5, .from_tid = 6,
					       .to_pid = cases[i].to_pid,
					       .to_tid = cases[i].to_tid, .ts_ns = 1000,
					       .kind = cases[i].kind };
		char *ev = doc__event(write_flow, &fl);
		const char *n = cases[i].name;
		unsigned int p = cases[i].to_pid, t = cases[i].to_tid;

		snprintf(want, sizeof(want),
			 "{\"name\":\"%s\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":1.000,"
			 "\"dur\":0.000,\"pid\":5,\"tid\":6,\"args\":{\"child\":%u}},\n"
			 "{\"name\":\"%s\",\"cat\":\"task\",\"ph\":\"s\",\"id\":%u,\"ts\":1.000,"
			 "\"pid\":5,\"tid\":6},\n"
			 "{\"name\":\"start\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":1.000,"
			 "\"dur\":0.000,\"pid\":%u,\"tid\":%u,\"args\":{\"parent\":6}},\n"
			 "{\"name\":\"%s\",\"cat\":\"task\",\"ph\":\"f\",\"bp\":\"e\",\"id\":%u,"
			 "\"ts\":1.000,\"pid\":%u,\"tid\":%u}",
			 n, t, n, t, p, t, n, t, p, t);
		assert_string_equal(ev, want);
		free(ev);
	}
	doc = doc__of(write_flow, &unknown);
	assert_string_equal(doc, HEAD "\n" TAIL);
	free(doc);
}

static void test_events_stream_out(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct trace_writer *w;

	assert_non_null(f);
	w = ops->open(f);
	assert_non_null(w);
	one_span(w);
	/* the event is in the stream before close: nothing is held back per event */
	assert_int_equal(fflush(f), 0);
	assert_non_null(strstr(buf, "\"args\":{\"func\":\"f\"}}"));
	assert_int_equal(ops->close(w), 0);
	fclose(f);
	free(buf);
}

static void test_close_reports_read_only_stream(void **state)
{
	FILE *f = fopen("/dev/null", "r");
	struct trace_writer *w;

	assert_non_null(f);
	w = ops->open(f);
	assert_non_null(w);
	trace__sample(w);
	assert_int_equal(ops->close(w), -1);
	fclose(f);
}

static void test_close_reports_full_buffer(void **state)
{
	char buf[64];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct trace_writer *w;

	/* the document fits stdio's buffer, so only close's flush can see the error */
	assert_non_null(f);
	w = ops->open(f);
	assert_non_null(w);
	trace__sample(w);
	assert_int_equal(ops->close(w), -1);
	fclose(f);
}

/*
 * Python's json module as a second opinion: it must parse both documents as
 * strict UTF-8 and read back the names as intended. It prints each event it
 * read, keys sorted and ASCII-escaped, to a file the test then compares. It
 * also checks the rule viewers bind flow events by: each "s" or "f" right
 * after a zero-length "X" of the same cat, ts, pid and tid, and each "f"
 * bound to it ("bp":"e") and closing an "s" of the same id, cat and name.
 */
#define PY_SCRIPT                                                                          \
	"import io, json, sys\n"                                                           \
	"t = io.TextIOWrapper(sys.stdin.buffer, encoding=\"utf-8\", errors=\"strict\")\n"  \
	"d = json.load(t)\n"                                                               \
	"assert d[\"displayTimeUnit\"] == \"ns\"\n"                                        \
	"ev = d[\"traceEvents\"]\n"                                                        \
	"where = lambda e: [e[k] for k in (\"cat\", \"ts\", \"pid\", \"tid\")]\n"          \
	"flow = lambda e: (e[\"id\"], e[\"cat\"], e[\"name\"])\n"                          \
	"started = set()\n"                                                                \
	"for i, e in enumerate(ev):\n"                                                     \
	"    if e[\"ph\"] in (\"s\", \"f\"):\n"                                            \
	"        x = ev[i - 1]\n"                                                          \
	"        assert x[\"ph\"] == \"X\" and x[\"dur\"] == 0, e\n"                       \
	"        assert where(x) == where(e), e\n"                                         \
	"    if e[\"ph\"] == \"s\":\n"                                                     \
	"        started.add(flow(e))\n"                                                   \
	"    if e[\"ph\"] == \"f\":\n"                                                     \
	"        assert e[\"bp\"] == \"e\" and flow(e) in started, e\n"                    \
	"    print(json.dumps(e, sort_keys=True))\n"

static const char py_want[] =
	"{\"args\": {\"name\": \"demo\"}, \"name\": \"process_name\", \"ph\": \"M\", "
	"\"pid\": 100, \"tid\": 100}\n"
	"{\"args\": {\"name\": \"worker\"}, \"name\": \"thread_name\", \"ph\": \"M\", "
	"\"pid\": 100, \"tid\": 101}\n"
	"{\"args\": {\"func\": \"demo_work\", \"object\": \"/usr/bin/demo\"}, \"cat\": \"span\", "
	"\"dur\": 0.25, \"name\": \"demo_work\", \"ph\": \"X\", \"pid\": 100, \"tid\": 101, "
	"\"ts\": 1234.567}\n"
	"{\"args\": {\"func\": \"_ZN2ns1fEv\", \"unfinished\": true}, \"cat\": \"span\", "
	"\"dur\": 0.005, \"name\": \"ns::f()\", \"ph\": \"X\", \"pid\": 100, \"tid\": 100, "
	"\"ts\": 2000000.0}\n"
	"{\"args\": {\"blocked_by\": 102, \"blocked_reason\": \"holds the pipe lock\", "
	"\"fatal_signal\": \"SIGKILL\", \"killable\": true, \"kstack\": [\"__mutex_lock+0x1a\", "
	"\"anon_pipe_write+0x4c\"], \"pipe\": 4242, \"start_estimated\": true, \"state\": \"D\", "
	"\"unfinished\": true}, \"cat\": \"wait\", \"dur\": 1.5, "
	"\"name\": \"uninterruptible: __mutex_lock\", \"ph\": \"X\", \"pid\": 100, \"tid\": 101, "
	"\"ts\": 3000.0}\n"
	"{\"args\": {\"blocked_by\": 101, \"blocked_ns\": 1200, "
	"\"blocked_reason\": \"reads nothing\", \"pipe\": 4242, \"requested\": 65536, "
	"\"result\": -32, \"unfinished\": true}, \"cat\": \"pipe\", \"dur\": 2.0, "
	"\"name\": \"pipe write\", \"ph\": \"X\", \"pid\": 100, \"tid\": 102, \"ts\": 3000.1}\n"
	"{\"args\": {\"child\": 200}, \"cat\": \"task\", \"dur\": 0.0, \"name\": \"fork\", "
	"\"ph\": \"X\", \"pid\": 100, \"tid\": 101, \"ts\": 4000.001}\n"
	"{\"cat\": \"task\", \"id\": 200, \"name\": \"fork\", \"ph\": \"s\", \"pid\": 100, "
	"\"tid\": 101, \"ts\": 4000.001}\n"
	"{\"args\": {\"parent\": 101}, \"cat\": \"task\", \"dur\": 0.0, \"name\": \"start\", "
	"\"ph\": \"X\", \"pid\": 200, \"tid\": 200, \"ts\": 4000.001}\n"
	"{\"bp\": \"e\", \"cat\": \"task\", \"id\": 200, \"name\": \"fork\", \"ph\": \"f\", "
	"\"pid\": 200, \"tid\": 200, \"ts\": 4000.001}\n"
	"{\"args\": {\"code\": -1, \"comm\": null, \"core\": true, \"signal\": \"SIGSEGV\"}, "
	"\"cat\": \"exit\", \"name\": \"exit\", \"ph\": \"i\", \"pid\": 100, \"s\": \"t\", "
	"\"tid\": 102, \"ts\": 5000.0}\n"
	"{\"args\": {\"name\": \"a\\\"b\\\\c\"}, \"name\": \"process_name\", \"ph\": \"M\", "
	"\"pid\": 7, \"tid\": 7}\n"
	"{\"args\": {\"name\": \"\\u001f\\u007f\\u20ac\\ud83d\\ude00\"}, "
	"\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 7, \"tid\": 8}\n"
	"{\"args\": {\"func\": \"bad\\ufffd\\ufffd\\ufffdutf8\\ufffd\\ufffd\\ufffd\", "
	"\"object\": \"/tmp/new\\nline/lib\\u00e9.so\"}, \"cat\": \"span\", \"dur\": 0.0, "
	"\"name\": \"std::map<\\\"k\\\", v>::at\\\\\\t\\u0001\", \"ph\": \"X\", \"pid\": 7, "
	"\"tid\": 8, \"ts\": 1.844674407370955e+16}\n"
	"{\"args\": {\"blocked_reason\": \"lock \\u0001\", \"killable\": false, "
	"\"kstack\": [\"f\\\"q\\\\\", \"m\\tmod\\ufffd\", \"\"], \"state\": \"S\\\\\"}, "
	"\"cat\": \"wait\", \"dur\": 0.002, \"name\": \"sleep: \\\"x\\\"\\n\", \"ph\": \"X\", "
	"\"pid\": 7, \"tid\": 8, \"ts\": 0.001}\n"
	"{\"args\": {\"k\\\"ey\": \"v\\\\al\\r\\ufffd\"}, \"cat\": \"signal\", "
	"\"name\": \"fatal signal\", \"ph\": \"i\", \"pid\": 7, \"s\": \"t\", \"tid\": 8, "
	"\"ts\": 0.003}\n";

static void both(struct trace_writer *w)
{
	trace__sample(w);
	trace__nasty(w);
}

static void test_python_parses_document(void **state)
{
	char out_path[] = "/tmp/test_chrome_py.XXXXXX";
	char cmd[4096], got[8192];
	struct trace_writer *w;
	size_t n;
	FILE *p, *out;
	int fd, status;

	if (system("python3 -c '' >/dev/null 2>&1") != 0) {
		print_message("python3 not found, not parsing with a second JSON parser\n");
		skip();
	}
	fd = mkstemp(out_path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' > %s", PY_SCRIPT, out_path);
	p = popen(cmd, "w");
	assert_non_null(p);
	w = ops->open(p);
	assert_non_null(w);
	both(w);
	assert_int_equal(ops->close(w), 0);
	status = pclose(p);

	out = fopen(out_path, "r");
	assert_non_null(out);
	n = fread(got, 1, sizeof(got) - 1, out);
	got[n] = '\0';
	fclose(out);
	unlink(out_path);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(got, py_want);
}

/* --- ends as a reader adding ts and dur in doubles finds them ---------------- */

/* The "ts" and "dur" of each event in doc, parsed as a JSON reader does. */
static size_t doc__times(const char *doc, double *ts, double *dur, size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(doc, "\"ts\":"); p && n < max; p = strstr(p + 1, "\"ts\":")) {
		char *end;

		ts[n] = strtod(p + 5, &end);
		assert_true(strncmp(end, ",\"dur\":", 7) == 0);
		dur[n++] = strtod(end + 7, NULL);
	}
	return n;
}

/*
 * Whether a reader gets ns back from us: rounded to nanoseconds, exactly while
 * doubles hold them (below 2^53 ns); past that, within two of its roundings.
 */
static bool us_is_ns(double us, double end_us, uint64_t ns)
{
	double err = us * 1000.0 - (double)ns;

	if (end_us * 1000.0 < 9007199254740992.0)
		return (uint64_t)(us * 1000.0 + 0.5) == ns;
	return err <= 2 * end_us * 1000.0 / 4503599627370496.0 &&
	       -err <= 2 * end_us * 1000.0 / 4503599627370496.0;
}

/*
 * Writes a chain of spans on one task ending at one nanosecond, innermost
 * first as the tree delivers them, and checks each lies inside the next for a
 * double reader, with every start and duration still true to the nanosecond
 * (as far as doubles hold nanoseconds).
 */
static void expect_chain_nests(const uint64_t *start, size_t n, uint64_t end)
{
	char *buf = NULL;
	size_t len = 0, got;
	FILE *f = open_memstream(&buf, &len);
	struct trace_writer *w;
	double ts[8], dur[8];

	assert_non_null(f);
	w = ops->open(f);
	for (size_t i = 0; i < n; i++) {
		const struct trace_span s = { .pid = 1, .tid = 2, .start_ns = start[i],
					      .dur_ns = end - start[i],
					      .depth = (uint32_t)(n - 1 - i), .name = "f",
					      .func = "f", .unfinished = true };

		ops->span(w, &s);
	}
	assert_int_equal(ops->close(w), 0);
	assert_int_equal(fclose(f), 0);
	got = doc__times(buf, ts, dur, 8);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(us_is_ns(ts[i], ts[i] + dur[i], start[i]));
		assert_true(us_is_ns(dur[i], ts[i] + dur[i], end - start[i]));
		if (i)
			assert_true(ts[i] + dur[i] >= ts[i - 1] + dur[i - 1]);
	}
	free(buf);
}

/* Found by search: written with three decimals, the child ends 1 ulp after its parent. */
/* One span line of a known length, ts and dur fixed; the n-th. */
static void limit__span(struct trace_writer *w, const char *name)
{
	const struct trace_span s = {
		.pid = 1, .tid = 2, .start_ns = 0, .dur_ns = 999, .name = name, .func = "f",
	};

	ops->span(w, &s);
}

/*
 * Writes nspans spans (and a long one after the first nlong_after, if given)
 * under max_size; returns the document, its size and the writer's trace_size.
 */
static char *limit__doc(uint64_t max_size, int nspans, const char *long_name, int long_after,
			size_t *len, struct trace_size *sz)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct trace_writer *w;

	assert_non_null(f);
	w = ops->open(f);
	assert_non_null(w);
	ops->limit(w, max_size);
	for (int i = 0; i < nspans; i++) {
		if (long_name && i == long_after)
			limit__span(w, long_name);
		limit__span(w, "f");
	}
	ops->size(w, sz);
	assert_int_equal(ops->close(w), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int count_of(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * --max-size: the events that fit under the limit less the room for the end
 * are written whole, the rest counted; the document ends properly and says
 * where it was cut (the size of HEAD and of the events written).
 */
static void test_max_size_cuts_whole_events(void **state)
{
	static const char span_line[] =
		"{\"name\":\"f\",\"cat\":\"span\",\"ph\":\"X\",\"ts\":0.000,\"dur\":0.999,"
		"\"pid\":1,\"tid\":2,\"args\":{\"func\":\"f\"}}";
	/* HEAD, then each event after a newline and (but the first) a comma; 512 kept for the end */
	size_t first = strlen(HEAD) + 1 + strlen(span_line), each = 2 + strlen(span_line);
	uint64_t max = 4096;
	int fit = (int)(1 + (max - 512 - first) / each);
	struct trace_size sz;
	size_t len;
	char *doc = limit__doc(max, 200, NULL, 0, &len, &sz);
	char tail[256];

	assert_true(len <= max);
	assert_true(sz.cut);
	assert_int_equal(sz.cut_at, first + (size_t)(fit - 1) * each);
	assert_int_equal(sz.unwritten, 200 - fit);
	assert_int_equal(count_of(doc, "\"cat\":\"span\""), fit);
	snprintf(tail, sizeof(tail),
		 "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"spantrace\","
		 "\"truncated_at_bytes\":%llu,\"unwritten_events\":%d}}\n",
		 (unsigned long long)sz.cut_at, 200 - fit);
	assert_string_equal(doc + sz.cut_at, tail);
	free(doc);

	/* all of it fits: nothing said */
	doc = limit__doc(1 << 20, 200, NULL, 0, &len, &sz);
	assert_false(sz.cut);
	assert_int_equal(sz.bytes + strlen(TAIL) + 1, len);
	assert_int_equal(count_of(doc, "\"cat\":\"span\""), 200);
	assert_null(strstr(doc, "truncated_at_bytes"));
	free(doc);
}

/*
 * An event longer than the writer's buffer reaches the stream in pieces and
 * cannot be taken back: it is written whole and the cut comes after it.
 */
static void test_max_size_event_longer_than_buffer(void **state)
{
	char *name = malloc(JW_LONG_NAME + 1);
	char tail[256];
	struct trace_size sz;
	size_t len;
	char *doc;

	assert_non_null(name);
	memset(name, 'n', JW_LONG_NAME);
	name[JW_LONG_NAME] = 0;
	/* 30 spans of about 110 bytes, then 6000: past 8192 less 512 */
	doc = limit__doc(8192, 50, name, 30, &len, &sz);
	assert_true(sz.cut);
	assert_int_equal(count_of(doc, "\"cat\":\"span\""), 31);
	assert_int_equal(sz.unwritten, 50 - 30);
	snprintf(tail, sizeof(tail),
		 "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"spantrace\","
		 "\"truncated_at_bytes\":%llu,\"unwritten_events\":20}}\n",
		 (unsigned long long)sz.cut_at);
	assert_string_equal(doc + sz.cut_at, tail);
	assert_non_null(strstr(doc, name));
	free(name);
	free(doc);
}

static void test_equal_ends_nest_for_double_readers(void **state)
{
	const uint64_t start[] = { 2650169190671ull, 2650161004825ull };

	expect_chain_nests(start, 2, 2650169190701ull);
}

/* Many chains, of up to four spans, some past 2^53 ns (104 days of uptime). */
static void test_equal_ends_nest_random(void **state)
{
	uint64_t x = 88172645463325252ull; /* xorshift64: the same chains every run */

	for (int i = 0; i < 20000; i++) {
		uint64_t start[4], end, base = i % 2 ? 1ull << 53 : 1000000000000ull;
		size_t n = 2 + (size_t)(i % 3);

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		end = base + x % 10000000000000ull;
		start[0] = end - x % 1000;
		for (size_t k = 1; k < n; k++)
			start[k] = start[k - 1] - (x >> (8 * k)) % 100000000;
		expect_chain_nests(start, n, end);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_entry),
		cmocka_unit_test(test_empty_document),
		cmocka_unit_test(test_full_document),
		cmocka_unit_test(test_names_escaped),
		cmocka_unit_test(test_optional_args_omitted),
		cmocka_unit_test(test_loss_told),
		cmocka_unit_test(test_wait_optional_args_omitted),
		cmocka_unit_test(test_pipe_write_optional_args_omitted),
		cmocka_unit_test(test_instant_without_args),
		cmocka_unit_test(test_instant_arg_types),
		cmocka_unit_test(test_guard_stop),
		cmocka_unit_test(test_guard_stop_long_name),
		cmocka_unit_test(test_flow_binds_to_own_slices),
		cmocka_unit_test(test_wait_names),
		cmocka_unit_test(test_instant_kinds),
		cmocka_unit_test(test_flow_kinds),
		cmocka_unit_test(test_events_stream_out),
		cmocka_unit_test(test_close_reports_read_only_stream),
		cmocka_unit_test(test_close_reports_full_buffer),
		cmocka_unit_test(test_python_parses_document),
		cmocka_unit_test(test_equal_ends_nest_for_double_readers),
		cmocka_unit_test(test_max_size_cuts_whole_events),
		cmocka_unit_test(test_max_size_event_longer_than_buffer),
		cmocka_unit_test(test_equal_ends_nest_random),
	};

	ops = trace_format__by_name("chrome")->ops;
	return cmocka_run_group_tests_name("chrome", tests, NULL, NULL);
}
