// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Lost records never make a wrong span look right. Sequences of span records
 * (C calls nested by key, with recursion and a begin/end pair; C frames with
 * stack pointers and an exception unwinding them; goroutines with stack
 * depths, a call starting over and a panic; two threads at once) go through
 * the decoder whole, which gives the true spans; then again with a gap at
 * every position of every stream, of several lengths: the records of the gap
 * are left out and, as bpf/spans.bpf.c does, an ST_REC_LOST goes before the
 * stream's next record (none when the gap reaches the end). Every span
 * written without after_loss must be a true one: the same function, start,
 * end, flags and parent (the parent written is the true parent's span). A span
 * the gap left unfinished at the end says so, and its start and parent are
 * still true.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "goroutines.h"
#include "names.h"
#include "spantrace.h"
#include "stats.h"
#include "tasks.h"
#include "trace.h"

enum { P_F, P_G, P_H, P_BEGIN, P_END, NPROBES };

static struct probe probe_v[NPROBES] = {
	[P_F] = { .name = "f", .func = "f", .role = SPEC_FUNC },
	[P_G] = { .name = "g", .func = "g", .role = SPEC_FUNC },
	[P_H] = { .name = "h", .func = "h", .role = SPEC_FUNC },
	[P_BEGIN] = { .name = "begin", .func = "begin", .role = SPEC_BEGIN, .pair = 0,
		      .name_arg = -1 },
	[P_END] = { .name = "end", .func = "end", .role = SPEC_END, .pair = 0 },
};

#define PID 100
#define STACK_TOP 0x7ffff0000000ull /* C stack pointers */
#define FRAME 64		     /* bytes per frame, C and Go */
#define GO_TOP 8192		     /* a goroutine's sdepth at depth 0 */

/* --- a sequence of records -------------------------------------------------- */

/* One record of a sequence: what the BPF side would send. */
struct rec {
	uint8_t type;  /* ST_REC_SPAN_BEGIN, _END, _UNWIND, _GSPAN_BEGIN, _GSPAN_END, _GO_PANIC */
	uint32_t tid;  /* the thread */
	uint64_t goid; /* 0: the thread's own stream */
	uint32_t probe; /* UNWIND: enum st_unwind_kind */
	uint64_t sp;	/* C: stack pointer, 0 if none */
	uint32_t sdepth; /* Go: stack depth, 0 if none */
};

struct seq {
	struct rec v[256];
	size_t n;
};

static void add(struct seq *s, struct rec r)
{
	assert_true(s->n < sizeof(s->v) / sizeof(s->v[0]));
	s->v[s->n++] = r;
}

static void c_call(struct seq *s, uint8_t type, uint32_t tid, uint32_t probe, uint64_t sp)
{
	add(s, (struct rec){ .type = type, .tid = tid, .probe = probe, .sp = sp });
}

static void go_call(struct seq *s, uint8_t type, uint32_t tid, uint64_t goid, uint32_t probe,
		    uint32_t sdepth)
{
	add(s, (struct rec){ .type = type, .tid = tid, .goid = goid, .probe = probe,
			     .sdepth = sdepth });
}

/* A reproducible choice in [0, n). */
static uint32_t rnd(uint32_t *state, uint32_t n)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) % n;
}

/* Calls nested by key, depth first: recursion, repeated calls, a pair inside. */
static void c_tree(struct seq *s, uint32_t tid, uint32_t *rs, int depth)
{
	uint32_t n = depth ? rnd(rs, 3) : 4;

	for (uint32_t i = 0; i < n && s->n < 200; i++) {
		uint32_t p = rnd(rs, 4);

		if (p == 3) {
			c_call(s, ST_REC_SPAN_BEGIN, tid, P_BEGIN, 0);
			if (depth < 4)
				c_tree(s, tid, rs, depth + 1);
			c_call(s, ST_REC_SPAN_END, tid, P_END, 0);
			continue;
		}
		c_call(s, ST_REC_SPAN_BEGIN, tid, p, 0);
		if (depth < 4)
			c_tree(s, tid, rs, depth + 1);
		c_call(s, ST_REC_SPAN_END, tid, p, 0);
	}
}

static uint64_t sp_at(int depth)
{
	return STACK_TOP - (uint64_t)depth * FRAME;
}

/*
 * C frames with stack pointers (a process where exceptions unwind): f calls g
 * calls h, which throws; g's cleanup runs, f catches; then calls again, and
 * a pair around them.
 */
