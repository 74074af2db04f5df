// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Every record's dispatch; span records into the span tree, spans into the trace; record
 * files. See decode.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "goroutines.h"
#include "kdecode.h"
#include "names.h"
#include "spantrace.h"
#include "stats.h"
#include "tasks.h"
#include "trace.h"

/*
 * Frame depths, of three measures (SPAN_DEPTH_KIND, spantree.h) that the span tree never
 * compares with each other: a goroutine's (from the top of its stack, which
 * moves when the runtime copies it), the Go runtime's on a thread's own
 * stack (g0, the signal stack: goroutine 0, the thread's track), and a C
 * frame's from its stack pointer (stacks grow down: a deeper frame has a
 * lower sp and gets a greater depth; x86-64 user space ends below 2^57 even
 * with 5-level paging). 0: unknown.
 */
#define SP_DEPTH_TOP (1ull << 57)

static uint64_t sp_depth(uint64_t sp)
{
	return sp && sp < SP_DEPTH_TOP ? SPAN_DEPTH_SP | (SP_DEPTH_TOP - sp) : 0;
}

static uint64_t go_depth(uint64_t goid, uint32_t sdepth)
{
	return sdepth ? (goid ? SPAN_DEPTH_GOROUTINE : SPAN_DEPTH_GO_THREAD) | sdepth : 0;
}

/* Span keys: a function's is its probe index, a pair's is above them all. */
#define PAIR_KEY(pair) (0x80000000u | (pair))
/* A name id with this bit was cut to fit (ST_NAME_F_TRUNCATED). */
#define NAME_TRUNCATED 0x80000000u

void decoder__on_task(void *ctx, uint32_t pid, uint32_t tid)
{
	struct decoder *d = ctx;

	/* a goroutine's process is named after its main thread */
	tasks__touch(d->tasks, pid, gor__is_tid(tid) ? pid : tid);
}

void decoder__on_span(void *ctx, const struct span_out *sp)
{
	struct decoder *d = ctx;
	const struct probe *p = &d->probes->v[sp->probe];
	const char *name = names__get(d->names, sp->name & ~NAME_TRUNCATED);
	struct trace_span ts = {
		.pid = sp->pid,
		.tid = sp->tid,
		.start_ns = sp->start,
		.dur_ns = sp->end - sp->start,
		.id = sp->id,
		.parent_id = sp->parent_id,
		.depth = sp->depth,
		.name = name ? name : p->name,
		.func = p->func,
		.object = p->object,
		.unfinished = sp->unfinished,
		.panicked = sp->panicked,
		.unwound = sp->unwound,
		.truncated = (sp->name & NAME_TRUNCATED) != 0,
		.after_loss = sp->after_loss,
	};

	d->ops->span(d->w, &ts);
	/* one that lost events may be a wrong call: the summary leaves it out, and says so */
	if (!sp->after_loss && !sp->unfinished && !sp->unwound)
		stats__add_id(d->stats, sp->probe, p->name, ts.dur_ns);
	else if (!sp->after_loss)
		stats__add_untimed_id(d->stats, sp->probe, p->name);
	names__put(d->names, sp->name & ~NAME_TRUNCATED); /* written: the span needs it no more */
}

void decoder__on_drop(void *ctx, uint32_t name)
{
	struct decoder *d = ctx;

	names__put(d->names, name & ~NAME_TRUNCATED);
}

uint32_t decoder__key(const struct probe_table *pt, uint32_t i)
{
	const struct probe *p = &pt->v[i];

	return p->role == SPEC_FUNC ? i : PAIR_KEY(p->pair);
}

/* The span tree key of a record of probe i. */
static uint32_t probe_key(const struct decoder *d, uint32_t i)
{
	return decoder__key(d->probes, i);
}

/*
 * The process of a Go record: its own; in a record file saved before Go
 * records had one (ST_GSPAN_SIZE_NOPID bytes), its thread's, as the thread's
 * ST_REC_TASK named it (the target's if none did).
 */
static uint32_t gspan_pid(const struct decoder *d, const struct st_gspan *r, size_t size)
{
	const struct task *t;

	if (size >= sizeof(*r) && r->pid)
		return r->pid;
	t = tasks__get(d->tasks, r->hdr.tid);
	return t ? t->pid : d->target_pid;
}

