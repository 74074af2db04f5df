// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Seeds of the record-decoder harness (fuzz_records.c): records framed as in
 * a --save-records file after its header, written with the decoder's own
 * writer (recfile__write_record), one scenario a file:
 *
 *   c_nested      two threads, nested C spans and a --span pair
 *   go            goroutines created, spans on them, a panic, an exit
 *   named         spans named from an argument (cut short, and unreadable)
 *   reorder       timestamps out of order inside the reorder window, an idle
 *                 flush, a late event, an orphan END, spans left open
 *   malformed     short records, unknown types, a probe out of range,
 *                 a named span whose length is too long
 *   lost          records lost (ST_REC_LOST) on a thread, by count and by
 *                 stack pointer, and on goroutines, with and without a depth
 *
 * Probe numbers are those of the harness's table: 0 outer, 1 ns::inner(),
 * 2 span_begin (named from arg0), 3 span_end, 4 a Go function.
 *
 *   gen_records DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "recfile.h"
#include "spantrace.h"

enum { P_OUTER, P_INNER, P_BEGIN, P_END, P_GO };

#define PID 100
#define MS 1000000ull

static FILE *out;

static void put(const void *rec, size_t size)
{
	if (recfile__write_record(out, rec, size)) {
		perror("gen_records: write");
		exit(1);
	}
}

static struct st_hdr hdr(int type, uint32_t tid, uint64_t ts)
{
	return (struct st_hdr){ .type = (uint8_t)type, .tid = tid, .ts = ts };
}

static void task(uint32_t tid, uint64_t ts, const char *comm)
{
	struct st_task r = { .hdr = hdr(ST_REC_TASK, tid, ts), .pid = PID };

	memcpy(r.comm, comm, strnlen(comm, sizeof(r.comm))); /* not terminated when full */
	put(&r, sizeof(r));
}

static void span(int type, uint32_t tid, uint64_t ts, uint32_t probe)
{
	struct st_span r = { .hdr = hdr(type, tid, ts), .pid = PID, .probe = probe };

	put(&r, sizeof(r));
}

static void gspan(int type, uint32_t tid, uint64_t ts, uint32_t probe, uint32_t sdepth,
		  uint64_t goid)
{
	struct st_gspan r = { .hdr = hdr(type, tid, ts), .probe = probe, .sdepth = sdepth,
			      .goid = goid, .pid = PID };

	put(&r, sizeof(r));
}

static void named(uint32_t tid, uint64_t ts, uint64_t goid, const char *name, uint8_t nflags,
		  uint16_t len)
{
	struct st_nspan r = { .hdr = hdr(ST_REC_SPAN_NAMED, tid, ts), .pid = PID,
			      .probe = P_BEGIN, .goid = goid, .ptr = 0x7f0000001000ull,
			      .len = len, .nflags = nflags };

	memcpy(r.name, name, strnlen(name, sizeof(r.name)));
	put(&r, sizeof(r));
}

/* The harness's own record: the poll loop went idle at ts. */
static void idle(uint64_t ts)
{
	struct st_hdr h = hdr(0, 0, ts);

	put(&h, sizeof(h));
}

static void c_nested(void)
{
	task(PID, 1 * MS, "server");
	task(PID + 1, 1 * MS, "worker \"1\"");
	span(ST_REC_SPAN_BEGIN, PID, 2 * MS, P_OUTER);
	span(ST_REC_SPAN_BEGIN, PID + 1, 2 * MS + 10, P_OUTER);
	span(ST_REC_SPAN_BEGIN, PID, 3 * MS, P_INNER);
	span(ST_REC_SPAN_END, PID, 4 * MS, P_INNER);
	span(ST_REC_SPAN_BEGIN, PID, 5 * MS, P_BEGIN);
	span(ST_REC_SPAN_END, PID, 6 * MS, P_END);
	span(ST_REC_SPAN_END, PID, 7 * MS, P_OUTER);
	span(ST_REC_SPAN_END, PID + 1, 8 * MS, P_OUTER);
}

static void go(void)
{
	struct st_gocreate c = { .hdr = hdr(ST_REC_GO_CREATE, PID, 2 * MS), .pid = PID,
				 .parent_goid = 1, .child_goid = 7 };
	/* as a record file saved before Go records had a pid holds it */
	struct st_gspan old = { .hdr = hdr(ST_REC_GSPAN_END, PID, 11 * MS), .probe = P_GO,
				.sdepth = 1024, .goid = 8 };

	task(PID, 1 * MS, "goserver");
	put(&c, sizeof(c));
	gspan(ST_REC_GSPAN_BEGIN, PID, 3 * MS, P_GO, 4096, 7);
	gspan(ST_REC_GSPAN_BEGIN, PID, 4 * MS, P_GO, 2048, 7); /* recursion */
	gspan(ST_REC_GSPAN_END, PID, 5 * MS, P_GO, 2048, 7);
	gspan(ST_REC_GSPAN_END, PID, 6 * MS, P_GO, 4096, 7);
	gspan(ST_REC_GSPAN_BEGIN, PID, 7 * MS, P_GO, 4096, 1);
	gspan(ST_REC_GSPAN_BEGIN, PID, 7 * MS + 5, P_GO, 4096, 1); /* stack growth: again */
	gspan(ST_REC_GO_PANIC, PID, 8 * MS, 0, 0, 1);
	gspan(ST_REC_GO_EXIT, PID, 9 * MS, 0, 0, 7);
	gspan(ST_REC_GSPAN_BEGIN, PID, 10 * MS, P_GO, 1024, 8); /* never created */
	put(&old, ST_GSPAN_SIZE_NOPID);
}

