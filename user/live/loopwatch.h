/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How long the event loop stays away from the ring buffer: the longest
 * stretch between two looks at it (a record read, or the end of a read that
 * found nothing more) that was not spent waiting for it in epoll_wait. While
 * the loop is away, the BPF side fills the ring and, once it is full, drops
 * events: -v prints the worst stretch, make bench measures it. On a busy host
 * a stretch also holds time spent waiting for a CPU, so the most CPU time the
 * loop spent in one stretch is kept too: that part is spantrace's own work.
 * Pure: the loop passes the times.
 */
#ifndef SPANTRACE_LOOPWATCH_H
#define SPANTRACE_LOOPWATCH_H

#include <stdbool.h>
#include <stdint.h>

struct loopwatch {
	uint64_t last, last_cpu; /* the last look (0 before the first), and the CPU time then */
	bool waiting;		 /* since last, blocked in epoll_wait: that is no delay */
	uint64_t worst;		 /* the longest stretch away, ns */
	uint64_t worst_cpu;	 /* the most CPU time in one stretch away, ns */
	uint64_t rounds;	 /* times the loop waited */
	bool stopped;		 /* the loop is over: what follows is the stop, not measured */
};

/* The loop looks at the ring buffer at now, having used cpu ns of CPU time so far. */
void loopwatch__look(struct loopwatch *w, uint64_t now, uint64_t cpu);
/* The loop is about to wait for the ring buffer: the stretch away ends here. */
void loopwatch__wait(struct loopwatch *w, uint64_t now, uint64_t cpu);
/* The loop is over: the stop (detaching, reading what is left) is no time away. */
void loopwatch__stop(struct loopwatch *w);

#endif