/* The track of goroutine goid, named on first use. */
static uint32_t gor_track(struct decoder *d, uint32_t pid, uint64_t goid)
{
	struct gor *g = gor__get(d->gors, pid, goid);
	char name[48];

	if (!g)
		return 0;
	if (!g->named) {
		g->named = true;
		snprintf(name, sizeof(name), "goroutine %llu", (unsigned long long)goid);
		d->ops->thread_name(d->w, pid, g->tid, name);
	}
	return g->tid;
}

/*
 * The track a span record of goroutine goid goes on. The first time, the
 * arrow from the goroutine that created it (the parent's track is named and
 * shown even if it has no span of its own: it is where the work came from).
 */
static uint32_t gor_span_track(struct decoder *d, uint32_t pid, uint64_t goid)
{
	struct gor *g = gor__find(d->gors, pid, goid);
	uint64_t parent, ts;
	uint32_t tid, ptid;

	if (!g || !g->created)
		return gor_track(d, pid, goid);
	parent = g->parent_goid;
	ts = g->created_ts;
	g->created = false;
	tid = gor_track(d, pid, goid);
	ptid = gor_track(d, pid, parent);
	if (tid && ptid) {
		struct trace_flow fl = { .from_pid = pid, .from_tid = ptid, .to_pid = pid,
					 .to_tid = tid, .ts_ns = ts, .kind = TRACE_GOROUTINE };

		d->ops->flow(d->w, &fl);
	}
	return tid;
}

static void on_go_record(struct decoder *d, const struct st_hdr *h, const void *data, size_t size)
{
	struct span_ev ev = { .ts = h->ts };

	switch (h->type) {
	case ST_REC_GO_CREATE: {
		const struct st_gocreate *r = data;
		struct gor *g;

		if (!r->parent_goid || !r->child_goid)
			return; /* made by the runtime itself (g0), or unreadable */
		g = gor__get(d->gors, r->pid, r->child_goid);
		if (g) {
			g->created = true;
			g->parent_goid = r->parent_goid;
			g->created_ts = h->ts;
		}
		d->ngo_created++;
		return;
	}
	case ST_REC_GO_EXIT:
	case ST_REC_GO_PANIC: {
		const struct st_gspan *r = data;
		uint32_t pid = gspan_pid(d, r, size);
		struct gor *g = gor__find(d->gors, pid, r->goid);

		if (h->type == ST_REC_GO_PANIC)
			d->ngo_panics++;
		if (!g)
			return;
		if (g->named) {
			ev.pid = pid;
			ev.tid = g->tid;
			ev.kind = h->type == ST_REC_GO_EXIT ? SPAN_EV_EXIT : SPAN_EV_PANIC;
			spantree__push(d->tree, &ev);
		}
		if (h->type == ST_REC_GO_EXIT)
			gor__remove(d->gors, pid, r->goid); /* goids are never reused */
		return;
	}
	}
}

/* The name id of a named BEGIN, 0 if none could be read (then: the function's). */
static uint32_t name_of(struct decoder *d, const struct st_nspan *r)
{
	char buf[ST_NAME_LEN];
	bool cut = r->nflags & ST_NAME_F_TRUNCATED;
	uint32_t id;

	if (r->nflags & ST_NAME_F_FAULT) {
		/* the uprobe could not read it (a page not yet touched): the loader can */
		ssize_t n = d->live ? d->live->read_string(d->live->ctx, r->pid, r->ptr, r->len,
							   buf, &cut) :
				      -1;

		if (n < 0) {
			d->name_faults++;
			return 0;
		}
		id = names__intern(d->names, buf, (size_t)n);
	} else {
		id = names__intern(d->names, r->name, r->len);
	}
	if (!id)
		d->names_dropped++; /* too many held at once: the function's name it is */
	return id && cut ? id | NAME_TRUNCATED : id;
}

/*
 * Completes a BEGIN or END of probe from process pid and pushes it: on the
 * track of goroutine goid when it is one (0: the thread's own, ev->tid).
 */
static bool push_span(struct decoder *d, struct span_ev *ev, uint32_t probe, uint32_t pid,
		      uint64_t goid)
{
	if (probe >= d->probes->n)
		return false;
	ev->pid = pid;
	if (goid)
		ev->tid = gor_span_track(d, pid, goid) ?: ev->tid;
	ev->key = probe_key(d, probe);
	ev->probe = probe;
	spantree__push(d->tree, ev);
	return true;
}