static void named_spans(void)
{
	task(PID, 1 * MS, "named");
	named(PID, 2 * MS, 0, "GET /index.html", 0, 15);
	span(ST_REC_SPAN_END, PID, 3 * MS, P_END);
	named(PID, 4 * MS, 0,
	      "a name of sixty-four bytes or more, cut to fit the record's field", 1, 64);
	span(ST_REC_SPAN_END, PID, 5 * MS, P_END);
	named(PID, 6 * MS, 0, "", ST_NAME_F_FAULT, 0); /* not readable by the uprobe */
	span(ST_REC_SPAN_END, PID, 7 * MS, P_END);
	named(PID, 8 * MS, 9, "caf\xc3\xa9 \xff", 0, 7); /* on a goroutine; invalid UTF-8 */
	span(ST_REC_SPAN_END, PID, 9 * MS, P_END);
}

static void reorder(void)
{
	task(PID, 1 * MS, "reorder");
	span(ST_REC_SPAN_BEGIN, PID, 10 * MS, P_OUTER);
	span(ST_REC_SPAN_END, PID, 12 * MS, P_OUTER);
	span(ST_REC_SPAN_BEGIN, PID, 11 * MS, P_INNER); /* older, inside the window */
	span(ST_REC_SPAN_END, PID, 11 * MS + 500, P_INNER);
	idle(20 * MS);
	span(ST_REC_SPAN_BEGIN, PID, 15 * MS, P_OUTER); /* late: already released past it */
	span(ST_REC_SPAN_END, PID, 21 * MS, P_INNER);	/* orphan END */
	span(ST_REC_SPAN_BEGIN, PID, 22 * MS, P_OUTER); /* open at the stop */
	span(ST_REC_SPAN_BEGIN, PID + 5, 23 * MS, P_BEGIN); /* a thread with no TASK record */
}

/* A C++ exception: records with stack pointers, the unwinder's events. */
static void exception(void)
{
	struct st_span r[] = {
		{ .hdr = hdr(ST_REC_SPAN_BEGIN, PID, 2 * MS), .pid = PID, .probe = P_OUTER,
		  .sp = 0x7ffd1000 },
		{ .hdr = hdr(ST_REC_SPAN_BEGIN, PID, 3 * MS), .pid = PID, .probe = P_INNER,
		  .sp = 0x7ffd0f00 },
		{ .hdr = hdr(ST_REC_UNWIND, PID, 4 * MS), .pid = PID, .probe = ST_UNWIND_THROW,
		  .sp = 0x7ffd0e00 },
		{ .hdr = hdr(ST_REC_UNWIND, PID, 5 * MS), .pid = PID, .probe = ST_UNWIND_CLEANUP,
		  .sp = 0x7ffd0ef8 },
		{ .hdr = hdr(ST_REC_UNWIND, PID, 6 * MS), .pid = PID, .probe = ST_UNWIND_CATCH,
		  .sp = 0x7ffd0f00 },
		{ .hdr = hdr(ST_REC_SPAN_END, PID, 7 * MS), .pid = PID, .probe = P_OUTER,
		  .sp = 0x7ffd1000 },
	};

	task(PID, MS, "cxx");
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		put(&r[i], sizeof(r[i]));
}

/* Kernel events: a fork, an exec, a wait, a pipe write, a fatal signal, exits. */
static void kernel(void)
{
	struct st_fork f = { .hdr = hdr(ST_REC_FORK, PID, 2 * MS), .pid = PID,
			     .child_pid = PID + 10, .child_tid = PID + 10, .comm = "child" };
	struct st_exec e = { .hdr = hdr(ST_REC_EXEC, PID + 10, 3 * MS), .pid = PID + 10,
			     .old_tid = PID + 10, .comm = "sh", .filename = "/bin/sh" };
	struct st_wait w = { .hdr = hdr(ST_REC_WAIT, PID, 20 * MS),
			     .w = { .start = 4 * MS, .pid = PID, .state = 2, .nstack = 2,
				    .blocker = ST_BLK_PIPE_SPACE, .pipe_ino = 77,
				    .stack = { 0xffffffff81000000ull, 0xffffffff81000100ull } } };
	struct st_pipe_write pw = { .hdr = hdr(ST_REC_PIPE_WRITE, PID, 21 * MS), .result = 4096,
				    .pw = { .start = 4 * MS, .ino = 77, .requested = 4096,
					    .blocked_ns = 16 * MS, .pid = PID } };
	struct st_signal sg = { .hdr = hdr(ST_REC_SIGNAL, PID + 10, 22 * MS), .pid = PID + 10,
				.sig = 9, .sender_pid = PID, .sender_tid = PID,
				.sender_comm = "parent" };
	struct st_exit x = { .hdr = hdr(ST_REC_EXIT, PID + 10, 23 * MS), .pid = PID + 10,
			     .code = 9, .group_dead = 1, .comm = "sh" };

	task(PID, MS, "parent");
	span(ST_REC_SPAN_BEGIN, PID, MS, P_OUTER);
	put(&f, sizeof(f));
	put(&e, sizeof(e));
	put(&w, sizeof(w));
	put(&pw, sizeof(pw));
	put(&sg, sizeof(sg));
	put(&x, sizeof(x));
	x.hdr.tid = PID;
	x.pid = PID;
	x.code = 3 << 8;
	x.hdr.ts = 24 * MS;
	put(&x, sizeof(x)); /* the parent exits with its span open */
}

