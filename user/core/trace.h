/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Trace output formats behind one table of callbacks, struct trace_ops. The
 * records handed to a writer carry facts (a wait's state letter and the
 * kernel function it waits in, the kind of an instant, the task a fork
 * created); how they look in the output (names, categories, colours, ids
 * for arrows) is the writer's choice. Writers stream: nothing is kept per
 * event. The formats there are, and how one is picked, are in formats.h.
 */
#ifndef SPANTRACE_TRACE_H
#define SPANTRACE_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One finished (or cut-off) span, as a writer receives it. Spans of a task
 * come children first; id and parent_id say how they nest (spantree.h).
 */
struct trace_span {
	uint32_t pid, tid;
	uint64_t start_ns; /* CLOCK_MONOTONIC */
	uint64_t dur_ns;
	uint64_t id;	    /* unique in the trace, from 1 */
	uint64_t parent_id; /* the span it was called in, on its track; 0 if none */
	uint32_t depth;	    /* spans open around it on its track when it began */
	const char *name;   /* display name, e.g. demangled function */
	const char *func;   /* symbol name, goes to args */
	const char *object; /* path of the ELF object, goes to args; may be NULL */
	bool unfinished;    /* no END: still open at the stop, or cut off */
	bool panicked;	    /* unwound by a panic: ends where the panic began */
	bool unwound;	    /* unwound by an exception: ends where the unwinder passed it */
	bool truncated;	    /* the name taken from an argument was cut to fit */
	bool after_loss;    /* events of its task were lost while it was open, or it began
			       where the stack was not known after such a loss: its end, its
			       parent or what it called may not be as written */
};

/* What the ring buffer lost in a trace (the loader's decoder__tell_loss). */
struct trace_loss {
	uint64_t events;     /* records lost, spans and kernel events */
	uint32_t tasks;	     /* threads and goroutines whose span records were lost */
	uint64_t after_loss; /* spans written with after_loss */
};

/* A key/value pair in an event's args. */
enum trace_arg_type { TA_STR, TA_INT, TA_BOOL };
struct trace_arg {
	const char *key;
	enum trace_arg_type type;
	const char *s; /* TA_STR */
	int64_t i;     /* TA_INT, TA_BOOL (0/1) */
};

/* One off-CPU wait of a task, on the waiting thread's track. */
struct trace_wait {
	uint32_t pid, tid;
	uint64_t start_ns, dur_ns;
	const char *state;	     /* "D" (uninterruptible), "S" (sleep), "T" (stopped) */
	bool killable;		     /* the sleep would end on SIGKILL */
	const char *func;	     /* the kernel function it waits in, e.g. "__mutex_lock"
					(below the scheduler's own); NULL if the stack has none */
	const char *const *kstack;   /* "function+0xoff", innermost first */
	size_t nkstack;
	const char *fatal_signal;    /* "SIGKILL" when one was pending during the wait, or NULL */
	uint32_t blocked_by;	     /* tid of the task it waits for, 0 if unknown */
	const char *blocked_reason;  /* why blocked_by holds it up, e.g. "holds the pipe lock"; or NULL */
	uint64_t pipe_ino;	     /* inode of the pipe waited on, 0 if not a pipe */
	bool start_estimated;	     /* began before tracing: start from the scheduler's accounting */
	bool unfinished;	     /* still waiting when tracing stopped */
};

/* A write to a pipe, on the writer's track. */
struct trace_pipe_write {
	uint32_t pid, tid;
	uint64_t start_ns, dur_ns;
	uint64_t pipe_ino;
	int64_t result;		    /* bytes written, or -errno */
	uint64_t requested;	    /* bytes asked for, 0 if unknown */
	uint64_t blocked_ns;	    /* off-CPU time inside the write */
	uint32_t blocked_by;	    /* as in trace_wait */
	const char *blocked_reason;
	bool unfinished;
};

