// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the record decoder (user/core/decode.c): hand-built ring-buffer
 * records of C spans, Go spans with goroutines created, panicking and
 * exiting, named spans (from the record, and from the loader's live interface
 * when the uprobe could not read the name; never without one) and malformed
 * records go through a decoder whose trace writer records every call, with a span tree that
 * releases at once. Then the record file of --save-records: its bytes, and a
 * round trip through the reader, cut short and corrupt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "recfile.h"
#include "goroutines.h"
#include "names.h"
#include "spantrace.h"
#include "stats.h"
#include "tasks.h"
#include "trace.h"
#include "trace_capture.h"

/* --- the decoder under test ----------------------------------------------------- */

/* Two functions, and a --span pair whose BEGIN names its spans. */
enum { P_OUTER, P_INNER, P_BEGIN, P_END, NPROBES };

static struct probe probe_v[NPROBES] = {
	[P_OUTER] = { .name = "outer", .func = "outer", .object = "/bin/t", .role = SPEC_FUNC },
	[P_INNER] = { .name = "ns::inner()", .func = "_ZN2ns5innerEv", .object = "/bin/t",
		      .role = SPEC_FUNC },
	[P_BEGIN] = { .name = "span_begin", .func = "span_begin", .object = "/lib/libspan.so",
		      .role = SPEC_BEGIN, .pair = 0, .name_arg = 0 },
	[P_END] = { .name = "span_end", .func = "span_end", .object = "/lib/libspan.so",
		    .role = SPEC_END, .pair = 0 },
};

struct fx {
	struct probe_table probes;
	struct trace_writer w;
	struct decoder d;
};

static int fx__setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->probes = (struct probe_table){ .v = probe_v, .n = NPROBES };
	f->d = (struct decoder){ .probes = &f->probes, .ops = &capture_ops, .w = &f->w,
				 .target_pid = 100 };
	/* window 0: each event is released as it is pushed, so the order is exact */
	f->d.tree = spantree__new(0, decoder__on_span, decoder__on_task, &f->d);
	f->d.tasks = tasks__new();
	f->d.gors = gor__new();
	f->d.names = names__new();
	f->d.stats = stats__new();
	if (!f->d.tree || !f->d.tasks || !f->d.gors || !f->d.names || !f->d.stats)
		return -1;
	spantree__on_drop(f->d.tree, decoder__on_drop);
	*state = f;
	return 0;
}

static int fx__teardown(void **state)
{
	struct fx *f = *state;

	capture__free(&f->w);
	spantree__free(f->d.tree);
	tasks__free(f->d.tasks);
	gor__free(f->d.gors);
	names__free(f->d.names);
	stats__free(f->d.stats);
	free(f);
	return 0;
}

