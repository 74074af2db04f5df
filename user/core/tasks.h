/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The traced tasks (processes and threads), keyed by tid: their names, which
 * process they belong to, a fatal signal pending on them and what was said
 * about their stalls. Pure C: the loader feeds it from kernel records and
 * /proc, unit tests feed it directly.
 *
 * It forgets tasks that have exited, so that a program that runs millions
 * of short threads keeps it at the size of those alive at once. When: a
 * task's records are not all in when its exit record is, because records of
 * other CPUs arrive a little out of order and the span tree releases events
 * a reorder window (2 ms) late, and a thread's process is named after its
 * main thread while any thread of it is alive. So an exited thread is
 * forgotten once it has been exited for TASKS_FORGET_AFTER_NS of the
 * trace's time (500 reorder windows: a record that late is not one the span
 * tree would place either); a process's main thread, once the whole process
 * has ended and as long. The TASKS_KEEP_EXITED most recently exited stay
 * regardless, so that a short trace names every task at its end, in one
 * place.
 */
#ifndef SPANTRACE_TASKS_H
#define SPANTRACE_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TASK_COMM_LEN 16
#define TASKS_FORGET_AFTER_NS 1000000000ull
#define TASKS_KEEP_EXITED 1024

struct task {
	uint32_t tid, pid;
	char comm[TASK_COMM_LEN + 1];
	bool exited;
	bool in_trace;	      /* has events in the trace: its name must be written */
	int fatal_sig;	      /* fatal signal pending, 0 if none */
	uint64_t fatal_ts;    /* when it was generated */
	uint32_t fatal_from;  /* sender tid */
	uint64_t stall_start; /* start of the wait last reported as a stall */
	uint64_t stall_said;  /* its duration when last reported, 0 if never */
	bool process_ended;   /* a main thread: its process's last thread has exited */
	uint64_t forget_ts;   /* when it became one to forget (see above), 0 if not yet */
};

struct tasks;

struct tasks *tasks__new(void);
void tasks__free(struct tasks *ts);
/* The task with this tid, or NULL. */
struct task *tasks__get(const struct tasks *ts, uint32_t tid);
/*
 * The task with this tid, created if absent (comm empty); also created anew
 * when the tid now belongs to another process. An exited task stays as it
 * is: records about it arrive after its exit (the span tree releases late).
 * NULL when out of memory.
 */
struct task *tasks__add(struct tasks *ts, uint32_t pid, uint32_t tid);
/* A task that has just been created (fork, clone): a recycled tid starts afresh. */
struct task *tasks__born(struct tasks *ts, uint32_t pid, uint32_t tid);
/*
 * tasks__add, and marks the task as having events in the trace, and its
 * process's main thread too (processes are named after it).
 */
struct task *tasks__touch(struct tasks *ts, uint32_t pid, uint32_t tid);
/* Copies at most TASK_COMM_LEN bytes of comm (need not be terminated). */
void tasks__set_comm(struct task *t, const char *comm);
/*
 * A fatal signal generated for tid at ts. A signal for the whole process
 * (group) is pending on every live thread of pid. The first one pending
 * stays: it is the one the task has been ignoring the longest.
 */
void tasks__signal(struct tasks *ts, uint32_t pid, uint32_t tid, bool group, int sig, uint64_t ts_ns,
		   uint32_t from);
/*
 * t exited at ts_ns; process_ended: it was the last thread of its process.
 * It stays until tasks__forget lets it go (see above).
 */
void tasks__exit(struct tasks *ts, struct task *t, uint64_t ts_ns, bool process_ended);
/*
 * Lets go of the tasks that became ones to forget at or before upto_ns, the
 * longest exited first, while more than TASKS_KEEP_EXITED are waiting; fn
 * sees each one first (to write its name).
 */
void tasks__forget(struct tasks *ts, uint64_t upto_ns, void (*fn)(void *ctx, struct task *t),
		   void *ctx);
/* Calls fn for each task, in no particular order. */
void tasks__foreach(const struct tasks *ts, void (*fn)(void *ctx, struct task *t), void *ctx);
size_t tasks__count(const struct tasks *ts);

#endif
