/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Task/span tree builder: a reorder buffer in front of one stack of open
 * spans per task.
 *
 * Events of different CPUs reach userspace out of order; holding each one
 * until an event window_ns newer has arrived puts them back in time order
 * before the per-task stacks see them. Arrival order breaks ts ties so that a
 * BEGIN and END with equal timestamps keep the order they were produced in.
 *
 * The buffer is a priority queue on (ts, arrival) in two parts: a sorted FIFO
 * for events that arrive in order or nearly so (at most FIFO_SHIFT_MAX places
 * back), and a binary min-heap for the rest. Release takes the smaller of the
 * two heads, so the order is exactly that of a single heap. The split is for
 * speed: one BPF ring buffer delivers almost everything in order, and at 10M
 * events/s a 2 ms window holds 2*10^4 events, which a heap alone pays ~14
 * mispredicted levels per pop for (~12M events/s at best, versus ~45M with the
 * FIFO taking in-order input).
 *
 * Steady state does no allocation: the buffers, the task table and the stacks
 * only grow to their high-water mark, and the buffers and stacks shrink again
 * when they fall well below it, so a burst does not pin memory for the rest
 * of a long run. A task that exits keeps its place (an event of its tid may
 * still come: it finds it) until exited tasks are half the table, which is
 * then compacted, in order, and the index follows.
 */
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "spantree.h"

#define BUF_MIN_CAP 1024 /* FIFO and heap; power of two */
/* How far back an arrival may be placed in the FIFO before it goes to the heap. */
#define FIFO_SHIFT_MAX 32
#define STACK_MIN_CAP 4
/* Stacks shrink only above this; smaller ones are kept for reuse. */
#define STACK_KEEP_CAP 256
#define INDEX_MIN_BITS 6
#define TASKS_MIN_CAP 16
/* Exited tasks are let go when there are at least this many, and half the table. */
#define DEAD_MIN 64

/* A buffered event; seq is the arrival order, the tie-breaker for equal ts. */
struct buf_ev {
	uint64_t ts;
	uint64_t seq;
	uint64_t sdepth;
	uint32_t pid, tid;
	union {
		uint32_t key;
		uint32_t drop;
	};
	union {
		uint32_t probe;
		uint32_t rise;
	};
	union {
		uint32_t name;
		uint32_t lost;
	};
	uint8_t kind;
};

/* Its parent's id is not kept: the parent is the open span below it on the stack. */
struct open_span {
	uint64_t start;
	uint64_t sdepth;
	uint64_t id;
	uint32_t key, probe, name;
	uint32_t gap;	 /* its task's gaps when it began: begun since the last if equal */
	bool after_loss; /* to be written so */
	bool detached; /* its function is no longer probed: ends once nothing is open above it */
};

/*
 * A task as the span tree sees it: its stack of open spans and where its
 * events have got to (the task table of tasks.h holds what else is known of it).
 */
struct task_stack {
	uint64_t last_ts;  /* newest event of this task released so far */
	uint64_t panic_ts; /* its last PANIC, 0 if none */
	uint64_t throw_ts; /* its exception in flight (THROW, until the CATCH), 0 if none */
	struct open_span *stack;
	uint32_t depth, cap;
	uint32_t pid, tid;
	/* Lost events (spantree.h): gaps so far, and until synchronised, the calls of
	 * unknown key open below the spans begun since the last (UINT32_MAX: unknown),
	 * and the depth from which calls may be open unseen (0: none). */
	uint32_t gaps;
	uint32_t unknown;
	uint64_t unknown_depth;
	bool leaked; /* a call without a depth left without its END (spantree__note_leak) */
	bool dead; /* exited: let go at the next compaction unless an event revives it */
};

struct spantree {
	uint64_t window_ns;
	uint64_t newest; /* newest ts pushed */
	uint64_t seq;
	uint64_t last_id; /* of the last span begun */

	/* In-order arrivals: a ring, sorted by construction. cap is 0 or a power of two. */
	struct buf_ev *fifo;
	size_t fifo_head, fifo_len, fifo_cap;
	/* Out-of-order arrivals: binary min-heap on (ts, seq). */
	struct buf_ev *heap;
	size_t heap_len, heap_cap;

	/* Tasks in first-release order, and where each tid is among them. */
	struct task_stack *tasks;
	uint32_t ntasks, tasks_cap;
	struct hashtab index; /* of struct task_pos */
	uint32_t last_task; /* position of the last task looked up: runs of one task are common */
	uint32_t ndead;	    /* tasks marked dead, still in the table */