/* The smallest size of each span record type (decoder__record's); 0: not one. */
static const uint8_t span_record_min_size[] = {
	[ST_REC_SPAN_BEGIN] = sizeof(struct st_span),
	[ST_REC_SPAN_END] = sizeof(struct st_span),
	[ST_REC_TASK] = sizeof(struct st_task),
	[ST_REC_GSPAN_BEGIN] = ST_GSPAN_SIZE_NOPID,
	[ST_REC_GSPAN_END] = ST_GSPAN_SIZE_NOPID,
	[ST_REC_SPAN_NAMED] = sizeof(struct st_nspan),
	[ST_REC_GO_CREATE] = sizeof(struct st_gocreate),
	[ST_REC_GO_EXIT] = ST_GSPAN_SIZE_NOPID,
	[ST_REC_GO_PANIC] = ST_GSPAN_SIZE_NOPID,
	[ST_REC_UNWIND] = sizeof(struct st_span),
	[ST_REC_LOST] = sizeof(struct st_lost),
};

/* The on_*_record of span records: ev has the header's time and thread; false: malformed. */
static bool on_span_record(struct decoder *d, struct span_ev *ev, const struct st_hdr *h,
			   const struct st_span *r)
{
	ev->kind = h->type == ST_REC_SPAN_BEGIN ? SPAN_EV_BEGIN : SPAN_EV_END;
	ev->sdepth = sp_depth(r->sp);
	return push_span(d, ev, r->probe, r->pid, 0);
}

/* An exception's step (thrown, a frame cleaned up, caught): probe says which. */
static bool on_unwind_record(struct decoder *d, struct span_ev *ev, const struct st_span *r)
{
	static const uint8_t kinds[] = { [ST_UNWIND_CLEANUP] = SPAN_EV_CLEANUP,
					 [ST_UNWIND_CATCH] = SPAN_EV_CATCH,
					 [ST_UNWIND_THROW] = SPAN_EV_THROW };

	if (r->probe >= sizeof(kinds))
		return false;
	ev->kind = kinds[r->probe];
	ev->pid = r->pid;
	ev->sdepth = sp_depth(r->sp);
	spantree__push(d->tree, ev);
	if (ev->kind == SPAN_EV_THROW)
		d->nexceptions++;
	return true;
}

static bool on_gspan_record(struct decoder *d, struct span_ev *ev, const struct st_hdr *h,
			    const struct st_gspan *r, size_t size)
{
	ev->kind = h->type == ST_REC_GSPAN_BEGIN ? SPAN_EV_BEGIN : SPAN_EV_END;
	ev->sdepth = go_depth(r->goid, r->sdepth);
	return push_span(d, ev, r->probe, gspan_pid(d, r, size), r->goid);
}

static bool on_named_record(struct decoder *d, struct span_ev *ev, const struct st_nspan *r)
{
	if (r->probe >= d->probes->n || r->len > ST_NAME_LEN)
		return false;
	ev->kind = SPAN_EV_BEGIN;
	ev->sdepth = r->sp ? sp_depth(r->sp) : go_depth(r->goid, r->sdepth);
	ev->name = name_of(d, r);
	return push_span(d, ev, r->probe, r->pid, r->goid);
}

/*
 * Records of a stream were lost before this point (st_lost): a GAP on its
 * track, saying what the span tree can know of them (spantree.h). A
 * goroutine's depth is all there is to tell by (its stream has no count of
 * frames); one that lost a record without a depth keeps nothing open as
 * known. A thread's frame count is used whenever a lost BEGIN or END had no
 * stack pointer; when all had one, the depth tells better (an exception
 * unwinds frames the count still holds).
 */
static bool on_lost_record(struct decoder *d, struct span_ev *ev, const struct st_lost *r)
{
	bool keyed = (r->flags & ST_LOST_F_KEYED) || !r->sp;

	ev->kind = SPAN_EV_GAP;
	ev->pid = r->pid;
	ev->lost = r->lost;
	if (r->goid) {
		bool nodepth = (r->flags & ST_LOST_F_NODEPTH) || !r->sdepth;

		ev->tid = gor_span_track(d, r->pid, r->goid);
		if (!ev->tid)
			return true; /* out of memory: that goroutine has no track */
		ev->sdepth = nodepth ? 0 : go_depth(r->goid, r->sdepth);
		ev->drop = nodepth ? UINT32_MAX : 0;
		ev->rise = nodepth ? UINT32_MAX : 0;
	} else {
		ev->sdepth = sp_depth(r->sp);
		ev->drop = r->drop;
		ev->rise = keyed ? r->rise : 0;
	}
	spantree__push(d->tree, ev);
	return true;
}

