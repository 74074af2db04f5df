/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The running system as decoding asks it (struct decode_live in decode.h),
 * read from /proc: strings in a traced process's memory, thread names, and
 * which process holds a pipe's read end. Only the loader fills a decoder's
 * live interface; replay never reads a live process.
 */
#ifndef SPANTRACE_LIVE_H
#define SPANTRACE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "pipereaders.h"
#include "procscan.h"

struct tasks;

/* How long one slice of the search of /proc may keep the event loop from the ring. */
#define LIVE_SCAN_SLICE_NS (1000 * 1000ull)
/* At the stop, how long the searches the last records ask for may take in all. */
#define LIVE_SETTLE_NS (1000 * 1000 * 1000ull)

struct live {
	struct decode_live iface;  /* hand &iface to the decoder */
	const struct tasks *tasks; /* traced tasks: preferred as a pipe's reader */
	/* Who holds the read end of the pipes writers wait on, searched for in /proc. */
	struct pipereaders readers;
	struct procscan scan;
	uint64_t settle_ns; /* after live__settle: time left to search while asked */
};

void live__init(struct live *l, const struct tasks *tasks);
void live__free(struct live *l);

/*
 * The process holding up a writer (of process writer) that waits for room in
 * pipe ino: one that holds the read end, preferring a traced one other than
 * the writer (pipereaders.h). Never waits for /proc: true with *pid (0 if no
 * process holds it) when a search has settled it, false while it is not
 * known yet; asking queues a search, which live__step does a slice at a
 * time. The poll loop asks while the wait lasts with max_age 1 s, so that
 * when the wait ends and the reader has gone, the record still names it (the
 * decoder asks with max_age 0: any age).
 */
bool live__pipe_reader(struct live *l, uint64_t ino, uint32_t writer, uint64_t max_age,
		       uint32_t *pid);
/* One slice of the search of /proc, if one is wanted. Returns whether more is wanted. */
bool live__step(struct live *l);
/*
 * Tracing has stopped, nothing more comes into the ring: from now on the
 * decoder's questions are answered by searching until they are settled, for
 * at most budget_ns in all, then "not known yet" again.
 */
void live__settle(struct live *l, uint64_t budget_ns);

#endif