static void c_unwinding(struct seq *s, uint32_t tid)
{
	for (int round = 0; round < 3; round++) {
		c_call(s, ST_REC_SPAN_BEGIN, tid, P_F, sp_at(1));
		c_call(s, ST_REC_SPAN_BEGIN, tid, P_BEGIN, 0);
		c_call(s, ST_REC_SPAN_BEGIN, tid, P_G, sp_at(2));
		c_call(s, ST_REC_SPAN_BEGIN, tid, P_H, sp_at(3));
		if (round == 1) {
			add(s, (struct rec){ .type = ST_REC_UNWIND, .tid = tid,
					     .probe = ST_UNWIND_THROW, .sp = sp_at(4) });
			/* in a frame, below the sp of its entry */
			add(s, (struct rec){ .type = ST_REC_UNWIND, .tid = tid,
					     .probe = ST_UNWIND_CLEANUP, .sp = sp_at(2) - 16 });
			add(s, (struct rec){ .type = ST_REC_UNWIND, .tid = tid,
					     .probe = ST_UNWIND_CATCH, .sp = sp_at(1) - 16 });
		} else {
			c_call(s, ST_REC_SPAN_END, tid, P_H, sp_at(3));
			c_call(s, ST_REC_SPAN_END, tid, P_G, sp_at(2));
		}
		c_call(s, ST_REC_SPAN_END, tid, P_END, 0);
		c_call(s, ST_REC_SPAN_BEGIN, tid, P_G, sp_at(2));
		c_call(s, ST_REC_SPAN_END, tid, P_G, sp_at(2));
		c_call(s, ST_REC_SPAN_END, tid, P_F, sp_at(1));
	}
}

static uint32_t go_at(int depth)
{
	return GO_TOP + (uint32_t)depth * FRAME;
}

/*
 * Goroutine goid on thread tid: f calls g twice, g calls h; g's entry runs
 * again once (its stack grew); then a panic unwinds g and h, and f recovers
 * and calls g again.
 */
static void go_calls(struct seq *s, uint32_t tid, uint64_t goid)
{
	go_call(s, ST_REC_GSPAN_BEGIN, tid, goid, P_F, go_at(1));
	for (int i = 0; i < 2; i++) {
		go_call(s, ST_REC_GSPAN_BEGIN, tid, goid, P_G, go_at(2));
		if (i == 1)
			go_call(s, ST_REC_GSPAN_BEGIN, tid, goid, P_G, go_at(2)); /* again */
		go_call(s, ST_REC_GSPAN_BEGIN, tid, goid, P_H, go_at(3));
		go_call(s, ST_REC_GSPAN_END, tid, goid, P_H, go_at(3));
		go_call(s, ST_REC_GSPAN_END, tid, goid, P_G, go_at(2));
	}
	go_call(s, ST_REC_GSPAN_BEGIN, tid, goid, P_G, go_at(2));
	go_call(s, ST_REC_GSPAN_BEGIN, tid, goid, P_H, go_at(3));
	go_call(s, ST_REC_GO_PANIC, tid, goid, 0, go_at(4));
	go_call(s, ST_REC_GSPAN_BEGIN, tid, goid, P_G, go_at(2)); /* recovered in f */
	go_call(s, ST_REC_GSPAN_END, tid, goid, P_G, go_at(2));
	go_call(s, ST_REC_GSPAN_END, tid, goid, P_F, go_at(1));
}

/* --- the decoder, and the spans it writes ------------------------------------- */

struct got_span {
	uint32_t tid;
	char name[16];
	uint64_t start, end, id, parent_id;
	bool unfinished, panicked, unwound, after_loss;
};

struct trace_writer {
	struct got_span v[512];
	size_t n;
};

static void keep_span(struct trace_writer *w, const struct trace_span *s)
{
	struct got_span *g;

	assert_true(w->n < sizeof(w->v) / sizeof(w->v[0]));
	g = &w->v[w->n++];
	*g = (struct got_span){ .tid = s->tid, .start = s->start_ns,
				.end = s->start_ns + s->dur_ns, .id = s->id,
				.parent_id = s->parent_id, .unfinished = s->unfinished,
				.panicked = s->panicked, .unwound = s->unwound,
				.after_loss = s->after_loss };
	snprintf(g->name, sizeof(g->name), "%s", s->name);
}

static void no_name(struct trace_writer *w, uint32_t pid, const char *name)
{
}