static void on_task_record(struct decoder *d, const struct st_hdr *h, const struct st_task *r)
{
	struct task *t = tasks__add(d->tasks, r->pid, h->tid);

	if (t)
		tasks__set_comm(t, r->comm);
}

bool decoder__record(struct decoder *d, const void *data, size_t size)
{
	const struct st_hdr *h = data;
	struct span_ev ev = { 0 };
	bool ok = true;

	if (size < sizeof(*h)) {
		d->bad_records++;
		return false;
	}
	if (h->type >= sizeof(span_record_min_size) || !span_record_min_size[h->type]) {
		/* not a span record: a kernel event, or no known type */
		ok = kdecode__record(d, data, size);
		if (!ok)
			d->bad_records++;
		return ok;
	}
	if (size < span_record_min_size[h->type]) {
		d->bad_records++;
		return false;
	}
	ev.ts = h->ts;
	ev.tid = h->tid;
	switch (h->type) {
	case ST_REC_SPAN_BEGIN:
	case ST_REC_SPAN_END:
		ok = on_span_record(d, &ev, h, data);
		break;
	case ST_REC_UNWIND:
		ok = on_unwind_record(d, &ev, data);
		break;
	case ST_REC_GSPAN_BEGIN:
	case ST_REC_GSPAN_END:
		ok = on_gspan_record(d, &ev, h, data, size);
		break;
	case ST_REC_SPAN_NAMED:
		ok = on_named_record(d, &ev, data);
		break;
	case ST_REC_GO_CREATE:
	case ST_REC_GO_EXIT:
	case ST_REC_GO_PANIC:
		on_go_record(d, h, data, size);
		break;
	case ST_REC_TASK:
		on_task_record(d, h, data);
		break;
	case ST_REC_LOST:
		ok = on_lost_record(d, &ev, data);
		break;
	}
	if (!ok)
		d->bad_records++;
	return ok;
}

/* One task's names in the trace; see decoder__name_tasks. */
static void name_task(void *ctx, struct task *t)
{
	struct decoder *d = ctx;
	char buf[TASK_COMM_LEN + 1];

	if (!t->in_trace)
		return;
	if (!t->exited && d->live && d->live->comm) {
		/* alive: a prctl() rename since its last record shows there */
		d->live->comm(d->live->ctx, t->tid, buf, sizeof(buf));
		if (buf[0])
			tasks__set_comm(t, buf);
	}
	if (!t->comm[0])
		snprintf(t->comm, sizeof(t->comm), "tid %u", t->tid);
	d->ops->thread_name(d->w, t->pid, t->tid, t->comm);
	if (t->tid == t->pid)
		d->ops->process_name(d->w, t->pid, t->comm);
}

/* Tasks to name, in (pid, tid) order: the trace's end does not depend on hashing. */
struct task_list {
	struct task **v;
	size_t n;
};

static void collect_task(void *ctx, struct task *t)
{
	struct task_list *l = ctx;

	if (t->in_trace)
		l->v[l->n++] = t;
}

static int task_cmp(const void *a, const void *b)
{
	const struct task *x = *(struct task *const *)a, *y = *(struct task *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

void decoder__tell_loss(struct decoder *d, uint64_t dropped)
{
	const struct spantree_stats *st = spantree__stats(d->tree);
	struct trace_loss l = {
		.events = dropped > st->lost_events ? dropped : st->lost_events,
		.tasks = st->lossy_tasks,
		.after_loss = st->after_loss,
	};

	if (l.events)
		d->ops->loss(d->w, &l);
}

void decoder__name_tasks(struct decoder *d)
{
	struct task_list l = { .v = malloc((tasks__count(d->tasks) + 1) * sizeof(*l.v)) };

	if (!l.v) { /* out of memory: named all the same, in the table's order */
		tasks__foreach(d->tasks, name_task, d);
		return;
	}
	tasks__foreach(d->tasks, collect_task, &l);
	qsort(l.v, l.n, sizeof(*l.v), task_cmp);
	for (size_t i = 0; i < l.n; i++)
		name_task(d, l.v[i]);
	free(l.v);
}

void decoder__forget_tasks(struct decoder *d, uint64_t now_ns)
{
	/* named now: at the end they will not be there to name */
	if (now_ns > TASKS_FORGET_AFTER_NS)
		tasks__forget(d->tasks, now_ns - TASKS_FORGET_AFTER_NS, name_task, d);
}