static void task(struct fx *f, uint64_t ts, uint32_t pid, uint32_t tid, const char *comm)
{
	struct st_task r = { .hdr = { .type = ST_REC_TASK, .tid = tid, .ts = ts }, .pid = pid };

	strncpy(r.comm, comm, sizeof(r.comm));
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

static void cspan(struct fx *f, uint8_t type, uint64_t ts, uint32_t pid, uint32_t tid,
		  uint32_t probe)
{
	struct st_span r = { .hdr = { .type = type, .tid = tid, .ts = ts }, .pid = pid,
			     .probe = probe };

	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

static void gspan(struct fx *f, uint8_t type, uint64_t ts, uint32_t pid, uint32_t tid,
		  uint32_t probe, uint64_t goid, uint32_t sdepth)
{
	struct st_gspan r = { .hdr = { .type = type, .tid = tid, .ts = ts }, .probe = probe,
			      .sdepth = sdepth, .goid = goid, .pid = pid };

	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

/* The same record as a record file saved before st_gspan had a pid holds it. */
static void gspan_nopid(struct fx *f, uint8_t type, uint64_t ts, uint32_t tid, uint32_t probe,
			uint64_t goid, uint32_t sdepth)
{
	struct st_gspan r = { .hdr = { .type = type, .tid = tid, .ts = ts }, .probe = probe,
			      .sdepth = sdepth, .goid = goid, .pid = 999 /* not read */ };

	assert_true(decoder__record(&f->d, &r, ST_GSPAN_SIZE_NOPID));
}

static void gocreate(struct fx *f, uint64_t ts, uint32_t pid, uint32_t tid, uint64_t parent,
		     uint64_t child)
{
	struct st_gocreate r = { .hdr = { .type = ST_REC_GO_CREATE, .tid = tid, .ts = ts },
				 .pid = pid, .parent_goid = parent, .child_goid = child };

	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

/* ST_REC_GO_EXIT, ST_REC_GO_PANIC */
static void goev(struct fx *f, uint8_t type, uint64_t ts, uint32_t pid, uint32_t tid,
		 uint64_t goid)
{
	struct st_gspan r = { .hdr = { .type = type, .tid = tid, .ts = ts }, .goid = goid,
			      .pid = pid };

	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

static struct st_nspan nspan(uint64_t ts, uint32_t pid, uint32_t tid, const char *name)
{
	struct st_nspan r = { .hdr = { .type = ST_REC_SPAN_NAMED, .tid = tid, .ts = ts },
			      .pid = pid, .probe = P_BEGIN };

	r.len = (uint16_t)strlen(name);
	memcpy(r.name, name, r.len);
	return r;
}

/* --- C spans ------------------------------------------------------------------- */

static void test_c_spans_nest(void **state)
{
	struct fx *f = *state;
	const struct task *t;

	task(f, 5, 100, 101, "worker-0");
	cspan(f, ST_REC_SPAN_BEGIN, 1000, 100, 101, P_OUTER);
	cspan(f, ST_REC_SPAN_BEGIN, 1100, 100, 101, P_INNER);
	cspan(f, ST_REC_SPAN_END, 1300, 100, 101, P_INNER);
	EXPECT(&f->w, "span 100/101 ns::inner() 1100+200 id=2 parent=1 depth=1 "
		      "func=_ZN2ns5innerEv object=/bin/t");
	cspan(f, ST_REC_SPAN_BEGIN, 1400, 100, 101, P_INNER);
	cspan(f, ST_REC_SPAN_END, 1450, 100, 101, P_INNER);
	cspan(f, ST_REC_SPAN_END, 1500, 100, 101, P_OUTER);
	EXPECT(&f->w, "span 100/101 ns::inner() 1400+50 id=3 parent=1 depth=1 "
		      "func=_ZN2ns5innerEv object=/bin/t",
	       "span 100/101 outer 1000+500 id=1 parent=0 depth=0 func=outer object=/bin/t");

	/* the thread's record named it; its first span put it (and its process) in the trace */
	t = tasks__get(f->d.tasks, 101);
	assert_non_null(t);
	assert_string_equal(t->comm, "worker-0");
	assert_true(t->in_trace);
	assert_true(tasks__get(f->d.tasks, 100)->in_trace);
	assert_int_equal(spantree__stats(f->d.tree)->spans, 3);
	assert_int_equal(f->d.bad_records, 0);
}

/* A span still open at the end is written unfinished, and stays out of the summary. */
static void test_c_span_unfinished(void **state)
{
	struct fx *f = *state;
	char *buf = NULL, *end;
	size_t len = 0;
	FILE *m;

	cspan(f, ST_REC_SPAN_BEGIN, 1000, 100, 101, P_OUTER);
	cspan(f, ST_REC_SPAN_END, 1500, 100, 101, P_OUTER);
	cspan(f, ST_REC_SPAN_BEGIN, 2000, 100, 101, P_OUTER);
	spantree__finish(f->d.tree, 2600);
	EXPECT(&f->w, "span 100/101 outer 1000+500 id=1 parent=0 depth=0 func=outer object=/bin/t",
	       "span 100/101 outer 2000+600 id=2 parent=0 depth=0 "
	       "func=outer object=/bin/t unfinished");
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	stats__print(f->d.stats, m);
	fclose(m);
	/* header, then "outer": 2 calls, 1 returned (the one timed) */
	assert_non_null(strstr(buf, "\nouter "));
	assert_int_equal(strtol(strstr(buf, "\nouter ") + 7, &end, 10), 2);
	assert_int_equal(strtol(end, NULL, 10), 1);
	free(buf);
}

/* A C record with the stack pointer (where exceptions unwind), or an ST_REC_UNWIND. */
static void spspan(struct fx *f, uint8_t type, uint64_t ts, uint32_t probe, uint64_t sp)
{
	struct st_span r = { .hdr = { .type = type, .tid = 101, .ts = ts }, .pid = 100,
			     .probe = probe, .sp = sp };

	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

/*
 * C++: inner throws under outer, the catch runs in outer's frame. The stack
 * pointers tell frames apart (a lower sp is deeper): inner ends at the catch,
 * unwound, and out of the summary; outer returns.
 */
static void test_c_exception(void **state)
{
	struct fx *f = *state;

	spspan(f, ST_REC_SPAN_BEGIN, 1000, P_OUTER, 0x7ffd1000);
	spspan(f, ST_REC_SPAN_BEGIN, 1100, P_INNER, 0x7ffd0f00);
	spspan(f, ST_REC_UNWIND, 1200, ST_UNWIND_THROW, 0x7ffd0e00);
	EXPECT_NOTHING(&f->w);
	/* __cxa_begin_catch called from outer: its sp is that of outer's callees */
	spspan(f, ST_REC_UNWIND, 1300, ST_UNWIND_CATCH, 0x7ffd0f00);
	EXPECT(&f->w, "span 100/101 ns::inner() 1100+200 id=2 parent=1 depth=1 "
		      "func=_ZN2ns5innerEv object=/bin/t unwound");
	spspan(f, ST_REC_SPAN_END, 1400, P_OUTER, 0x7ffd1000);
	EXPECT(&f->w, "span 100/101 outer 1000+400 id=1 parent=0 depth=0 func=outer object=/bin/t");
	assert_int_equal(f->d.nexceptions, 1);
	assert_int_equal(spantree__stats(f->d.tree)->exceptions, 1);
	/* an unknown kind is malformed */
	struct st_span bad = { .hdr = { .type = ST_REC_UNWIND, .tid = 101, .ts = 1500 },
			       .pid = 100, .probe = 3, .sp = 0x7ffd1000 };

	assert_false(decoder__record(&f->d, &bad, sizeof(bad)));
	assert_int_equal(f->d.bad_records, 1);
}

/* --- Go ------------------------------------------------------------------------ */

static void test_go_spans_on_goroutine_tracks(void **state)
{
	struct fx *f = *state;
	const uint32_t g7 = GOR_TID_BASE, g1 = GOR_TID_BASE + 1;

	task(f, 5, 200, 201, "gothread");
	/* goroutine 1 starts goroutine 7; nothing is written until 7 has a span */
	gocreate(f, 1000, 200, 201, 1, 7);
	EXPECT_NOTHING(&f->w);
	assert_int_equal(f->d.ngo_created, 1);

	/* its first span names both tracks and draws the arrow, at the go statement */
	gspan(f, ST_REC_GSPAN_BEGIN, 1100, 200, 201, P_OUTER, 7, 64);
	EXPECT(&f->w, "thread_name 200/1073741824 goroutine 7",
	       "thread_name 200/1073741825 goroutine 1",
	       "flow 200/1073741825 -> 200/1073741824 1000 goroutine");
	gspan(f, ST_REC_GSPAN_END, 1300, 200, 201, P_OUTER, 7, 64);
	EXPECT(&f->w, "span 200/1073741824 outer 1100+200 id=1 parent=0 depth=0 "
		      "func=outer object=/bin/t");

	/* a goroutine's process is named after its main thread */
	assert_true(tasks__get(f->d.tasks, 200)->in_trace);
	assert_null(tasks__get(f->d.tasks, g7));

	/*
	 * A call, a panic, then a call at a shallower depth (a deferred
	 * function): the first call's frame is gone, its span ends at the panic.
	 */
	gspan(f, ST_REC_GSPAN_BEGIN, 1400, 200, 201, P_INNER, 7, 96);
	goev(f, ST_REC_GO_PANIC, 1500, 200, 201, 7);
	assert_int_equal(f->d.ngo_panics, 1);
	EXPECT_NOTHING(&f->w);
	gspan(f, ST_REC_GSPAN_BEGIN, 1600, 200, 201, P_OUTER, 7, 64);
	EXPECT(&f->w, "span 200/1073741824 ns::inner() 1400+100 id=2 parent=0 depth=0 "
		      "func=_ZN2ns5innerEv object=/bin/t "
		      "unfinished panicked");

	/* the goroutine ends: what it had open ends there, and it is forgotten */
	goev(f, ST_REC_GO_EXIT, 1700, 200, 201, 7);
	EXPECT(&f->w, "span 200/1073741824 outer 1600+100 id=3 parent=0 depth=0 "
		      "func=outer object=/bin/t unfinished");
	assert_null(gor__find(f->d.gors, 200, 7));
	assert_non_null(gor__find(f->d.gors, 200, 1));
	assert_int_equal(gor__find(f->d.gors, 200, 1)->tid, g1);

	/* goroutine 1 itself: its track is named already, no second arrow */
	gspan(f, ST_REC_GSPAN_BEGIN, 1800, 200, 201, P_OUTER, 1, 32);
	gspan(f, ST_REC_GSPAN_END, 1900, 200, 201, P_OUTER, 1, 32);
	EXPECT(&f->w, "span 200/1073741825 outer 1800+100 id=4 parent=0 depth=0 "
		      "func=outer object=/bin/t");
	assert_int_equal(f->d.bad_records, 0);
}

/*
 * Goroutines made by the runtime (no parent) are not counted; an exit of a
 * goroutine never seen does nothing; a span record without a goroutine id
 * goes on the thread; a thread without a task record, in a record file
 * saved before Go records had a pid, is the target's.
 */
static void test_go_edge_cases(void **state)
{
	struct fx *f = *state;

	gocreate(f, 1000, 200, 201, 0, 9);
	assert_int_equal(f->d.ngo_created, 0);
	assert_null(gor__find(f->d.gors, 200, 9));
	goev(f, ST_REC_GO_EXIT, 1100, 200, 201, 12345);
	gspan_nopid(f, ST_REC_GSPAN_BEGIN, 1200, 301, P_OUTER, 0, 0);
	gspan_nopid(f, ST_REC_GSPAN_END, 1250, 301, P_OUTER, 0, 0);
	EXPECT(&f->w, "span 100/301 outer 1200+50 id=1 parent=0 depth=0 func=outer object=/bin/t");
	/* an exit of a goroutine without a track pushes nothing, and forgets it */
	gocreate(f, 1300, 100, 301, 1, 5);
	assert_non_null(gor__find(f->d.gors, 100, 5));
	goev(f, ST_REC_GO_EXIT, 1400, 100, 301, 5);
	assert_null(gor__find(f->d.gors, 100, 5));
	EXPECT_NOTHING(&f->w);
	assert_int_equal(spantree__stats(f->d.tree)->events, 2);
}

/*
 * A Go record says its process: a thread whose task record was lost (the ring
 * was full) is still in its own process, not the target's, and so are its
 * goroutines, their creation and their exit.
 */
static void test_go_records_carry_their_process(void **state)
{
	struct fx *f = *state;

	gspan(f, ST_REC_GSPAN_BEGIN, 1000, 300, 301, P_OUTER, 0, 0);
	gspan(f, ST_REC_GSPAN_END, 1100, 300, 301, P_OUTER, 0, 0);
	EXPECT(&f->w, "span 300/301 outer 1000+100 id=1 parent=0 depth=0 func=outer object=/bin/t");
	gocreate(f, 1200, 300, 301, 1, 5);
	gspan(f, ST_REC_GSPAN_BEGIN, 1300, 300, 301, P_OUTER, 5, 64);
	gspan(f, ST_REC_GSPAN_END, 1400, 300, 301, P_OUTER, 5, 64);
	EXPECT(&f->w, "thread_name 300/1073741824 goroutine 5",
	       "thread_name 300/1073741825 goroutine 1",
	       "flow 300/1073741825 -> 300/1073741824 1200 goroutine",
	       "span 300/1073741824 outer 1300+100 id=2 parent=0 depth=0 func=outer object=/bin/t");
	goev(f, ST_REC_GO_PANIC, 1500, 300, 301, 5);
	goev(f, ST_REC_GO_EXIT, 1600, 300, 301, 5);
	assert_int_equal(f->d.ngo_panics, 1);
	assert_null(gor__find(f->d.gors, 300, 5));
	/* the thread and its process are in the trace, as the span's process */
	assert_int_equal(tasks__get(f->d.tasks, 301)->pid, 300);
	assert_true(tasks__get(f->d.tasks, 300)->in_trace);
	assert_int_equal(f->d.bad_records, 0);
}

/*
 * Record files saved before Go records had a pid (tests/golden) hold them in
 * ST_GSPAN_SIZE_NOPID bytes: their process is their thread's, from its task
 * record. Shorter than that is malformed.
 */
static void test_go_records_before_pid(void **state)
{
	struct fx *f = *state;
	struct st_gspan r = { .hdr = { .type = ST_REC_GSPAN_BEGIN, .tid = 201, .ts = 1 },
			      .probe = P_OUTER };

	task(f, 5, 200, 201, "gothread");
	gspan_nopid(f, ST_REC_GSPAN_BEGIN, 1000, 201, P_OUTER, 7, 64);
	gspan_nopid(f, ST_REC_GSPAN_END, 1100, 201, P_OUTER, 7, 64);
	EXPECT(&f->w, "thread_name 200/1073741824 goroutine 7",
	       "span 200/1073741824 outer 1000+100 id=1 parent=0 depth=0 func=outer object=/bin/t");
	r.hdr.type = ST_REC_GO_EXIT;
	r.goid = 7;
	assert_true(decoder__record(&f->d, &r, ST_GSPAN_SIZE_NOPID));
	assert_null(gor__find(f->d.gors, 200, 7));
	assert_int_equal(f->d.bad_records, 0);
	assert_false(decoder__record(&f->d, &r, ST_GSPAN_SIZE_NOPID - 1));
	assert_int_equal(f->d.bad_records, 1);
}

/* --- named spans ----------------------------------------------------------------- */

/*
 * A process's memory as the loader's live interface reads it: one string at
 * FAKE_ADDR in process FAKE_PID; any other address is unreadable.
 */
#define FAKE_PID 4242u
#define FAKE_ADDR 0x7f0000001000ull
static const char fake_string[] = "read-from-proc-mem";

struct fake_mem {
	unsigned int calls;
	size_t last_len;
};

static ssize_t fake_read_string(void *ctx, uint32_t pid, uint64_t addr, size_t len, char *buf,
				bool *cut)
{
	struct fake_mem *m = ctx;
	size_t n = len ? len : strlen(fake_string);

	m->calls++;
	m->last_len = len;
	if (pid != FAKE_PID || addr != FAKE_ADDR || n > strlen(fake_string))
		return -1;
	memcpy(buf, fake_string, n);
	*cut = len == 0; /* as if the C string went on: the span must say it was cut */
	return (ssize_t)n;
}

static void test_named_spans(void **state)
{
	struct fx *f = *state;
	struct fake_mem mem = { 0 };
	const struct decode_live live = { .read_string = fake_read_string, .ctx = &mem };
	struct st_nspan r;

	/* a --span pair: BEGIN names it, END of the same pair closes it */
	r = nspan(1000, 100, 101, "request-42");
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
	cspan(f, ST_REC_SPAN_END, 1400, 100, 101, P_END);
	EXPECT(&f->w, "span 100/101 request-42 1000+400 id=1 parent=0 depth=0 "
		      "func=span_begin object=/lib/libspan.so");

	/* cut by the BPF side */
	r = nspan(2000, 100, 101, "a-long-name");
	r.nflags = ST_NAME_F_TRUNCATED;
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
	cspan(f, ST_REC_SPAN_END, 2100, 100, 101, P_END);
	EXPECT(&f->w, "span 100/101 a-long-name 2000+100 id=2 parent=0 depth=0 "
		      "func=span_begin object=/lib/libspan.so "
		      "truncated");

	/* the uprobe could not read it, and nothing live to ask (replay): the
	 * function's name, counted */
	r = nspan(3000, FAKE_PID, 101, "");
	r.nflags = ST_NAME_F_FAULT;
	r.ptr = FAKE_ADDR;
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
	cspan(f, ST_REC_SPAN_END, 3100, FAKE_PID, 101, P_END);
	EXPECT(&f->w, "span 4242/101 span_begin 3000+100 id=3 parent=0 depth=0 "
		      "func=span_begin object=/lib/libspan.so");
	assert_int_equal(f->d.name_faults, 1);

	/* the loader's live interface reads it: a C string (to the NUL), a Go one (4 bytes) */
	f->d.live = &live;
	r.hdr.ts = 4000;
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
	assert_int_equal(mem.last_len, 0);
	r.hdr.ts = 4100;
	r.len = 4;
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
	assert_int_equal(mem.last_len, 4);
	cspan(f, ST_REC_SPAN_END, 4200, FAKE_PID, 101, P_END);
	cspan(f, ST_REC_SPAN_END, 4300, FAKE_PID, 101, P_END);
	EXPECT(&f->w, "span 4242/101 read 4100+100 id=5 parent=4 depth=1 "
		      "func=span_begin object=/lib/libspan.so",
	       "span 4242/101 read-from-proc-mem 4000+300 id=4 parent=0 depth=0 "
	       "func=span_begin object=/lib/libspan.so "
	       "truncated");
	assert_int_equal(f->d.name_faults, 1);

	/* unreadable: the span keeps the function's name, and the summary counts it */
	r.hdr.ts = 5000;
	r.ptr = 8;
	r.len = 0;
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
	cspan(f, ST_REC_SPAN_END, 5100, FAKE_PID, 101, P_END);
	EXPECT(&f->w, "span 4242/101 span_begin 5000+100 id=6 parent=0 depth=0 "
		      "func=span_begin object=/lib/libspan.so");
	assert_int_equal(f->d.name_faults, 2);
	assert_int_equal(mem.calls, 3);
	/* names are interned: one copy each, whatever the number of spans */
	assert_int_equal(names__count(f->d.names), 4);
	assert_int_equal(f->d.bad_records, 0);
}

/* --- malformed records and other types ------------------------------------------ */

static void test_malformed_records(void **state)
{
	struct fx *f = *state;
	struct st_span s = { .hdr = { .type = ST_REC_SPAN_BEGIN, .tid = 101, .ts = 1 }, .pid = 100,
			     .probe = P_OUTER };
	struct st_nspan n = nspan(1, 100, 101, "x");
	struct st_fork fork = { .hdr = { .type = ST_REC_FORK, .tid = 101, .ts = 1 } };
	struct st_hdr h = { .type = 0, .tid = 101, .ts = 1 };

	/* shorter than a header */
	assert_false(decoder__record(&f->d, &s, sizeof(s.hdr) - 6));
	assert_int_equal(f->d.bad_records, 1);
	/* shorter than its type's record */
	assert_false(decoder__record(&f->d, &s, sizeof(s) - 4));
	assert_int_equal(f->d.bad_records, 2);
	/* a probe the table does not have */
	s.probe = NPROBES;
	assert_false(decoder__record(&f->d, &s, sizeof(s)));
	assert_int_equal(f->d.bad_records, 3);
	/* a name longer than the record holds */
	n.len = ST_NAME_LEN + 1;
	assert_false(decoder__record(&f->d, &n, sizeof(n)));
	assert_int_equal(f->d.bad_records, 4);
	/* a kernel record too short for its type (test_kdecode decodes whole ones) */
	assert_false(decoder__record(&f->d, &fork, sizeof(fork) - 1));
	assert_int_equal(f->d.bad_records, 5);
	/* types nobody knows */
	assert_false(decoder__record(&f->d, &h, sizeof(h)));
	h.type = 200;
	assert_false(decoder__record(&f->d, &h, sizeof(h)));
	assert_int_equal(f->d.bad_records, 7);
	/* none of it reached the tree or the trace */
	assert_int_equal(spantree__stats(f->d.tree)->events, 0);
	EXPECT_NOTHING(&f->w);
}

/* --- record files ------------------------------------------------------------------ */

static char *tmp_path(void)
{
	char *p = strdup("/tmp/test_decode.XXXXXX");
	int fd;

	assert_non_null(p);
	fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

#define WRITE_LIT(path, lit) write_bytes(path, lit, sizeof(lit) - 1)

static void test_recfile_bytes(void **state)
{
	struct probe one = { .name = "ns::f()", .func = "_ZN2ns1fEv", .object = NULL,
			     .role = SPEC_BEGIN, .pair = 3 };
	struct probe_table t = { .v = &one, .n = 1 };
	static const unsigned char want[] = "SPANREC1"
					    "\x39\x30\x00\x00"			/* pid 12345 */
					    "\x01\x00\x00\x00"			/* 1 probe */
					    "\x01\x00\x00\x00\x03\x00\x00\x00" /* BEGIN, pair 3 */
					    "ns::f()\0_ZN2ns1fEv\0\0"		/* no object */
					    "\x03\x00\x00\x00"
					    "abc";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(recfile__write_header(f, 12345, &t), 0);
	assert_int_equal(recfile__write_record(f, "abc", 3), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(buf, want, len);
	free(buf);
}

static void test_recfile_round_trip(void **state)
{
	struct probe_table t = { .v = probe_v, .n = NPROBES };
	struct st_span s = { .hdr = { .type = ST_REC_SPAN_BEGIN, .tid = 101, .ts = 77 },
			     .pid = 100, .probe = P_INNER };
	struct st_nspan n = nspan(78, 100, 101, "a name");
	char *path = tmp_path(), err[256];
	unsigned char buf[64];
	struct recfile rf;
	uint32_t size;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(recfile__write_header(f, 100, &t), 0);
	assert_int_equal(recfile__write_record(f, &s, sizeof(s)), 0);
	assert_int_equal(recfile__write_record(f, &n, sizeof(n)), 0);
	assert_int_equal(recfile__write_record(f, "tiny", 4), 0);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(recfile__open(fopen(path, "re"), path, &rf, err, sizeof(err)), 0);
	assert_int_equal(rf.target_pid, 100);
	assert_int_equal(rf.probes.n, NPROBES);
	for (size_t i = 0; i < NPROBES; i++) {
		assert_string_equal(rf.probes.v[i].name, probe_v[i].name);
		assert_string_equal(rf.probes.v[i].func, probe_v[i].func);
		assert_string_equal(rf.probes.v[i].object, probe_v[i].object);
		assert_int_equal(rf.probes.v[i].role, probe_v[i].role);
		assert_int_equal(rf.probes.v[i].pair, probe_v[i].pair);
	}
	assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 1);
	assert_int_equal(size, sizeof(s));
	assert_memory_equal(buf, &s, sizeof(s));
	/* longer than the buffer: its start, and the rest skipped */
	assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 1);
	assert_int_equal(size, sizeof(n));
	assert_memory_equal(buf, &n, sizeof(buf));
	assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 1);
	assert_int_equal(size, 4);
	assert_memory_equal(buf, "tiny", 4);
	assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 0);
	assert_false(rf.truncated);
	assert_int_equal(rf.nrecords, 3);
	recfile__close(&rf);

	/* cut inside the last record: the whole ones, then the end, marked */
	assert_int_equal(truncate(path, 0), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(recfile__write_header(f, 100, &t), 0);
	assert_int_equal(recfile__write_record(f, &s, sizeof(s)), 0);
	assert_int_equal(recfile__write_record(f, &n, sizeof(n)), 0);
	assert_int_equal(fclose(f), 0);
	{
		FILE *g = fopen(path, "r+");
		long end;

		assert_non_null(g);
		assert_int_equal(fseek(g, 0, SEEK_END), 0);
		end = ftell(g);
		fclose(g);
		assert_int_equal(truncate(path, end - 10), 0);
	}
	assert_int_equal(recfile__open(fopen(path, "re"), path, &rf, err, sizeof(err)), 0);
	assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 1);
	assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 0);
	assert_true(rf.truncated);
	assert_int_equal(rf.nrecords, 1);
	recfile__close(&rf);

	/* cut inside a length */
	WRITE_LIT(path, "SPANREC1\x07\0\0\0\0\0\0\0\x18\0");
	assert_int_equal(recfile__open(fopen(path, "re"), path, &rf, err, sizeof(err)), 0);
	assert_int_equal(rf.probes.n, 0);
	assert_int_equal(recfile__read(&rf, buf, sizeof(buf), &size), 0);
	assert_true(rf.truncated);
	recfile__close(&rf);

	unlink(path);
	free(path);
}

static void test_recfile_errors(void **state)
{
	char *path = tmp_path(), err[256], want[512];
	struct recfile rf;

	WRITE_LIT(path, "{\"traceEvents\":[");
	assert_int_equal(recfile__open(fopen(path, "re"), path, &rf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s is not a record file (no SPANREC1 header)", path);
	assert_string_equal(err, want);

	WRITE_LIT(path, "SPANREC1\x07\0\0\0\x02\0\0\0\0\0\0\0\0\0\0\0f\0f\0");
	assert_int_equal(recfile__open(fopen(path, "re"), path, &rf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: the probe table is cut short", path);
	assert_string_equal(err, want);

	WRITE_LIT(path, "SPANREC1\x07\0\0\0\xff\xff\xff\xff");
	assert_int_equal(recfile__open(fopen(path, "re"), path, &rf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: a table of 4294967295 probes cannot be right", path);
	assert_string_equal(err, want);

	WRITE_LIT(path, "SPANREC1\x07\0");
	assert_int_equal(recfile__open(fopen(path, "re"), path, &rf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: the header is cut short", path);
	assert_string_equal(err, want);

	unlink(path);
	assert_int_equal(recfile__open(fopen(path, "re"), path, &rf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot read %s: No such file or directory", path);
	assert_string_equal(err, want);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_c_spans_nest, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_c_span_unfinished, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_c_exception, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_go_spans_on_goroutine_tracks, fx__setup,
						fx__teardown),
		cmocka_unit_test_setup_teardown(test_go_edge_cases, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_go_records_carry_their_process, fx__setup,
						fx__teardown),
		cmocka_unit_test_setup_teardown(test_go_records_before_pid, fx__setup,
						fx__teardown),
		cmocka_unit_test_setup_teardown(test_named_spans, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_malformed_records, fx__setup, fx__teardown),
		cmocka_unit_test(test_recfile_bytes),
		cmocka_unit_test(test_recfile_round_trip),
		cmocka_unit_test(test_recfile_errors),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