static void no_thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid, const char *name)
{
}

static void no_flow(struct trace_writer *w, const struct trace_flow *fl)
{
}

static const struct trace_ops keep_ops = {
	.process_name = no_name,
	.thread_name = no_thread_name,
	.span = keep_span,
	.flow = no_flow,
};

struct run {
	struct probe_table probes;
	struct trace_writer w;
	struct decoder d;
};

static void run__start(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->probes = (struct probe_table){ .v = probe_v, .n = NPROBES };
	r->d = (struct decoder){ .probes = &r->probes, .ops = &keep_ops, .w = &r->w,
				 .target_pid = PID };
	/* window 0: each event is released as it is pushed */
	r->d.tree = spantree__new(0, decoder__on_span, decoder__on_task, &r->d);
	if (r->d.tree)
		spantree__on_drop(r->d.tree, decoder__on_drop);
	r->d.tasks = tasks__new();
	r->d.gors = gor__new();
	r->d.names = names__new();
	r->d.stats = stats__new();
	assert_true(r->d.tree && r->d.tasks && r->d.gors && r->d.names && r->d.stats);
}

static void run__end(struct run *r)
{
	spantree__free(r->d.tree);
	tasks__free(r->d.tasks);
	gor__free(r->d.gors);
	names__free(r->d.names);
	stats__free(r->d.stats);
}

/* Record i of the sequence, as the ring buffer hands it over; its time is (i + 1) us. */
static void send(struct run *r, const struct rec *x, size_t i)
{
	uint64_t ts = (i + 1) * 1000;

	if (x->type == ST_REC_SPAN_BEGIN || x->type == ST_REC_SPAN_END ||
	    x->type == ST_REC_UNWIND) {
		struct st_span c = { .hdr = { .type = x->type, .tid = x->tid, .ts = ts },
				     .pid = PID, .probe = x->probe, .sp = x->sp };

		assert_true(decoder__record(&r->d, &c, sizeof(c)));
	} else {
		struct st_gspan g = { .hdr = { .type = x->type, .tid = x->tid, .ts = ts },
				      .probe = x->probe, .sdepth = x->sdepth, .goid = x->goid,
				      .pid = PID };

		assert_true(decoder__record(&r->d, &g, sizeof(g)));
	}
}

/* --- what the BPF side sends when records are lost (bpf/spans.bpf.c) ---------- */

static bool same_stream(const struct rec *a, const struct rec *b)
{
	return a->goid ? a->goid == b->goid : !b->goid && a->tid == b->tid;
}

/* BEGIN 1, END -1: what a record does to its thread's count of frames. */
static int frames_of(const struct rec *x)
{
	return x->type == ST_REC_SPAN_BEGIN || x->type == ST_REC_GSPAN_BEGIN ? 1 :
	       x->type == ST_REC_SPAN_END || x->type == ST_REC_GSPAN_END   ? -1 :
										 0;
}

/*
 * The ST_REC_LOST the BPF side sends before record `next` of the stream of
 * records lost[0..nlost) (indexes into s), as thread_stream / gor_stream count.
 */
static struct st_lost lost_record(const struct seq *s, const size_t *lost, size_t nlost,
				  size_t next)
{
	const struct rec *first = &s->v[lost[0]];
	struct st_lost l = { .hdr = { .type = ST_REC_LOST, .tid = s->v[next].tid,
				      .ts = (next + 1) * 1000 - 1 },
			     .pid = PID, .lost = (uint32_t)nlost, .goid = first->goid };
	int frames = 0, low = 0;

	for (size_t k = 0; k < nlost; k++) {
		const struct rec *x = &s->v[lost[k]];

		if (x->goid) {
			if (!x->sdepth)
				l.flags |= ST_LOST_F_NODEPTH;
			else if (!l.sdepth || x->sdepth < l.sdepth)
				l.sdepth = x->sdepth;
			continue;
		}
		frames += frames_of(x);
		if (frames < low)
			low = frames;
		if (x->sp > l.sp)
			l.sp = x->sp;
		if (!x->sp && frames_of(x))
			l.flags |= ST_LOST_F_KEYED;
	}
	if (!first->goid) {
		l.drop = (uint32_t)(0 - low);
		l.rise = (uint32_t)(frames - low);
	}
	return l;
}