	/* Keys of detached functions, ascending: their later events are ignored. */
	uint32_t *detached;
	size_t ndetached;

	spantree_sink_fn sink;
	spantree_task_fn on_task;
	spantree_drop_fn on_drop;
	void *ctx;
	struct spantree_stats stats;
};

/* --- reorder buffer -------------------------------------------------------- */

static inline bool buf_ev__before(const struct buf_ev *a, const struct buf_ev *b)
{
	/* Bitwise, not short-circuit: lets the sift-down pick a child without a branch. */
	return (a->ts < b->ts) | ((a->ts == b->ts) & (a->seq < b->seq));
}

/* Moves the ring's contents to a new array of cap entries (cap >= fifo_len). */
static bool spantree__fifo_resize(struct spantree *t, size_t cap)
{
	struct buf_ev *f = malloc(cap * sizeof(*f));
	size_t first;

	if (!f)
		return false;
	first = t->fifo_cap - t->fifo_head;
	if (first > t->fifo_len)
		first = t->fifo_len;
	if (t->fifo_len) {
		memcpy(f, t->fifo + t->fifo_head, first * sizeof(*f));
		memcpy(f + first, t->fifo, (t->fifo_len - first) * sizeof(*f));
	}
	free(t->fifo);
	t->fifo = f;
	t->fifo_cap = cap;
	t->fifo_head = 0;
	return true;
}

/*
 * Inserts e into the FIFO if its place is among the last FIFO_SHIFT_MAX
 * entries, shifting the later ones up. Producers racing between stamping and
 * reserving their records displace events by a few places: these stay out of
 * the heap, where they would cost O(log n) for the whole window.
 */
static bool spantree__fifo_insert(struct spantree *t, const struct buf_ev *e)
{
	size_t mask, i, n;

	if (t->fifo_len == t->fifo_cap &&
	    !spantree__fifo_resize(t, t->fifo_cap ? t->fifo_cap * 2 : BUF_MIN_CAP))
		return false;
	mask = t->fifo_cap - 1;
	i = t->fifo_head + t->fifo_len;
	/* Far out of place (a whole batch of another CPU): one look decides. */
	if (t->fifo_len > FIFO_SHIFT_MAX && t->fifo[(i - 1 - FIFO_SHIFT_MAX) & mask].ts > e->ts)
		return false;
	/* e has the highest seq yet: it goes after every entry with ts <= e->ts. */
	for (n = 0; n < t->fifo_len && t->fifo[(i - 1 - n) & mask].ts > e->ts; n++)
		;
	for (; n > 0; n--, i--)
		t->fifo[i & mask] = t->fifo[(i - 1) & mask];
	t->fifo[i & mask] = *e;
	t->fifo_len++;
	return true;
}

static void spantree__fifo_pop(struct spantree *t, struct buf_ev *out)
{
	*out = t->fifo[t->fifo_head];
	t->fifo_head = (t->fifo_head + 1) & (t->fifo_cap - 1);
	t->fifo_len--;
	/* Give back memory after a burst; the 1/4 threshold keeps this amortised O(1). */
	if (t->fifo_cap > BUF_MIN_CAP && t->fifo_len < t->fifo_cap / 4)
		spantree__fifo_resize(t, t->fifo_cap / 2); /* on failure keep the larger one */
}

