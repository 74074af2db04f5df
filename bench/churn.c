// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * churn: a record file of a program that never stops creating things, for
 * `make bench`'s memory run (bench/bench.py feeds it to build/bench/replay
 * --stream, which reports the resident set as it goes).
 *
 *   churn [--events N] [--alive K] [--new-pipe-every M] > RECORDS
 *
 * One process; K threads alive at once (default 64), each created (a fork
 * record), running spans of a C function with a span-pair span inside each,
 * named from an argument with a name never seen before ("req-<n>"), writing
 * once to a pipe, and exiting; another takes its place with a new tid (tids
 * go round at 4194304, as pid_max makes them). Every M pipe writes (default
 * 16; 0: one pipe for all) go to a pipe never written before. Records are
 * 10 µs apart, interleaved across the live threads, in time order. It stops
 * after N records (suffixes k, M, G; default 10M). Deterministic: the same
 * arguments make the same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "count.h"
#include "probe.h"
#include "recfile.h"
#include "spantrace.h"

#define PID 1000
#define FIRST_TID (PID + 1)
#define PID_MAX 4194304u
#define STEP_NS 10000ull
#define ROUNDS 3 /* spans of the C function in a thread's life */

enum { P_WORK, P_BEGIN, P_END, NPROBES };

static struct probe probe_v[NPROBES] = {
	[P_WORK] = { .name = "work", .func = "work", .object = "/churn", .role = SPEC_FUNC },
	[P_BEGIN] = { .name = "span_begin", .func = "span_begin", .object = "/churn",
		      .role = SPEC_BEGIN, .pair = 0, .name_arg = 0 },
	[P_END] = { .name = "span_end", .func = "span_end", .object = "/churn", .role = SPEC_END,
		    .pair = 0 },
};

/*
 * A thread's life, one record a step: created; ROUNDS times the C span with a
 * named span inside (4 records); a pipe write; its exit.
 */
enum { STEP_FORK = 0, STEP_ROUNDS = 1, STEP_PIPE = STEP_ROUNDS + 4 * ROUNDS, STEP_EXIT,
       LIFE_STEPS };

struct thread {
	uint32_t tid;
	unsigned int step;
};

struct churn {
	FILE *out;
	uint64_t ts;
	uint64_t written, want;
	uint32_t next_tid;
	uint64_t next_name, pipe_writes, new_pipe_every;
};

static void put(struct churn *c, const void *rec, size_t size)
{
	if (recfile__write_record(c->out, rec, size)) {
		fprintf(stderr, "churn: failed to write the records: %s\n", strerror(errno));
		exit(1);
	}
	c->written++;
}

static struct st_hdr hdr(struct churn *c, uint8_t type, uint32_t tid)
{
	c->ts += STEP_NS;
	return (struct st_hdr){ .type = type, .tid = tid, .ts = c->ts };
}

static uint32_t new_tid(struct churn *c)
{
	uint32_t tid = c->next_tid++;

	if (c->next_tid >= PID_MAX)
		c->next_tid = FIRST_TID;
	return tid;
}

static void fork_rec(struct churn *c, uint32_t tid)
{
	struct st_fork r = { .hdr = hdr(c, ST_REC_FORK, PID), .pid = PID, .child_pid = PID,
			     .child_tid = tid };

	snprintf(r.comm, sizeof(r.comm), "worker");
	put(c, &r, sizeof(r));
}

static void span_rec(struct churn *c, uint8_t type, uint32_t tid, uint32_t probe)
{
	struct st_span r = { .hdr = hdr(c, type, tid), .pid = PID, .probe = probe };

	put(c, &r, sizeof(r));
}

static void named_rec(struct churn *c, uint32_t tid)
{
	struct st_nspan r = { .hdr = hdr(c, ST_REC_SPAN_NAMED, tid), .pid = PID,
			      .probe = P_BEGIN };
	int n = snprintf(r.name, sizeof(r.name), "req-%llu", (unsigned long long)c->next_name++);

	r.len = (uint16_t)n;
	put(c, &r, sizeof(r));
}