/* The sequence, with the records of stream `of` from its `from`-th on, len of them, lost. */
static void send_with_gap(struct run *r, const struct seq *s, const struct rec *of, size_t from,
			  size_t len)
{
	size_t lost[256], nlost = 0, seen = 0;
	bool told = false;

	for (size_t i = 0; i < s->n; i++) {
		const struct rec *x = &s->v[i];

		if (same_stream(x, of)) {
			if (seen >= from && seen < from + len) {
				lost[nlost++] = i;
				seen++;
				continue;
			}
			seen++;
			if (nlost && !told) {
				struct st_lost l = lost_record(s, lost, nlost, i);

				assert_true(decoder__record(&r->d, &l, sizeof(l)));
				told = true;
			}
		}
		send(r, x, i);
	}
}

/* --- the check ------------------------------------------------------------------ */

static const struct got_span *by_id(const struct trace_writer *w, uint64_t id)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].id == id)
			return &w->v[i];
	return NULL;
}

static const struct got_span *parent_of(const struct trace_writer *w, const struct got_span *g)
{
	const struct got_span *p = g->parent_id ? by_id(w, g->parent_id) : NULL;

	assert_true(!g->parent_id || p);
	return p;
}

/* Start of the parent of g in its trace (0: top-level). */
static uint64_t parent_start(const struct trace_writer *w, const struct got_span *g)
{
	const struct got_span *p = parent_of(w, g);

	return p ? p->start : 0;
}

/*
 * Whether p (in a run with a gap) is the call tp is (in the true run): it
 * began with the same record, or it was ended by the same one (a span marked
 * after_loss may have begun earlier than it shows: a goroutine's call whose
 * first entry was lost, seen when it started over).
 */
static bool same_call(const struct got_span *p, const struct got_span *tp)
{
	if (!p || !tp)
		return !p && !tp;
	return !strcmp(p->name, tp->name) &&
	       (p->start == tp->start ||
		(p->after_loss && !p->unfinished && !tp->unfinished && p->end == tp->end));
}

/*
 * The goroutine whose track is tid in run r (as 1 << 40 | goid), else tid: a
 * goroutine's track is numbered when first seen, which a gap may change.
 */
static uint64_t track_key(const struct run *r, uint32_t tid)
{
	for (uint64_t goid = 1; goid < 16 && gor__is_tid(tid); goid++) {
		const struct gor *g = gor__find(r->d.gors, PID, goid);

		if (g && g->tid == tid)
			return 1ull << 40 | goid;
	}
	return tid;
}

/* The true span that began where g did, on its thread or goroutine, or NULL. */
static const struct got_span *true_span(const struct run *truth, const struct run *r,
					const struct got_span *g)
{
	for (size_t i = 0; i < truth->w.n; i++) {
		const struct got_span *t = &truth->w.v[i];

		if (t->start == g->start && !strcmp(t->name, g->name) &&
		    track_key(truth, t->tid) == track_key(r, g->tid))
			return t;
	}
	return NULL;
}

/* The spans written with p as their parent. */
static size_t children(const struct trace_writer *w, const struct got_span *p)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n; i++)
		n += w->v[i].parent_id == p->id;
	return n;
}

/*
 * Every span of r without after_loss is true: the same call, with the same
 * parent, end and flags, and every call it made is there. Only a gap at the
 * end (nothing came after it to tell it) may leave a span unfinished, which
 * claims no end.
 */
static void check_unmarked(const struct run *truthr, const struct run *r, const char *what,
			   size_t from, size_t len, bool trailing)
{
	const struct trace_writer *truth = &truthr->w, *w = &r->w;

	for (size_t i = 0; i < w->n; i++) {
		const struct got_span *g = &w->v[i], *t;
		bool ok;

		if (g->after_loss)
			continue;
		t = true_span(truthr, r, g);
		ok = t && same_call(parent_of(w, g), parent_of(truth, t));
		if (ok && (!g->unfinished || !trailing))
			ok = g->end == t->end && g->unfinished == t->unfinished &&
			     g->panicked == t->panicked && g->unwound == t->unwound &&
			     children(w, g) == children(truth, t);
		if (!ok)
			fail_msg("%s, gap of %zu from record %zu: span %s %llu..%llu%s on %u is "
				 "not true and not marked after_loss", what, len, from, g->name,
				 (unsigned long long)g->start, (unsigned long long)g->end,
				 g->unfinished ? " (unfinished)" : "", g->tid);
	}
}

