// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Task table: a hash table on tid, and the exited tasks to forget, in the order they exited. */
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "tasks.h"

/* An exited task to forget: which, and since when (its forget_ts: not a later task of its tid). */
struct to_forget {
	uint32_t tid, pid;
	uint64_t since;
};

#define FORGET_MIN_CAP 64 /* power of two */

struct tasks {
	struct hashtab by_tid; /* of struct task */
	/* A ring: cap is a power of two, at least FORGET_MIN_CAP. */
	struct to_forget *forget;
	size_t forget_head, forget_len, forget_cap;
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

	if (!ts)
		return NULL;
	ts->forget_cap = FORGET_MIN_CAP;
	ts->forget = calloc(ts->forget_cap, sizeof(*ts->forget));
	if (!ts->forget || hashtab__init(&ts->by_tid, sizeof(struct task), 6)) {
		free(ts->forget);
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
	free(ts->forget);
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

/* Moves the ring to cap entries (cap >= forget_len, a power of two); false if out of memory. */
static bool forget_resize(struct tasks *ts, size_t cap)
{
	struct to_forget *v = malloc(cap * sizeof(*v));

	if (!v)
		return false;
	for (size_t i = 0; i < ts->forget_len; i++)
		v[i] = ts->forget[(ts->forget_head + i) & (ts->forget_cap - 1)];
	free(ts->forget);
	ts->forget = v;
	ts->forget_cap = cap;
	ts->forget_head = 0;
	return true;
}

/* t is one to forget from now on. Out of memory it stays: a task too many, nothing wrong. */
static void forget_later(struct tasks *ts, struct task *t, uint64_t now)
{
	if (t->forget_ts)
		return;
	if (ts->forget_len == ts->forget_cap && !forget_resize(ts, 2 * ts->forget_cap))
		return;
	t->forget_ts = now ? now : 1;
	ts->forget[(ts->forget_head + ts->forget_len++) & (ts->forget_cap - 1)] =
		(struct to_forget){ .tid = t->tid, .pid = t->pid, .since = t->forget_ts };
}

void tasks__exit(struct tasks *ts, struct task *t, uint64_t ts_ns, bool process_ended)
{
	struct task *leader;

	t->exited = true;
	if (process_ended) {
		t->process_ended = true;
		leader = t->tid == t->pid ? t : tasks__get(ts, t->pid);
		if (leader && leader->pid == t->pid) {
			leader->process_ended = true;
			if (leader->exited)
				forget_later(ts, leader, ts_ns);
		}
	}
	/* a main thread names its process while any thread of it is alive */
	if (t->tid != t->pid || t->process_ended)
		forget_later(ts, t, ts_ns);
}

void tasks__forget(struct tasks *ts, uint64_t upto_ns, void (*fn)(void *ctx, struct task *t),
		   void *ctx)
{
	while (ts->forget_len > TASKS_KEEP_EXITED) {
		struct to_forget f = ts->forget[ts->forget_head];
		struct task *t;

		if (f.since > upto_ns)
			break;
		ts->forget_head = (ts->forget_head + 1) & (ts->forget_cap - 1);
		ts->forget_len--;
		t = tasks__get(ts, f.tid);
		/* not if the tid is another task's since (a new thread, another process) */
		if (!t || t->pid != f.pid || t->forget_ts != f.since)
			continue;
		fn(ctx, t);
		hashtab__remove(&ts->by_tid, t);
	}
	/* give back the ring after a burst of exits; 1/4 keeps this amortised O(1) */
	if (ts->forget_cap > FORGET_MIN_CAP && ts->forget_len < ts->forget_cap / 4)
		forget_resize(ts, ts->forget_cap / 2);
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