static void pipe_rec(struct churn *c, uint32_t tid)
{
	uint64_t n = c->pipe_writes++;
	struct st_pipe_write r = {
		.hdr = hdr(c, ST_REC_PIPE_WRITE, tid),
		.result = 512,
		.pw = { .ino = 1 + (c->new_pipe_every ? n / c->new_pipe_every : 0),
			.requested = 512, .pid = PID },
	};

	r.pw.start = r.hdr.ts - STEP_NS / 2;
	put(c, &r, sizeof(r));
}

static void exit_rec(struct churn *c, uint32_t tid)
{
	struct st_exit r = { .hdr = hdr(c, ST_REC_EXIT, tid), .pid = PID };

	snprintf(r.comm, sizeof(r.comm), "worker");
	put(c, &r, sizeof(r));
}

/* The record of thread t's next step; a thread that has exited is replaced. */
static void step(struct churn *c, struct thread *t)
{
	unsigned int s = t->step++;

	if (s == STEP_FORK) {
		fork_rec(c, t->tid);
	} else if (s < STEP_PIPE) {
		/* work() { span_begin("req-n"); span_end(); } */
		switch ((s - STEP_ROUNDS) % 4) {
		case 0:
			span_rec(c, ST_REC_SPAN_BEGIN, t->tid, P_WORK);
			break;
		case 1:
			named_rec(c, t->tid);
			break;
		case 2:
			span_rec(c, ST_REC_SPAN_END, t->tid, P_END);
			break;
		default:
			span_rec(c, ST_REC_SPAN_END, t->tid, P_WORK);
			break;
		}
	} else if (s == STEP_PIPE) {
		pipe_rec(c, t->tid);
	} else {
		exit_rec(c, t->tid);
		*t = (struct thread){ .tid = new_tid(c) };
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "events", required_argument, NULL, 'n' },
		{ "alive", required_argument, NULL, 'a' },
		{ "new-pipe-every", required_argument, NULL, 'p' },
		{},
	};
	struct churn c = { .out = stdout, .want = 10000000, .next_tid = FIRST_TID,
			   .new_pipe_every = 16 };
	struct probe_table probes = { .v = probe_v, .n = NPROBES };
	struct st_task main_task = { .pid = PID };
	uint64_t alive = 64;
	struct thread *threads;
	int opt;

	while ((opt = getopt_long(argc, argv, "n:a:p:", longopts, NULL)) != -1) {
		uint64_t *v = opt == 'n' ? &c.want : opt == 'a' ? &alive : &c.new_pipe_every;

		if ((opt != 'n' && opt != 'a' && opt != 'p') || bench__parse_count(optarg, v) ||
		    (opt == 'a' && (!alive || alive > 100000))) {
			fprintf(stderr, "usage: churn [--events N] [--alive K (1..100000)] "
					"[--new-pipe-every M] > RECORDS\n");
			return 2;
		}
	}
	setvbuf(c.out, NULL, _IOFBF, 1 << 20);
	threads = calloc(alive, sizeof(*threads));
	if (!threads) {
		fprintf(stderr, "churn: out of memory\n");
		return 1;
	}
	for (uint64_t i = 0; i < alive; i++)
		threads[i].tid = new_tid(&c);
	if (recfile__write_header(c.out, PID, &probes)) {
		fprintf(stderr, "churn: failed to write the records: %s\n", strerror(errno));
		return 1;
	}
	main_task.hdr = hdr(&c, ST_REC_TASK, PID);
	snprintf(main_task.comm, sizeof(main_task.comm), "churn");
	put(&c, &main_task, sizeof(main_task));
	/* round robin: the live threads' lives overlap, each a step behind the last */
	for (uint64_t i = 0; c.written < c.want; i = (i + 1) % alive)
		step(&c, &threads[i]);
	free(threads);
	if (fflush(c.out)) {
		fprintf(stderr, "churn: failed to write the records: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
