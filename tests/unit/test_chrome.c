// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the Chrome Trace Event writer (user/chrome.c): whole
 * documents compared byte for byte, escaping of names, I/O errors, and one
 * document parsed by Python's json module as an independent check.
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

#include "trace.h"

#define HEAD "{\"traceEvents\":["
#define TAIL "],\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"spantrace\"}}\n"

static const struct trace_ops *ops = &chrome_trace_ops;

/* Writes what the tests below trace, shared so the Python check sees the same document. */
static void trace__sample(struct trace_writer *w)
{
	const struct trace_span normal = {
		.pid = 100,
		.tid = 101,
		.start_ns = 1234567,
		.dur_ns = 250,
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

	ops->process_name(w, 100, "demo");
	ops->thread_name(w, 100, 101, "worker");
	ops->span(w, &normal);
	ops->span(w, &unfinished);
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
	"\"pid\":100,\"tid\":100,\"args\":{\"func\":\"_ZN2ns1fEv\",\"unfinished\":true}}\n"
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

	ops->process_name(w, 7, "a\"b\\c");
	ops->thread_name(w, 7, 8, "\x1f\x7f\xe2\x82\xac\xf0\x9f\x98\x80");
	ops->span(w, &s);
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
	"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",\"object\":\"/tmp/new\\nline/lib\xc3\xa9.so\"}}\n"
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

static void test_ops_table(void **state)
{
	assert_string_equal(ops->name, "chrome");
	assert_non_null(ops->open);
	assert_non_null(ops->process_name);
	assert_non_null(ops->thread_name);
	assert_non_null(ops->span);
	assert_non_null(ops->close);
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
 * strict UTF-8 and read back the names as intended. It prints what it read,
 * ASCII-escaped, to a file the test then compares.
 */
#define PY_SCRIPT                                                                          \
	"import io, json, sys\n"                                                           \
	"t = io.TextIOWrapper(sys.stdin.buffer, encoding=\"utf-8\", errors=\"strict\")\n"  \
	"d = json.load(t)\n"                                                               \
	"assert d[\"displayTimeUnit\"] == \"ns\"\n"                                        \
	"for e in d[\"traceEvents\"]:\n"                                                   \
	"    print(json.dumps([e[\"ph\"], e[\"name\"], e.get(\"ts\"), e.get(\"dur\"),\n"   \
	"                      e[\"pid\"], e[\"tid\"], e[\"args\"]], sort_keys=True))\n"

static const char py_want[] =
	"[\"M\", \"process_name\", null, null, 100, 100, {\"name\": \"demo\"}]\n"
	"[\"M\", \"thread_name\", null, null, 100, 101, {\"name\": \"worker\"}]\n"
	"[\"X\", \"demo_work\", 1234.567, 0.25, 100, 101, "
	"{\"func\": \"demo_work\", \"object\": \"/usr/bin/demo\"}]\n"
	"[\"X\", \"ns::f()\", 2000000.0, 0.005, 100, 100, "
	"{\"func\": \"_ZN2ns1fEv\", \"unfinished\": true}]\n"
	"[\"M\", \"process_name\", null, null, 7, 7, {\"name\": \"a\\\"b\\\\c\"}]\n"
	"[\"M\", \"thread_name\", null, null, 7, 8, "
	"{\"name\": \"\\u001f\\u007f\\u20ac\\ud83d\\ude00\"}]\n"
	"[\"X\", \"std::map<\\\"k\\\", v>::at\\\\\\t\\u0001\", 1.844674407370955e+16, 0.0, 7, 8, "
	"{\"func\": \"bad\\ufffd\\ufffd\\ufffdutf8\\ufffd\\ufffd\\ufffd\", "
	"\"object\": \"/tmp/new\\nline/lib\\u00e9.so\"}]\n";

static void both(struct trace_writer *w)
{
	trace__sample(w);
	trace__nasty(w);
}

static void test_python_parses_document(void **state)
{
	char out_path[] = "/tmp/test_chrome_py.XXXXXX";
	char cmd[1024], got[4096];
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops_table),
		cmocka_unit_test(test_empty_document),
		cmocka_unit_test(test_full_document),
		cmocka_unit_test(test_names_escaped),
		cmocka_unit_test(test_optional_args_omitted),
		cmocka_unit_test(test_events_stream_out),
		cmocka_unit_test(test_close_reports_read_only_stream),
		cmocka_unit_test(test_close_reports_full_buffer),
		cmocka_unit_test(test_python_parses_document),
	};

	return cmocka_run_group_tests_name("chrome", tests, NULL, NULL);
}
