// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Task table: open addressing on tid, linear probing, grown at 1/2 load. */
#include <stdlib.h>
#include <string.h>

#include "tasks.h"

struct tasks {
	struct task *v; /* tid 0 marks a free slot: tid 0 is the idle task, never traced */
	size_t cap, n;
};

static size_t slot_of(size_t cap, uint32_t tid)
{
	return (size_t)(tid * 2654435761u) & (cap - 1);
}

struct tasks *tasks__new(void)
{
	struct tasks *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	ts->cap = 64;
	ts->v = calloc(ts->cap, sizeof(*ts->v));
	if (!ts->v) {
		free(ts);
		return NULL;
	}
	return ts;
}

void tasks__free(struct tasks *ts)
{
	if (!ts)
		return;
	free(ts->v);
	free(ts);
}

static struct task *find(const struct tasks *ts, uint32_t tid)
{
	for (size_t i = slot_of(ts->cap, tid);; i = (i + 1) & (ts->cap - 1)) {
		if (ts->v[i].tid == tid || ts->v[i].tid == 0)
			return &ts->v[i];
	}
}

struct task *tasks__get(const struct tasks *ts, uint32_t tid)
{
	struct task *t;

	if (!tid)
		return NULL;
	t = find(ts, tid);
	return t->tid ? t : NULL;
}

static int grow(struct tasks *ts)
{
	struct tasks bigger = { .cap = 2 * ts->cap };

	bigger.v = calloc(bigger.cap, sizeof(*bigger.v));
	if (!bigger.v)
		return -1;
	for (size_t i = 0; i < ts->cap; i++)
		if (ts->v[i].tid)
			*find(&bigger, ts->v[i].tid) = ts->v[i];
	free(ts->v);
	ts->v = bigger.v;
	ts->cap = bigger.cap;
	return 0;
}

struct task *tasks__add(struct tasks *ts, uint32_t pid, uint32_t tid)
{
	struct task *t;

	if (!tid)
		return NULL;
	if (2 * (ts->n + 1) > ts->cap && grow(ts))
		return NULL;
	t = find(ts, tid);
	if (t->tid && t->pid == pid)
		return t;
	if (!t->tid)
		ts->n++;
	*t = (struct task){ .tid = tid, .pid = pid };
	return t;
}

struct task *tasks__born(struct tasks *ts, uint32_t pid, uint32_t tid)
{
	struct task *t = tasks__add(ts, pid, tid);

	if (t && t->exited)
		*t = (struct task){ .tid = tid, .pid = pid };
	return t;
}

struct task *tasks__touch(struct tasks *ts, uint32_t pid, uint32_t tid)
{
	struct task *t = tasks__add(ts, pid, tid);

	if (!t)
		return NULL;
	t->in_trace = true;
	if (tid != pid) {
		/* an exited leader of this process keeps its entry (a process outlives its
		 * main thread); one of another process (a recycled tid) is replaced */
		struct task *leader = tasks__add(ts, pid, pid);

		if (leader)
			leader->in_trace = true;
		/* the table may have grown: find t again */
		t = tasks__get(ts, tid);
	}
	return t;
}

void tasks__set_comm(struct task *t, const char *comm)
{
	size_t n = strnlen(comm, TASK_COMM_LEN);

	memcpy(t->comm, comm, n);
	t->comm[n] = 0;
}

static void pend(struct task *t, int sig, uint64_t ts_ns, uint32_t from)
{
	if (t->exited || t->fatal_sig)
		return;
	t->fatal_sig = sig;
	t->fatal_ts = ts_ns;
	t->fatal_from = from;
}

void tasks__signal(struct tasks *ts, uint32_t pid, uint32_t tid, bool group, int sig, uint64_t ts_ns,
		   uint32_t from)
{
	struct task *t = tasks__add(ts, pid, tid);

	if (t)
		pend(t, sig, ts_ns, from);
	if (!group)
		return;
	for (size_t i = 0; i < ts->cap; i++)
		if (ts->v[i].tid && ts->v[i].pid == pid)
			pend(&ts->v[i], sig, ts_ns, from);
}

void tasks__foreach(const struct tasks *ts, void (*fn)(void *ctx, struct task *t), void *ctx)
{
	for (size_t i = 0; i < ts->cap; i++)
		if (ts->v[i].tid)
			fn(ctx, &ts->v[i]);
}

size_t tasks__count(const struct tasks *ts)
{
	return ts->n;
}