static void decode(struct run *r, const struct seq *s, const struct rec *of, size_t from,
		   size_t len)
{
	run__start(r);
	send_with_gap(r, s, of, from, len);
	spantree__finish(r->d.tree, (s->n + 1) * 1000);
}

/* Every gap of every stream of s, of lengths 1 to 8, and all the rest. */
static void check_every_gap(const struct seq *s, const char *what)
{
	static const size_t lens[] = { 1, 2, 3, 4, 5, 8, 256 };
	static struct run truth, r;
	size_t nmarked = 0, nruns = 0;

	decode(&truth, s, &s->v[0], 0, 0);
	for (size_t i = 0; i < truth.w.n; i++)
		assert_false(truth.w.v[i].after_loss);
	for (size_t si = 0; si < s->n; si++) {
		size_t nof = 0, from = 0;
		bool first = true;

		/* each stream once, at its first record */
		for (size_t j = 0; j < si; j++)
			first = first && !same_stream(&s->v[j], &s->v[si]);
		if (!first)
			continue;
		for (size_t j = 0; j < s->n; j++)
			nof += same_stream(&s->v[j], &s->v[si]);
		for (from = 0; from < nof; from++) {
			for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
				const struct spantree_stats *st;
				bool trailing = from + lens[l] >= nof;

				decode(&r, s, &s->v[si], from, lens[l]);
				check_unmarked(&truth, &r, what, from, lens[l], trailing);
				st = spantree__stats(r.d.tree);
				/* the loss is told, unless nothing came after it to tell it */
				assert_int_equal(st->lost_events, trailing ? 0 : lens[l]);
				assert_int_equal(st->lossy_tasks, trailing ? 0 : 1);
				nmarked += st->after_loss;
				nruns++;
				run__end(&r);
			}
		}
	}
	run__end(&truth);
	/* the check has teeth: gaps inside calls do mark spans */
	assert_true(nruns > 0 && nmarked > 0);
}

/* --- the tests ------------------------------------------------------------------ */

static void test_c_calls_by_key(void **state)
{
	static struct seq s;
	uint32_t rs = 7;

	s.n = 0;
	c_call(&s, ST_REC_SPAN_END, 10, P_G, 0); /* a call that began before tracing */
	while (s.n < 80)
		c_tree(&s, 10, &rs, 0);
	check_every_gap(&s, "C calls");
}

static void test_c_calls_two_threads(void **state)
{
	static struct seq a, b, s;
	uint32_t rs = 11;
	size_t i = 0, j = 0;

	a.n = b.n = s.n = 0;
	c_tree(&a, 10, &rs, 0);
	c_tree(&b, 11, &rs, 0);
	a.n = a.n > 60 ? 60 : a.n;
	b.n = b.n > 60 ? 60 : b.n;
	/* interleaved: a gap on one thread must leave the other's spans alone */
	while (i < a.n || j < b.n) {
		if (i < a.n)
			add(&s, a.v[i++]);
		if (j < b.n && (j % 3 || i >= a.n))
			add(&s, b.v[j++]);
	}
	check_every_gap(&s, "two threads");
}

static void test_c_frames_with_sp(void **state)
{
	static struct seq s;

	s.n = 0;
	c_unwinding(&s, 10);
	check_every_gap(&s, "C frames with stack pointers");
}

static void test_goroutines(void **state)
{
	static struct seq s, a, b;
	size_t i = 0, j = 0;

	a.n = b.n = s.n = 0;
	go_calls(&a, 20, 7);
	go_calls(&b, 21, 8);
	while (i < a.n || j < b.n) {
		if (i < a.n)
			add(&s, a.v[i++]);
		if (j < b.n)
			add(&s, b.v[j++]);
	}
	check_every_gap(&s, "goroutines");
}

/* A goroutine's begin/end pair has no depth: after its loss nothing of it is known again. */
static void test_goroutine_pair(void **state)
{
	static struct seq s;

	s.n = 0;
	go_call(&s, ST_REC_GSPAN_BEGIN, 20, 7, P_F, go_at(1));
	for (int i = 0; i < 3; i++) {
		go_call(&s, ST_REC_GSPAN_BEGIN, 20, 7, P_BEGIN, 0);
		go_call(&s, ST_REC_GSPAN_BEGIN, 20, 7, P_G, go_at(2));
		go_call(&s, ST_REC_GSPAN_END, 20, 7, P_G, go_at(2));
		go_call(&s, ST_REC_GSPAN_END, 20, 7, P_END, 0);
	}
	go_call(&s, ST_REC_GSPAN_END, 20, 7, P_F, go_at(1));
	check_every_gap(&s, "goroutine pair");
}

