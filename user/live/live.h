/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The running system as decoding asks it (struct decode_live in decode.h),
 * read from /proc: strings in a traced process's memory, thread names, and
 * which process holds a pipe's read end. Only the loader fills a decoder's
 * live interface; replay never reads a live process.
 */
#ifndef SPANTRACE_LIVE_H
#define SPANTRACE_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct tasks;

#define LIVE_READER_CACHE 8

struct live {
	struct decode_live iface;  /* hand &iface to the decoder */
	const struct tasks *tasks; /* traced tasks: preferred as a pipe's reader */
	/* Who holds the read end of a pipe, looked up in /proc at most once a second. */
	struct pipe_reader {
		uint64_t ino, at;
		uint32_t pid; /* 0: nobody */
	} readers[LIVE_READER_CACHE];
	size_t next_reader;
};

void live__init(struct live *l, const struct tasks *tasks);

/*
 * The process holding up a writer (of process writer) that waits for room in
 * pipe ino: one that holds the read end, preferring a traced one other than
 * the writer; 0 if none does. Found in /proc (the kernel keeps no list of a
 * pipe's openers) and cached: the poll loop refreshes it while the wait lasts
 * (max_age 1 s), so that when the wait ends and the reader has gone, the
 * record still names it (the decoder asks with max_age 0: any age).
 */
uint32_t live__pipe_reader(struct live *l, uint64_t ino, uint32_t writer, uint64_t max_age);

#endif