/* What happened at a point in a task's life. */
enum trace_instant_kind {
	TRACE_EXEC,	    /* args: path, comm */
	TRACE_EXIT,	    /* the process's last thread exited; args: code, or signal (and
			       core_dumped) */
	TRACE_THREAD_EXIT,  /* a thread exited, not the last one; args as TRACE_EXIT */
	TRACE_FATAL_SIGNAL, /* a signal that will kill it was generated; args: signal, sender_pid,
			       sender_tid, sender_comm, group */
};

/* A point event on a task's track, and its facts as key/value pairs. */
struct trace_instant {
	uint32_t pid, tid;
	uint64_t ts_ns;
	enum trace_instant_kind kind;
	const struct trace_arg *args;
	size_t nargs;
};

enum trace_task_start {
	TRACE_FORK,	 /* a new process */
	TRACE_THREAD,	 /* a new thread of the same process */
	TRACE_GOROUTINE, /* a goroutine (its track's tid is the decoder's, see goroutines.h) */
};

/* A task creating another, at ts_ns: from the parent's track to the child's. */
struct trace_flow {
	uint32_t from_pid, from_tid;
	uint32_t to_pid, to_tid;
	uint64_t ts_ns;
	enum trace_task_start kind;
};

/*
 * The overhead guard stopped probing a function (or a --span pair) because
 * the probes took more of the traced processes' CPU time than allowed: what
 * it measured over the last period, per second.
 */
struct trace_guard_stop {
	uint32_t pid;		   /* the traced process (the root of the tree) */
	uint64_t ts_ns;		   /* when its probes were gone */
	const char *func;	   /* the function, or the pair's first BEGIN function */
	const char *object;	   /* its object's path; may be NULL */
	uint64_t calls_per_s;	   /* its calls */
	uint64_t cost_per_call_ns; /* what its probes cost a call, calibrated at start */
	uint64_t probe_ns_per_s;   /* its probes' estimated time */
	uint64_t cpu_ns_per_s;	   /* CPU time the traced processes used, probes included */
	double max_percent;	   /* the budget (--max-overhead) */
};

/* What one hit of a kind of probe site costs on this machine, calibrated at start. */
struct trace_probe_cost {
	const char *kind; /* "emulated", "single-stepped", "RET", "uretprobe", "5-byte nop" */
	uint64_t ns;
};

/* How big a trace has grown, and whether a size limit cut it. */
struct trace_size {
	uint64_t bytes;	    /* written to the stream so far */
	bool cut;	    /* the limit was reached: events since are not written */
	uint64_t cut_at;    /* bytes written when it was */
	uint64_t unwritten; /* events not written since */
};

struct trace_writer;

/* A format's writer; formats.c lists one for each format. */
struct trace_ops {
	/* Starts the document on f. Returns NULL on allocation failure. */
	struct trace_writer *(*open)(FILE *f);
	void (*process_name)(struct trace_writer *w, uint32_t pid, const char *name);
	void (*thread_name)(struct trace_writer *w, uint32_t pid, uint32_t tid, const char *name);
	void (*span)(struct trace_writer *w, const struct trace_span *s);
	void (*wait)(struct trace_writer *w, const struct trace_wait *wt);
	void (*pipe_write)(struct trace_writer *w, const struct trace_pipe_write *pw);
	void (*instant)(struct trace_writer *w, const struct trace_instant *in);
	void (*flow)(struct trace_writer *w, const struct trace_flow *fl);
	void (*guard_stop)(struct trace_writer *w, const struct trace_guard_stop *gs);
	/* The calibrated costs, at most once, before close; v is not kept. */
	void (*probe_costs)(struct trace_writer *w, const struct trace_probe_cost *v, size_t n);
	/* Events were lost: called once at the end, before close, only if any were. */
	void (*loss)(struct trace_writer *w, const struct trace_loss *l);
	/*
	 * Keeps the whole document within max_size bytes (0: no limit): events
	 * that would not fit are not written, and the end says so. Before any event.
	 */
	void (*limit)(struct trace_writer *w, uint64_t max_size);
	void (*size)(const struct trace_writer *w, struct trace_size *sz);
	/* Ends the document and frees w (not f). Returns 0, or -1 if any write failed. */
	int (*close)(struct trace_writer *w);
};

#endif