static bool spantree__heap_insert(struct spantree *t, const struct buf_ev *e)
{
	struct buf_ev *h = t->heap;
	size_t i;

	if (t->heap_len == t->heap_cap) {
		size_t cap = t->heap_cap ? t->heap_cap * 2 : BUF_MIN_CAP;

		h = realloc(t->heap, cap * sizeof(*h));
		if (!h)
			return false;
		t->heap = h;
		t->heap_cap = cap;
	}
	for (i = t->heap_len++; i > 0;) {
		size_t p = (i - 1) / 2;

		if (!buf_ev__before(e, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = *e;
	return true;
}

/*
 * Removes the minimum into *out. Floyd's variant: walk the hole down to a leaf
 * along the smaller children, then sift the last element up from there. The
 * last element is usually among the newest, so it rarely moves up, and this
 * saves one comparison per level over the textbook sift-down.
 */
static void spantree__heap_pop(struct spantree *t, struct buf_ev *out)
{
	struct buf_ev *h = t->heap;
	struct buf_ev last;
	size_t n, i = 0, c;

	*out = h[0];
	n = --t->heap_len;
	if (n) {
		last = h[n];
		for (c = 1; c < n; c = 2 * i + 1) {
			if (c + 1 < n)
				c += buf_ev__before(&h[c + 1], &h[c]);
			h[i] = h[c];
			i = c;
		}
		while (i > 0) {
			size_t p = (i - 1) / 2;

			if (!buf_ev__before(&last, &h[p]))
				break;
			h[i] = h[p];
			i = p;
		}
		h[i] = last;
	}
	/* As for the FIFO: shrink at 1/4 full, to half. */
	if (t->heap_cap > BUF_MIN_CAP && t->heap_len < t->heap_cap / 4) {
		size_t cap = t->heap_cap / 2;

		h = realloc(t->heap, cap * sizeof(*h));
		if (h) {
			t->heap = h;
			t->heap_cap = cap;
		}
	}
}

/* Removes the oldest buffered event if its ts <= upto. */
static bool spantree__buf_pop(struct spantree *t, uint64_t upto, struct buf_ev *out)
{
	const struct buf_ev *f = t->fifo_len ? &t->fifo[t->fifo_head] : NULL;
	const struct buf_ev *h = t->heap_len ? &t->heap[0] : NULL;

	if (f && (!h || buf_ev__before(f, h))) {
		if (f->ts > upto)
			return false;
		spantree__fifo_pop(t, out);
		return true;
	}
	if (!h || h->ts > upto)
		return false;
	spantree__heap_pop(t, out);
	return true;
}

/* --- tasks ----------------------------------------------------------------- */

/* A task's place in the table of tasks. */
struct task_pos {
	uint32_t tid;
	uint32_t pos;
};

static inline uint64_t spantree__tid_hash(uint32_t tid)
{
	return hashtab__hash_u64(tid);
}

static bool spantree__tid_eq(const void *entry, const void *key)
{
	return ((const struct task_pos *)entry)->tid == *(const uint32_t *)key;
}

static struct task_pos *spantree__pos_of(const struct spantree *t, uint32_t tid)
{
	return hashtab__find(&t->index, spantree__tid_hash(tid), spantree__tid_eq, &tid);
}

static struct task_stack *spantree__task_new(struct spantree *t, uint32_t pid, uint32_t tid)
{
	struct task_pos *at;
	struct task_stack *k;

	if (t->ntasks == t->tasks_cap) {
		uint32_t cap = t->tasks_cap ? t->tasks_cap * 2 : TASKS_MIN_CAP;

		k = realloc(t->tasks, (size_t)cap * sizeof(*k));
		if (!k)
			return NULL;
		t->tasks = k;
		t->tasks_cap = cap;
	}
	at = hashtab__add(&t->index, spantree__tid_hash(tid));
	if (!at)
		return NULL;
	at->tid = tid;
	at->pos = t->ntasks;
	k = &t->tasks[t->ntasks];
	memset(k, 0, sizeof(*k));
	k->pid = pid;
	k->tid = tid;
	t->last_task = t->ntasks++;
	t->stats.tasks++;
	t->stats.live_tasks++;
	if (t->on_task)
		t->on_task(t->ctx, pid, tid);
	return k;
}

/* An exited task has an event again (it arrived late, or its tid was reused). */
static inline struct task_stack *spantree__revive(struct spantree *t, struct task_stack *k)
{
	if (k->dead) {
		k->dead = false;
		t->ndead--;
		t->stats.live_tasks++;
	}
	return k;
}

/* Returns the task of tid, creating it on first sight; NULL only when out of memory. */
static struct task_stack *spantree__task_get(struct spantree *t, uint32_t pid, uint32_t tid)
{
	struct task_pos *at;

	if (t->last_task < t->ntasks && t->tasks[t->last_task].tid == tid)
		return spantree__revive(t, &t->tasks[t->last_task]);
	at = spantree__pos_of(t, tid);
	if (at) {
		t->last_task = at->pos;
		return spantree__revive(t, &t->tasks[t->last_task]);
	}
	return spantree__task_new(t, pid, tid);
}

static void spantree__deliver(struct spantree *t, const struct task_stack *k, uint32_t depth,
			      uint64_t end, bool unfinished, bool panicked, bool unwound)
{
	const struct open_span *o = &k->stack[depth];
	struct span_out s = {
		.pid = k->pid,
		.tid = k->tid,
		.key = o->key,
		.probe = o->probe,
		.name = o->name,
		.depth = depth,
		.id = o->id,
		.parent_id = depth ? k->stack[depth - 1].id : 0,
		.start = o->start,
		/* A late END may predate its BEGIN: never emit a negative duration. */
		.end = end < o->start ? o->start : end,
		.unfinished = unfinished,
		.panicked = panicked,
		.unwound = unwound,
		.after_loss = o->after_loss,
	};

	t->stats.spans++;
	if (unfinished)
		t->stats.unfinished++;
	if (unwound)
		t->stats.exceptions++;
	if (o->after_loss)
		t->stats.after_loss++;
	t->sink(t->ctx, &s);
}

/* Pops the innermost open span of k and delivers it. */
static void spantree__pop(struct spantree *t, struct task_stack *k, uint64_t end,
			  bool unfinished, bool panicked, bool unwound)
{
	k->depth--;
	spantree__deliver(t, k, k->depth, end, unfinished, panicked, unwound);
	/* Shrink after deep recursion so one burst does not pin the memory. */
	if (k->cap > STACK_KEEP_CAP && k->depth < k->cap / 4) {
		struct open_span *s = realloc(k->stack, (k->cap / 2) * sizeof(*s));

		if (s) {
			k->stack = s;
			k->cap /= 2;
		}
	}
}

/* Ends the detached spans on top of k's stack at end: nothing open above them shows them alive. */
static void spantree__pop_detached(struct spantree *t, struct task_stack *k, uint64_t end)
{
	while (k->depth && k->stack[k->depth - 1].detached) {
		t->stats.detached++;
		spantree__pop(t, k, end, true, false, false);
	}
}

/*
 * Pops the innermost open span of k and delivers it, then the detached spans
 * it was the last open call of.
 */
static void spantree__close_top(struct spantree *t, struct task_stack *k, uint64_t end,
				bool unfinished, bool panicked, bool unwound)
{
	spantree__pop(t, k, end, unfinished, panicked, unwound);
	spantree__pop_detached(t, k, end);
}

static void spantree__close_all(struct spantree *t, struct task_stack *k, uint64_t end)
{
	while (k->depth)
		spantree__close_top(t, k, end, true, false, false);
}

/*
 * Closes the open spans from the top down to position i: they lost their END
 * (their frames were unwound, or the END was dropped). They end at the task's
 * last panic if it came after they began, else at ts.
 */
static void spantree__cut(struct spantree *t, struct task_stack *k, uint32_t i, uint64_t ts,
			  bool unwound)
{
	while (k->depth > i) {
		const struct open_span *o = &k->stack[k->depth - 1];
		bool panicked = k->panic_ts && k->panic_ts >= o->start && k->panic_ts <= ts;
		/* an exception in flight since before it began passed it */
		bool thrown = k->throw_ts && k->throw_ts >= o->start && k->throw_ts <= ts;

		if (unwound && !thrown)
			t->stats.unwound++;
		spantree__close_top(t, k, panicked ? k->panic_ts : ts, !thrown, panicked, thrown);
	}
}

/* Position of the outermost open span whose frame is at depth >= sdepth, or k->depth. */
static uint32_t spantree__dead_from(const struct task_stack *k, uint64_t sdepth, bool inclusive)
{
	uint32_t i;

	for (i = 0; i < k->depth; i++) {
		uint64_t d = k->stack[i].sdepth;

		if (d && SPAN_DEPTH_KIND(d) == SPAN_DEPTH_KIND(sdepth) &&
		    (d > sdepth || (inclusive && d == sdepth)))
			return i;
	}
	return k->depth;
}

/* A BEGIN that makes no span goes back to the caller. */
static void spantree__drop(struct spantree *t, const struct buf_ev *e)
{
	if (t->on_drop)
		t->on_drop(t->ctx, e->name);
}

/* Whether every call open on k is on its stack (no events lost since, or resynchronised). */
static inline bool spantree__synced(const struct task_stack *k)
{
	return !k->unknown && !k->unknown_depth;
}

/* An event at depth sdepth: calls open unseen at unknown_depth or deeper have returned. */
static void spantree__sync_depth(struct task_stack *k, uint64_t sdepth)
{
	if (k->unknown_depth && sdepth && SPAN_DEPTH_KIND(sdepth) == SPAN_DEPTH_KIND(k->unknown_depth) &&
	    sdepth <= k->unknown_depth)
		k->unknown_depth = 0;
}

/* Open spans at the top of k begun since its last gap: they sit on the calls of unknown key. */
static uint32_t spantree__since_gap(const struct task_stack *k)
{
	uint32_t n = 0;

	while (n < k->depth && k->stack[k->depth - 1 - n].gap == k->gaps)
		n++;
	return n;
}

static void spantree__begin(struct spantree *t, struct task_stack *k, const struct buf_ev *e)
{
	/* On a goroutine, the entry at the very depth lost events reached may be a lost
	 * call starting over (see below): its start is not known. */
	bool restart = k->unknown_depth && e->sdepth == k->unknown_depth &&
		       SPAN_DEPTH_KIND(e->sdepth) == SPAN_DEPTH_KIND(SPAN_DEPTH_GOROUTINE);
	struct open_span *o;
	uint32_t i;

	spantree__sync_depth(k, e->sdepth);
	if (e->sdepth) {
		i = spantree__dead_from(k, e->sdepth, true);
		o = i < k->depth ? &k->stack[i] : NULL;
		/*
		 * The entry again, at the same depth, with no panic since: the
		 * function found its stack too small, had the runtime copy it to
		 * a bigger one, and started over. Still the same call; what it
		 * called on the way (the runtime's morestack, which never
		 * returns) is gone.
		 */
		if (o && o->sdepth == e->sdepth && o->key == e->key &&
		    SPAN_DEPTH_KIND(e->sdepth) == SPAN_DEPTH_KIND(SPAN_DEPTH_GOROUTINE) &&
		    !(k->panic_ts && k->panic_ts >= o->start) &&
		    !(k->throw_ts && k->throw_ts >= o->start)) {
			t->stats.reentries++;
			spantree__cut(t, k, i + 1, e->ts, true);
			spantree__drop(t, e);
			return;
		}
		/* A call at depth d: every frame at d or deeper has returned or been unwound. */
		spantree__cut(t, k, i, e->ts, true);
	}
	if (k->depth == k->cap) {
		uint32_t cap = k->cap ? k->cap * 2 : STACK_MIN_CAP;
		struct open_span *s = realloc(k->stack, (size_t)cap * sizeof(*s));

		/* Out of memory: drop the BEGIN; its END will count as an orphan. */
		if (!s) {
			spantree__drop(t, e);
			return;
		}
		k->stack = s;
		k->cap = cap;
	}
	o = &k->stack[k->depth++];
	o->start = e->ts;
	o->key = e->key;
	o->probe = e->probe;
	o->name = e->name;
	o->sdepth = e->sdepth;
	o->detached = false;
	o->id = ++t->last_id;
	o->gap = k->gaps;
	/* its parent may be a call lost events began, unless one begun since is below it */
	o->after_loss = restart || (!spantree__synced(k) && (k->depth < 2 || o[-1].gap != k->gaps));
	if (k->depth > t->stats.max_depth)
		t->stats.max_depth = k->depth;
}

/*
 * An END while calls of unknown key are open below the spans begun since the
 * last gap (bottom: the lowest of those): it may match only those. If none
 * does (false: one does), it ends the innermost call of unknown key, and
 * every span begun since (above it) is gone.
 */
static bool spantree__end_unsynced(struct spantree *t, struct task_stack *k, const struct buf_ev *e,
				   uint32_t bottom)
{
	uint32_t i = k->depth;

	while (i > bottom && k->stack[i - 1].key != e->key)
		i--;
	if (i > bottom)
		return false;
	spantree__cut(t, k, bottom, e->ts, false);
	if (k->unknown != UINT32_MAX)
		k->unknown--;
	return true;
}

/*
 * Calls without a depth left k without their END (a longjmp, an exit no probe
 * sees): the count of frames lost events are told by (SPAN_EV_GAP) then holds
 * calls that are gone, and a gap on k may leave a span unmarked that is not
 * true. Counted once per task that has both.
 */
static void spantree__note_leak(struct spantree *t, struct task_stack *k)
{
	if (!k->leaked && k->gaps)
		t->stats.lossy_leaky_tasks++;
	k->leaked = true;
}

static void spantree__end(struct spantree *t, struct task_stack *k, const struct buf_ev *e)
{
	uint32_t i = k->depth;

	spantree__sync_depth(k, e->sdepth);
	/* With calls of unknown key open, an END must not reach below what began since
	 * the gap. Calls open unseen only at a depth leave the others: an END with a
	 * depth matches exactly, one without (a pair) is not theirs. */
	if (k->unknown && spantree__end_unsynced(t, k, e, k->depth - spantree__since_gap(k)))
		return;
	while (i > 0 && (k->stack[i - 1].key != e->key ||
			 (e->sdepth && k->stack[i - 1].sdepth && k->stack[i - 1].sdepth != e->sdepth)))
		i--;
	if (i == 0) {
		/* The call began before tracing started; frames deeper than it are gone. */
		t->stats.orphan_ends++;
		if (e->sdepth)
			spantree__cut(t, k, spantree__dead_from(k, e->sdepth, false), e->ts, true);
		return;
	}
	/* Spans above the match lost their END; they cannot have outlived their parent. */
	if (i < k->depth && !e->sdepth)
		spantree__note_leak(t, k);
	spantree__cut(t, k, i, e->ts, e->sdepth != 0);
	spantree__close_top(t, k, e->ts, false, false, false);
}

/*
 * An exception began (THROW), or its unwinding ran code in the frame at
 * e->sdepth (CLEANUP, CATCH): the frames below are gone. A catch ends it.
 */
static void spantree__exception(struct spantree *t, struct task_stack *k, const struct buf_ev *e)
{
	uint32_t i;

	if (e->kind == SPAN_EV_THROW) {
		k->throw_ts = e->ts;
		return;
	}
	i = e->sdepth ? spantree__dead_from(k, e->sdepth, true) : k->depth;
	while (k->depth > i)
		spantree__close_top(t, k, e->ts, false, false, true);
	if (e->kind == SPAN_EV_CATCH)
		k->throw_ts = 0;
}

/* Closes the top n open spans of k at ts: they ended at some time among lost events. */
static void spantree__close_lost(struct spantree *t, struct task_stack *k, uint32_t n, uint64_t ts)
{
	while (n-- > 0 && k->depth)
		spantree__close_top(t, k, ts, true, false, false);
}

/*
 * Events of k were lost just before e (spantree.h): the spans that ended
 * among them are closed, what stays open is marked, and what may be open
 * unseen is noted until the stack is synchronised again.
 */
static void spantree__gap(struct spantree *t, struct task_stack *k, const struct buf_ev *e)
{
	uint32_t drop = e->drop, n, i;

	t->stats.lost_events += e->lost;
	if (!k->gaps) {
		t->stats.lossy_tasks++;
		t->stats.lossy_leaky_tasks += k->leaked;
	}
	for (i = 0; i < k->depth; i++)
		k->stack[i].after_loss = true;
	/* the lost ENDs ended the spans begun since the last gap first, then the calls
	 * of unknown key below them, then what was open before */
	if (k->unknown) {
		n = spantree__since_gap(k);
		n = drop < n ? drop : n;
		spantree__close_lost(t, k, n, e->ts);
		drop -= n;
		n = drop < k->unknown ? drop : k->unknown;
		if (k->unknown != UINT32_MAX)
			k->unknown -= n;
		drop -= n;
	}
	if (k->unknown) {
		/* Calls of unknown key are still open below the spans begun since the
		 * last gap: those are now between two runs of such calls, and one count
		 * cannot tell which run an END ends. They end here, and their calls join
		 * the count (their ENDs, when they come, end calls of unknown key). */
		n = spantree__since_gap(k);
		spantree__close_lost(t, k, n, e->ts);
		k->unknown = n > UINT32_MAX - k->unknown ? UINT32_MAX : k->unknown + n;
	}
	spantree__close_lost(t, k, drop, e->ts);
	if (e->sdepth) {
		i = spantree__dead_from(k, e->sdepth, true);
		spantree__close_lost(t, k, k->depth - i, e->ts);
		if (!k->unknown_depth || SPAN_DEPTH_KIND(k->unknown_depth) != SPAN_DEPTH_KIND(e->sdepth) ||
		    e->sdepth < k->unknown_depth)
			k->unknown_depth = e->sdepth;
	}
	k->unknown = e->rise > UINT32_MAX - k->unknown ? UINT32_MAX : k->unknown + e->rise;
	k->gaps++;
}

/* The task of (pid, tid) if it exists, without creating it. */
static struct task_stack *spantree__task_find(struct spantree *t, uint32_t pid, uint32_t tid)
{
	struct task_pos *at = spantree__pos_of(t, tid);
	struct task_stack *k;

	if (!at)
		return NULL;
	k = &t->tasks[at->pos];
	return k->pid == pid ? k : NULL;
}

/*
 * Drops the dead tasks from the table, keeping the others in first-release
 * order, and moves their places in the index with them.
 */
static void spantree__compact(struct spantree *t)
{
	uint32_t n = 0, cap, i;
	struct task_stack *v;

	for (i = 0; i < t->ntasks; i++) {
		struct task_stack *k = &t->tasks[i];
		struct task_pos *at = spantree__pos_of(t, k->tid);

		if (k->dead) {
			hashtab__remove(&t->index, at);
			free(k->stack);
			continue;
		}
		at->pos = n;
		t->tasks[n++] = *k;
	}
	t->ntasks = n;
	t->ndead = 0;
	t->last_task = 0;
	for (cap = TASKS_MIN_CAP; cap < 2 * n; cap *= 2)
		;
	if (cap < t->tasks_cap && (v = realloc(t->tasks, (size_t)cap * sizeof(*v)))) {
		t->tasks = v;
		t->tasks_cap = cap;
	}
}

/* k exited, with nothing left open: marked, and let go once many are. */
static void spantree__bury(struct spantree *t, struct task_stack *k)
{
	if (k->dead)
		return;
	k->dead = true;
	k->unknown = 0;
	k->unknown_depth = 0;
	free(k->stack);
	k->stack = NULL;
	k->cap = 0;
	t->ndead++;
	t->stats.live_tasks--;
	if (t->ndead >= DEAD_MIN && t->ndead * 2 >= t->ntasks)
		spantree__compact(t);
}

/* Position of key in the detached keys, or where it would go. */
static size_t spantree__detached_at(const struct spantree *t, uint32_t key)
{
	size_t lo = 0, hi = t->ndetached;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->detached[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool spantree__is_detached(const struct spantree *t, uint32_t key)
{
	size_t i;

	if (!t->ndetached)
		return false;
	i = spantree__detached_at(t, key);
	return i < t->ndetached && t->detached[i] == key;
}

/* Function key is no longer probed: see SPAN_EV_DETACH. */
static void spantree__release_detach(struct spantree *t, const struct buf_ev *e)
{
	size_t at = spantree__detached_at(t, e->key);
	uint32_t *v;

	if (at < t->ndetached && t->detached[at] == e->key)
		return;
	/* out of memory: its spans still end below, and a late event of it is not ignored */
	v = realloc(t->detached, (t->ndetached + 1) * sizeof(*v));
	if (v) {
		memmove(v + at + 1, v + at, (t->ndetached - at) * sizeof(*v));
		v[at] = e->key;
		t->detached = v;
		t->ndetached++;
	}
	for (uint32_t i = 0; i < t->ntasks; i++) {
		struct task_stack *k = &t->tasks[i];

		for (uint32_t d = 0; d < k->depth; d++)
			if (k->stack[d].key == e->key)
				k->stack[d].detached = true;
		spantree__pop_detached(t, k, e->ts);
	}
}

static void spantree__release(struct spantree *t, const struct buf_ev *e)
{
	struct task_stack *k;

	if (e->kind == SPAN_EV_DETACH) {
		spantree__release_detach(t, e);
		return;
	}
	if ((e->kind == SPAN_EV_BEGIN || e->kind == SPAN_EV_END) &&
	    spantree__is_detached(t, e->key)) {
		if (e->kind == SPAN_EV_BEGIN)
			spantree__drop(t, e);
		return;
	}

	if (e->kind == SPAN_EV_EXIT) {
		/* A thread that ends takes its open calls with it. Threads
		 * without spans get no entry. */
		k = spantree__task_find(t, e->pid, e->tid);
		if (k) {
			spantree__cut(t, k, 0, e->ts, false);
			spantree__bury(t, k);
		}
		return;
	}
	if (e->kind == SPAN_EV_PANIC) {
		k = spantree__task_find(t, e->pid, e->tid);
		if (k)
			k->panic_ts = e->ts;
		return;
	}
	if (e->kind == SPAN_EV_THROW || e->kind == SPAN_EV_CLEANUP || e->kind == SPAN_EV_CATCH) {
		k = spantree__task_find(t, e->pid, e->tid);
		if (k)
			spantree__exception(t, k, e);
		return;
	}
	k = spantree__task_get(t, e->pid, e->tid);
	if (!k) {
		if (e->kind == SPAN_EV_BEGIN)
			spantree__drop(t, e);
		return;
	}
	if (k->pid != e->pid) {
		/*
		 * The tid was reused by another process: what the old one left
		 * open can never end, and the new one is a task of its own.
		 */
		spantree__close_all(t, k, e->ts);
		k->pid = e->pid;
		k->last_ts = 0;
		k->panic_ts = 0;
		k->throw_ts = 0;
		k->gaps = 0;
		k->leaked = false;
		k->unknown = 0;
		k->unknown_depth = 0;
		t->stats.tasks++;
		if (t->on_task)
			t->on_task(t->ctx, e->pid, e->tid);
	}
	if (e->ts < k->last_ts)
		t->stats.late_events++; /* older than the window allowed for; best effort */
	else
		k->last_ts = e->ts;

	if (e->kind == SPAN_EV_BEGIN)
		spantree__begin(t, k, e);
	else if (e->kind == SPAN_EV_END)
		spantree__end(t, k, e);
	else if (e->kind == SPAN_EV_GAP)
		spantree__gap(t, k, e);
}

/* --- API ------------------------------------------------------------------- */

struct spantree *spantree__new(uint64_t window_ns, spantree_sink_fn sink,
			       spantree_task_fn on_task, void *ctx)
{
	struct spantree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->window_ns = window_ns;
	t->sink = sink;
	t->on_task = on_task;
	t->ctx = ctx;
	if (hashtab__init(&t->index, sizeof(struct task_pos), INDEX_MIN_BITS)) {
		free(t);
		return NULL;
	}
	return t;
}

/* Releases, in (ts, arrival) order, every buffered event with ts <= upto. */
static void spantree__release_upto(struct spantree *t, uint64_t upto)
{
	struct buf_ev out;

	while (spantree__buf_pop(t, upto, &out))
		spantree__release(t, &out);
}

void spantree__on_drop(struct spantree *t, spantree_drop_fn drop)
{
	t->on_drop = drop;
}

void spantree__push(struct spantree *t, const struct span_ev *ev)
{
	struct buf_ev e = {
		.ts = ev->ts,
		.seq = t->seq++,
		.pid = ev->pid,
		.tid = ev->tid,
		.key = ev->key,
		.probe = ev->probe,
		.name = ev->name,
		.sdepth = ev->sdepth,
		.kind = ev->kind,
	};
	/* Events with ts <= newest - window are ripe; written so that nothing overflows. */
	bool ripe;
	uint64_t horizon;

	t->stats.events++;
	if (e.ts > t->newest)
		t->newest = e.ts;
	ripe = t->newest >= t->window_ns;
	horizon = ripe ? t->newest - t->window_ns : 0;

	if (ripe && e.ts <= horizon && !t->fifo_len && !t->heap_len) {
		/* Nothing buffered and the event is ripe itself (always so with window 0). */
		spantree__release(t, &e);
		return;
	}
	if (!spantree__fifo_insert(t, &e) && !spantree__heap_insert(t, &e)) {
		/* Out of memory: give up reordering for this event rather than lose it. */
		spantree__release_upto(t, e.ts);
		spantree__release(t, &e);
	}
	if (ripe)
		spantree__release_upto(t, horizon);
}

void spantree__detach(struct spantree *t, uint32_t key, uint64_t ts)
{
	struct span_ev e = { .ts = ts, .key = key, .kind = SPAN_EV_DETACH };

	spantree__push(t, &e);
}

void spantree__flush(struct spantree *t, uint64_t upto)
{
	spantree__release_upto(t, upto);
}

void spantree__finish(struct spantree *t, uint64_t stop_ts)
{
	uint32_t i;

	spantree__release_upto(t, UINT64_MAX);
	/* Tasks in first-release order, so the output does not depend on hashing. */
	for (i = 0; i < t->ntasks; i++)
		spantree__close_all(t, &t->tasks[i], stop_ts);
}

void spantree__mark_open(struct spantree *t)
{
	spantree__release_upto(t, UINT64_MAX);
	for (uint32_t i = 0; i < t->ntasks; i++)
		for (uint32_t j = 0; j < t->tasks[i].depth; j++)
			t->tasks[i].stack[j].after_loss = true;
}

uint64_t spantree__open_spans(const struct spantree *t)
{
	/* every span begun takes an id; every one that ends is delivered (spantree__close_top) */
	return t->last_id - t->stats.spans;
}

const struct spantree_stats *spantree__stats(const struct spantree *t)
{
	return &t->stats;
}

void spantree__free(struct spantree *t)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; i < t->ntasks; i++)
		free(t->tasks[i].stack);
	free(t->tasks);
	free(t->detached);
	hashtab__free(&t->index);
	free(t->fifo);
	free(t->heap);
	free(t);
}
