/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who holds the read end of the pipes writers wait on, as the answers of a
 * search of /proc come in, piece by piece between reads of the ring buffer
 * (the kernel keeps no list of a pipe's openers). Pure: the search itself
 * (procscan.h) reports what it sees here; unit tests do it by hand.
 *
 * A question about a pipe is answered from what the last search found, or
 * "not known yet", and queues a search. A search is a pass that looks in the
 * traced processes first, then in the rest of the host. Of the processes
 * holding a pipe's read end the one named is the best of: a traced process
 * other than the writer's, then any other, then the writer's own; the pass
 * settles a pipe as soon as nothing better can come: on a traced reader
 * other than the writer, or on any other in the rest of the host.
 *
 * An answer is renewed when it is older than the max_age asked for, and
 * than PIPEREADERS_REST times the last pass took: on a host where a pass
 * takes seconds, searching goes on at most a tenth of the time.
 */
#ifndef SPANTRACE_PIPEREADERS_H
#define SPANTRACE_PIPEREADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pipes remembered, and searched for at once. */
#define PIPEREADERS_MAX 16
/* An answer is not renewed before this many times the last pass's length. */
#define PIPEREADERS_REST 10

enum pipe_search {
	PIPE_IDLE,	/* no search under way */
	PIPE_QUEUED,	/* waits for the next pass */
	PIPE_SEARCHING, /* in the pass under way */
};

struct pipe_readers {
	uint64_t ino;	   /* 0: a free slot */
	uint32_t writer;   /* the writer's process, as asked */
	uint64_t asked;	   /* when last asked: the least recently asked is forgotten first */
	bool known;	   /* a pass has settled it */
	uint32_t pid;	   /* its answer: 0, no process holds the read end */
	uint64_t found_at; /* start of the pass that settled it */
	enum pipe_search search;
	uint32_t best;	   /* the best reader this pass has seen so far */
	int best_score;	   /* -1: none yet */
};

struct pipereaders {
	struct pipe_readers v[PIPEREADERS_MAX];
	bool host;	   /* the pass under way has finished the traced processes */
	uint64_t pass_start;
	uint64_t last_pass_ns; /* how long the last pass took */
	uint64_t passes;   /* passes finished */
};

/*
 * Process pid's answer for pipe ino (written to by a thread of process
 * writer): true with *pid (0 if no process holds its read end) when a pass
 * has settled it, false while it is not known yet. Queues a pass when it is
 * not known or its answer is older than max_age (0: any age will do).
 */
bool pipereaders__ask(struct pipereaders *pr, uint64_t ino, uint32_t writer, uint64_t now,
		      uint64_t max_age, uint32_t *pid);
/* Starts a pass for the pipes queued, if none is under way. False if there are none. */
bool pipereaders__begin(struct pipereaders *pr, uint64_t now);
/* Whether the pass under way looks for pipe ino. */
bool pipereaders__wants(const struct pipereaders *pr, uint64_t ino);
/* Process pid, traced or not, holds the read end of pipe ino. */
void pipereaders__saw(struct pipereaders *pr, uint64_t ino, uint32_t pid, bool traced);
/* The traced processes are read; the rest of the host follows. */
void pipereaders__host(struct pipereaders *pr);
/* Pipes the pass under way still looks for: 0, the pass may end. */
size_t pipereaders__searching(const struct pipereaders *pr);
/* The pass under way is over, at now: what it has not found, nobody holds. */
void pipereaders__end(struct pipereaders *pr, uint64_t now);
/* A pass is under way, or pipes are queued for one. */
bool pipereaders__busy(const struct pipereaders *pr);

/* The pipe inode of an fd's link ("pipe:[4711]" is 4711); 0 if it is not a pipe. */
uint64_t pipereaders__link_ino(const char *link);
/* Whether an fd open with these flags (fdinfo's "flags:", O_ACCMODE bits) reads. */
bool pipereaders__reads(unsigned int flags);

#endif
