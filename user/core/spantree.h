/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Task/span tree builder. Pure C, fed from in-memory events, so it is tested
 * without BPF or root.
 *
 * Events go through a reorder buffer keyed on (ts, arrival order): an event is
 * released to the per-task stacks once an event at least `window_ns` newer has
 * arrived (or on flush/finish). Events of different CPUs that arrive out of
 * order within the window are therefore handled in time order. Memory is
 * bounded by the window and the depth of open spans, not by trace length.
 *
 * A task that EXITs is let go once many have: a program that runs millions
 * of short threads or goroutines (each goroutine is a task of its own) keeps
 * memory at the tasks alive at once. An event of its tid after that starts a
 * new task (on_task again).
 *
 * Per task (tid), spans nest exactly: BEGIN pushes, END pops the innermost open
 * span of the same key. An END whose key is deeper in the stack closes the
 * spans above it as unfinished at that time (their ENDs were lost); an END with
 * no open span of its key (the call began before tracing) is counted in
 * stats.orphan_ends and otherwise ignored.
 *
 * Events may carry a stack depth (sdepth: distance from the top of the task's
 * stack, stable when a goroutine stack is copied elsewhere). A function's entry
 * and its return have the same depth, so frames a panic unwound without
 * returning are recognised: a BEGIN at depth d closes every open span with a
 * depth >= d (those frames are gone), an END at depth d matches the open span
 * of its key at exactly that depth and closes what is above it. Such spans end
 * at the task's last PANIC if it came after them (panicked), else at the event
 * that revealed them, unfinished either way. A BEGIN of an open span's key at
 * its depth, with no panic since it began and only deeper spans above it, is
 * the same call starting over (a Go function whose stack was too small runs
 * its entry again once the runtime has grown it): the spans above it are
 * gone, it stays open. Only on a goroutine's stack (SPAN_DEPTH_GOROUTINE), and
 * not after an exception either: elsewhere such a BEGIN is a new call. Depth 0 means unknown: the span only nests by key (C
 * functions where no exception can unwind, begin/end pairs).
 *
 * DETACH (spantree__detach): a function stopped being probed (the overhead
 * guard stopped it) at ts. Its spans still open then end, unfinished: at ts,
 * or, for one that has a call of its own still open above it (that call ran
 * inside it, so it was running too), when the last of those ends. Events of
 * its key released after it are ignored (its probes are gone).
 *
 * Depths of different measures can share a task (a thread's track holds the
 * Go runtime's frames on the thread's own stack and C frames): the measure
 * is in the depth's top bits (SPAN_DEPTH_KIND), and only depths of one kind
 * are compared.
 *
 * Lost events (SPAN_EV_GAP, released just before the task's next event) say
 * what happened among them, so that no span is written as true that may not
 * be: drop open spans ended among them (counted from the top; UINT32_MAX:
 * all), and so did every open span at sdepth or deeper (when sdepth is set);
 * rise calls began among them and are still open, of unknown keys, on top of
 * what stays open (UINT32_MAX: unknown), and so may calls at sdepth or deeper.
 * The spans that ended are closed there, unfinished; every span still open
 * and every span that begins on top of a call of unknown key is marked
 * after_loss (events inside it were lost, or it may sit in a call the trace
 * does not show). A span that begins on top of one begun after the gap is
 * not: its parent is known. The stack is true again (synchronised) once each
 * unknown call has returned (an END that no span begun since matches), and a
 * BEGIN or END of a depth at sdepth or shallower has come; until then an END
 * matches only spans begun since the gap, never one from before it. The
 * count of frames drop and rise come from assumes each call without a depth
 * ends with its END: one that leaves without it (a longjmp) is counted in
 * stats.lossy_leaky_tasks when its task also lost events.
 */
#ifndef SPANTRACE_SPANTREE_H
#define SPANTRACE_SPANTREE_H

#include <stdbool.h>
#include <stdint.h>

#define SPAN_DEPTH_KIND(d) ((d) >> 60)
/* The measures: only a goroutine's call starts over (after its stack grew). */
#define SPAN_DEPTH_GOROUTINE (1ull << 60) /* from the top of a goroutine's stack */
#define SPAN_DEPTH_GO_THREAD (2ull << 60) /* the Go runtime on a thread's own stack */
#define SPAN_DEPTH_SP (3ull << 60)	  /* from a C frame's stack pointer */

/*
 * EXIT: the task ended; its open spans end there, unfinished.
 * GAP: events of the task were lost just before this point (see above).
 * PANIC: the task began to panic; spans later found unwound end there.
 * THROW: an exception began on the task (C++ throw, Rust panic).
 * CLEANUP, CATCH: its unwinding ran code in the frame at sdepth (a cleanup,
 * or the catch that ends it): every open span at that depth or deeper ends
 * there, marked unwound rather than unfinished (the unwinder passed them on
 * its way). Until the catch, an open span from before the throw that a later
 * event shows gone ends the same way.
 */
enum span_ev_kind {
	SPAN_EV_BEGIN = 1,
	SPAN_EV_END = 2,
	SPAN_EV_EXIT = 3,
	SPAN_EV_PANIC = 4,
	SPAN_EV_THROW = 5,
	SPAN_EV_CLEANUP = 6,
	SPAN_EV_CATCH = 7,
	SPAN_EV_GAP = 8,
	SPAN_EV_DETACH = 9, /* spantree__detach */
};

struct span_ev {
	uint64_t ts; /* ns */
	uint32_t pid, tid;
	union {
		uint32_t key;  /* what an END matches: a function, or a begin/end pair */
		uint32_t drop; /* GAP: open spans that ended among the lost events */
	};
	union {
		uint32_t probe; /* BEGIN: the function that opened it, handed back in span_out */
		uint32_t rise;	/* GAP: calls begun among them, still open */
	};
	union {
		uint32_t name; /* BEGIN: a name id for the sink, 0 if none */
		uint32_t lost; /* GAP: how many events were lost */
	};
	uint64_t sdepth; /* stack depth, 0 if unknown (see above) */
	uint8_t kind;	 /* enum span_ev_kind */
};

/*
 * Span ids are given as BEGINs are released, counting from 1: unique in the
 * tree's life, and the same for the same events whatever the timing of their
 * arrival within the window. A span's parent is the innermost span open on
 * its task when it began; as spans nest exactly, that span is still open
 * when it ends, and ends after it.
 */
struct span_out {
	uint32_t pid, tid;
	uint32_t key, probe, name; /* as in the BEGIN */
	uint32_t depth;		   /* 0 for a top-level span of its task */
	uint64_t id;
	uint64_t parent_id; /* 0 for a top-level span of its task */
	uint64_t start, end;
	bool unfinished;
	bool panicked; /* unwound by a panic: ends at the panic */
	bool unwound;  /* unwound by an exception: ends where the unwinder passed it */
	bool after_loss; /* events of its task were lost while it was open or below it */
};

struct spantree_stats {
	uint64_t events;
	uint64_t spans;	       /* delivered, finished or not */
	uint64_t unfinished;   /* delivered with unfinished = true */
	uint64_t orphan_ends;  /* END with nothing open to match */
	uint64_t unwound;      /* unfinished: a shallower frame showed theirs was gone */
	uint64_t exceptions;   /* unwound by an exception (an exception passed them) */
	uint64_t reentries;    /* BEGINs of a call that started over (stack growth) */
	uint64_t late_events;  /* arrived older than an already released event of its task */
	uint64_t after_loss;   /* delivered with after_loss = true */
	uint64_t lost_events;  /* the GAPs' lost counts */
	uint32_t lossy_tasks;  /* tasks with a GAP */
	uint32_t lossy_leaky_tasks; /* of those, tasks where a call without a depth left
				       without its END: the GAPs' count of frames may be off */
	uint64_t detached;     /* unfinished: open when their function stopped being probed */
	uint32_t max_depth;    /* most spans open at once in one task */
	uint32_t tasks;	       /* tasks ever seen */
	uint32_t live_tasks;   /* seen and not exited */
};

/* Called for each span as it completes. Spans of one task arrive children first. */
typedef void (*spantree_sink_fn)(void *ctx, const struct span_out *s);
/* Called once per task the first time an event of it is released. May be NULL. */
typedef void (*spantree_task_fn)(void *ctx, uint32_t pid, uint32_t tid);
/*
 * Called with the name of a BEGIN that makes no span: the same call starting
 * over (its span stays open), or a BEGIN that could not be stored (out of
 * memory). With the sink, every BEGIN released comes back exactly once, so a
 * caller that holds something per BEGIN (a name) can give it back.
 */
typedef void (*spantree_drop_fn)(void *ctx, uint32_t name);

struct spantree;

struct spantree *spantree__new(uint64_t window_ns, spantree_sink_fn sink,
			       spantree_task_fn on_task, void *ctx);
/* The tree's drop callback (none until set), with the ctx of spantree__new. */
void spantree__on_drop(struct spantree *t, spantree_drop_fn drop);
void spantree__push(struct spantree *t, const struct span_ev *e);
/* Releases every buffered event with ts <= upto (idle flush from the poll loop). */
void spantree__flush(struct spantree *t, uint64_t upto);
/*
 * Function key is no longer probed from ts on (see DETACH above). It goes
 * through the reorder window as an event: events stamped before ts still
 * count if pushed within the window, those stamped after it never do.
 */
void spantree__detach(struct spantree *t, uint32_t key, uint64_t ts);
/* Releases everything, then ends every open span at stop_ts as unfinished. */
void spantree__finish(struct spantree *t, uint64_t stop_ts);
/*
 * Releases everything, then marks every span still open after_loss: events
 * were lost that no GAP told (the loader's count says so), and these spans
 * may be missing what they called or may have ended. Call before finish.
 */
void spantree__mark_open(struct spantree *t);
const struct spantree_stats *spantree__stats(const struct spantree *t);
/* Spans begun and not yet ended, among the events released so far (for the live status). */
uint64_t spantree__open_spans(const struct spantree *t);
void spantree__free(struct spantree *t);

#endif
