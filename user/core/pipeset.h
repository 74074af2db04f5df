/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The distinct pipes written to, for the summary's count, in bounded memory.
 *
 * A hash set by inode, looked up on every pipe write. It holds at most
 * PIPESET_MAX pipes. When it is full, the pipes whose writing processes have
 * all exited are forgotten (a pipe is never reused: its inode number is not
 * given to another pipe while any process holds it). A forgotten pipe that is
 * written to again, by a process that had it and had not written to it yet,
 * counts again: forgotten says how many were, so the summary can say so. If
 * the set is still full, a new pipe is not followed: its writes are counted
 * (untracked_writes), the pipe is not. Pure.
 */
#ifndef SPANTRACE_PIPESET_H
#define SPANTRACE_PIPESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashtab.h"

#define PIPESET_MAX 4096

/* Whether process pid is alive, as the caller knows it. */
typedef bool (*pipeset_alive_fn)(void *ctx, uint32_t pid);

struct pipeset {
	struct hashtab pipes;	   /* struct pipeset_entry by inode; no slots: not made yet */
	uint64_t counted;	   /* pipes counted: the distinct ones, and forgotten ones again */
	uint64_t forgotten;	   /* forgotten when every process that wrote to it had exited */
	uint64_t untracked_writes; /* writes to pipes not followed: the set was full */
	bool exits_since_sweep;	   /* a process exited since the set was last swept */
};

/*
 * A write by process pid to pipe ino. When the set is full, alive(ctx, pid)
 * tells which pipes may be forgotten.
 */
void pipeset__write(struct pipeset *s, uint64_t ino, uint32_t pid, pipeset_alive_fn alive,
		    void *ctx);
/* A process has exited: a full set is worth sweeping again. */
void pipeset__exited(struct pipeset *s);
/* Pipes followed now. */
size_t pipeset__size(const struct pipeset *s);
void pipeset__free(struct pipeset *s);

#endif
