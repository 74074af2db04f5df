// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Task table: a hash table on tid. */
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "tasks.h"

struct tasks {
	struct hashtab by_tid; /* of struct task */
};

static uint64_t tid_hash(uint32_t tid)
{
	return hashtab__hash_u64(tid);
}

static bool tid_eq(const void *entry, const void *key)
{
	return ((const struct task *)entry)->tid == *(const uint32_t *)key;
}

struct tasks *tasks__new(void)
{
	struct tasks *ts = calloc(1, sizeof(*ts));

	if (!ts || hashtab__init(&ts->by_tid, sizeof(struct task), 6)) {
		free(ts);
		return NULL;
	}
	return ts;
}

void tasks__free(struct tasks *ts)
{
	if (!ts)
		return;
	hashtab__free(&ts->by_tid);
	free(ts);
}

struct task *tasks__get(const struct tasks *ts, uint32_t tid)
{
	return tid ? hashtab__find(&ts->by_tid, tid_hash(tid), tid_eq, &tid) : NULL;
}

struct task *tasks__add(struct tasks *ts, uint32_t pid, uint32_t tid)
{
	struct task *t;

	if (!tid)
		return NULL;
	t = tasks__get(ts, tid);
	if (!t)
		t = hashtab__add(&ts->by_tid, tid_hash(tid));
	else if (t->pid == pid)
		return t;
	if (t)
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
	for (size_t pos = 0; (t = hashtab__next(&ts->by_tid, &pos));)
		if (t->pid == pid)
			pend(t, sig, ts_ns, from);
}

void tasks__foreach(const struct tasks *ts, void (*fn)(void *ctx, struct task *t), void *ctx)
{
	struct task *t;

	for (size_t pos = 0; (t = hashtab__next(&ts->by_tid, &pos));)
		fn(ctx, t);
}

size_t tasks__count(const struct tasks *ts)
{
	return hashtab__count(&ts->by_tid);
}
