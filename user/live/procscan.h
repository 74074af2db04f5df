/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The search of /proc for the processes that hold a pipe's read end, done a
 * slice at a time between reads of the ring buffer, so that a host of
 * thousands of processes never holds up the event loop: each call reads fds
 * until its time is up and resumes where it stopped. A pass reads the traced
 * processes first (those the task table knows, alive), then, for the pipes
 * still open to a better answer, every other process in /proc; it reports
 * what it finds to the pipereaders table (pipereaders.h), which says when
 * the pass may end.
 */
#ifndef SPANTRACE_PROCSCAN_H
#define SPANTRACE_PROCSCAN_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pipereaders;
struct tasks;

/* Bytes of /proc's entries read at once: about 80 processes. */
#define PROCSCAN_DENTS 2048

enum procscan_phase { SCAN_IDLE, SCAN_TRACED, SCAN_HOST };

struct procscan {
	struct pipereaders *pr;
	const struct tasks *tasks;

	/* Bytes of /proc's entries read at once: about 80 processes. */
#define PROCSCAN_DENTS 2048

enum procscan_phase phase;
	uint32_t *traced; /* the traced processes at the pass's start, sorted */
	size_t ntraced, cap_traced, next_traced;
	int proc;	  /* /proc, in the host phase; -1 when not open */
	/* Its entries, read a few at a time: reading /proc makes an entry per process, about
	 * 7 us each with 8000 processes, so a whole libc readdir buffer would take 7 ms. */
	char dents[PROCSCAN_DENTS];
	size_t dents_len, dents_at;
	DIR *fds;	  /* /proc/PID/fd of the process being read */
	uint32_t pid;	  /* that process */
	bool pid_traced;

	uint64_t procs_read, fds_read; /* over all passes */
};

void procscan__init(struct procscan *s, struct pipereaders *pr, const struct tasks *tasks);
/*
 * Goes on with the search for about budget_ns (at least one fd). Returns
 * whether there is more to do: a pass under way, or pipes queued for one.
 */
bool procscan__step(struct procscan *s, uint64_t budget_ns);
void procscan__free(struct procscan *s);

#endif