/*
 * The loss is told where it happened: spans open across it are marked, a
 * span that ended in it is closed there, unfinished, the calls after it are
 * true once the stack is known again, and the trace's end says what was lost.
 */
static void test_loss_told(void **state)
{
	struct run r;
	struct st_lost l = { .hdr = { .type = ST_REC_LOST, .tid = 10, .ts = 4500 }, .pid = PID,
			     .lost = 3, .drop = 1, .rise = 1 };
	const struct got_span *g;

	run__start(&r);
	/* f { g { [lost: END g, BEGIN g, and a call in it] h } END g, h } END f */
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 10, .probe = P_F }, 0);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 10, .probe = P_G }, 1);
	assert_true(decoder__record(&r.d, &l, sizeof(l)));
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 10, .probe = P_H }, 5);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_END, .tid = 10, .probe = P_H }, 6);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_END, .tid = 10, .probe = P_G }, 7);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 10, .probe = P_H }, 8);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_END, .tid = 10, .probe = P_H }, 9);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_END, .tid = 10, .probe = P_F }, 10);
	spantree__finish(r.d.tree, 20000);

	assert_int_equal(r.w.n, 4);
	/* g ended among the lost records: closed at the report, unfinished */
	g = &r.w.v[0];
	assert_string_equal(g->name, "g");
	assert_true(g->after_loss && g->unfinished && g->start == 2000 && g->end == 4500);
	/* h began on the g whose BEGIN was lost: its parent is not known */
	g = &r.w.v[1];
	assert_string_equal(g->name, "h");
	assert_true(g->after_loss && !g->unfinished && g->start == 6000 && g->end == 7000);
	assert_int_equal(parent_start(&r.w, g), 1000);
	/* END g ended the call of unknown key: the stack is true again, the next h too */
	g = &r.w.v[2];
	assert_string_equal(g->name, "h");
	assert_true(!g->after_loss && g->start == 9000 && g->end == 10000);
	assert_int_equal(parent_start(&r.w, g), 1000);
	/* f stayed open across the loss: true ends, but what it called is not all there */
	g = &r.w.v[3];
	assert_string_equal(g->name, "f");
	assert_true(g->after_loss && !g->unfinished && g->start == 1000 && g->end == 11000);

	assert_int_equal(spantree__stats(r.d.tree)->lost_events, 3);
	assert_int_equal(spantree__stats(r.d.tree)->lossy_tasks, 1);
	run__end(&r);
}

/*
 * A call that leaves without its END (a longjmp) throws the frame count off:
 * a task with both that and lost events is counted, for the summary to warn.
 */
static void test_leak_and_loss_counted(void **state)
{
	struct run r;
	struct st_lost l = { .hdr = { .type = ST_REC_LOST, .tid = 10, .ts = 4500 }, .pid = PID,
			     .lost = 1 };

	run__start(&r);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 10, .probe = P_F }, 0);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 10, .probe = P_G }, 1);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_END, .tid = 10, .probe = P_F }, 2); /* g left */
	assert_int_equal(spantree__stats(r.d.tree)->lossy_leaky_tasks, 0);
	assert_true(decoder__record(&r.d, &l, sizeof(l)));
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 10, .probe = P_F }, 5);
	assert_int_equal(spantree__stats(r.d.tree)->lossy_leaky_tasks, 1);
	/* another thread: the loss first, the leak after */
	l.hdr.tid = 11;
	assert_true(decoder__record(&r.d, &l, sizeof(l)));
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 11, .probe = P_F }, 6);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_BEGIN, .tid = 11, .probe = P_G }, 7);
	send(&r, &(struct rec){ .type = ST_REC_SPAN_END, .tid = 11, .probe = P_F }, 8);
	assert_int_equal(spantree__stats(r.d.tree)->lossy_leaky_tasks, 2);
	assert_int_equal(spantree__stats(r.d.tree)->lossy_tasks, 2);
	run__end(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_calls_by_key),
		cmocka_unit_test(test_c_calls_two_threads),
		cmocka_unit_test(test_c_frames_with_sp),
		cmocka_unit_test(test_goroutines),
		cmocka_unit_test(test_goroutine_pair),
		cmocka_unit_test(test_loss_told),
		cmocka_unit_test(test_leak_and_loss_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