static void lost(uint32_t tid, uint64_t ts, uint64_t goid, uint32_t n, uint32_t drop,
		 uint32_t rise, uint64_t sp, uint32_t sdepth, uint32_t flags)
{
	struct st_lost r = { .hdr = hdr(ST_REC_LOST, tid, ts), .pid = PID, .lost = n, .goid = goid,
			     .sp = sp, .sdepth = sdepth, .drop = drop, .rise = rise,
			     .flags = flags };

	put(&r, sizeof(r));
}

/* Records lost: spans closed and marked, calls of unknown key, depths, goroutines. */
static void lost_records(void)
{
	task(PID, MS, "lossy");
	span(ST_REC_SPAN_BEGIN, PID, 2 * MS, P_OUTER);
	span(ST_REC_SPAN_BEGIN, PID, 3 * MS, P_INNER);
	lost(PID, 4 * MS, 0, 3, 1, 2, 0, 0, ST_LOST_F_KEYED); /* inner ended, two calls began */
	span(ST_REC_SPAN_BEGIN, PID, 5 * MS, P_INNER);
	span(ST_REC_SPAN_END, PID, 6 * MS, P_INNER);
	span(ST_REC_SPAN_END, PID, 7 * MS, P_OUTER); /* ends a call of unknown key */
	lost(PID, 8 * MS, 0, 1, 0, 0, 0x7ffd0f00, 0, 0); /* by stack pointer */
	span(ST_REC_SPAN_END, PID, 9 * MS, P_OUTER);
	gspan(ST_REC_GSPAN_BEGIN, PID, 10 * MS, P_GO, 4096, 7);
	lost(PID, 11 * MS, 7, 2, 0, 0, 0, 2048, 0);
	gspan(ST_REC_GSPAN_BEGIN, PID, 12 * MS, P_GO, 2048, 7); /* the depth the loss reached */
	gspan(ST_REC_GSPAN_END, PID, 13 * MS, P_GO, 2048, 7);
	lost(PID, 14 * MS, 8, 1, 0, 0, 0, 0, ST_LOST_F_NODEPTH); /* nothing known again */
	gspan(ST_REC_GSPAN_BEGIN, PID, 15 * MS, P_GO, 1024, 8);
	lost(PID + 1, 16 * MS, 0, UINT32_MAX, UINT32_MAX, UINT32_MAX, 0, 0, 0); /* saturated */
	span(ST_REC_SPAN_BEGIN, PID + 1, 17 * MS, P_OUTER);
}

static void malformed(void)
{
	struct st_span s = { .hdr = hdr(ST_REC_SPAN_BEGIN, PID, 2 * MS), .pid = PID,
			     .probe = 999 };
	struct st_hdr h = hdr(200, PID, 3 * MS);

	put(&s, sizeof(s));	    /* probe out of range */
	put(&s, sizeof(s) - 1);	    /* one byte short */
	put(&s, 3);		    /* shorter than a header */
	put(&h, sizeof(h));	    /* unknown type */
	h.type = ST_REC_FORK;	    /* a kernel event cut short */
	put(&h, sizeof(h));
	named(PID, 4 * MS, 0, "x", 0, ST_NAME_LEN + 1); /* length past the field */
	{
		struct st_lost l = { .hdr = hdr(ST_REC_LOST, PID, 5 * MS), .pid = PID, .lost = 1 };

		put(&l, sizeof(l) - 1); /* a loss report cut short */
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*write)(void);
	} seeds[] = {
		{ "c_nested", c_nested }, { "go", go }, { "named", named_spans },
		{ "reorder", reorder }, { "malformed", malformed }, { "exception", exception },
		{ "kernel", kernel }, { "lost", lost_records },
	};
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: gen_records DIR\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[1], seeds[i].name);
		out = fopen(path, "we");
		if (!out) {
			fprintf(stderr, "gen_records: cannot write %s: %s\n", path,
				strerror(errno));
			return 1;
		}
		seeds[i].write();
		if (fclose(out)) {
			fprintf(stderr, "gen_records: cannot write %s: %s\n", path,
				strerror(errno));
			return 1;
		}
	}
	return 0;
}
