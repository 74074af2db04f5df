/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How long the event loop stays away from the ring buffer: the longest
 * stretch between two looks at it (a record read, or the end of a read that
 * found nothing more) that was not spent waiting for it in epoll_wait. While
 * the loop is away, the BPF side fills the ring and, once it is full, drops
 * events: -v prints the worst stretch, make bench measures it. Pure: the loop
 * passes the time.
 */
#ifndef SPANTRACE_LOOPWATCH_H
#define SPANTRACE_LOOPWATCH_H

#include <stdbool.h>
#include <stdint.h>

struct loopwatch {
	uint64_t last;	     /* the last look, 0 before the first */
	bool waiting;	     /* since last, blocked in epoll_wait: that is no delay */
	uint64_t worst;	     /* the longest stretch away, ns */
	uint64_t rounds;     /* times the loop waited */
};

/* The loop looks at the ring buffer now (reads a record, or finds it empty). */
void loopwatch__look(struct loopwatch *w, uint64_t now);
/* The loop is about to wait for the ring buffer: the stretch away ends here. */
void loopwatch__wait(struct loopwatch *w, uint64_t now);

#endif
