// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The event loop's longest stretch away from the ring buffer. See loopwatch.h. */
#include "loopwatch.h"

static void stretch_ends(struct loopwatch *w, uint64_t now, uint64_t cpu)
{
	if (w->last && !w->waiting && !w->stopped) {
		if (now > w->last && now - w->last > w->worst)
			w->worst = now - w->last;
		if (cpu > w->last_cpu && cpu - w->last_cpu > w->worst_cpu)
			w->worst_cpu = cpu - w->last_cpu;
	}
	w->last = now;
	w->last_cpu = cpu;
}

void loopwatch__look(struct loopwatch *w, uint64_t now, uint64_t cpu)
{
	stretch_ends(w, now, cpu);
	w->waiting = false;
}

void loopwatch__wait(struct loopwatch *w, uint64_t now, uint64_t cpu)
{
	stretch_ends(w, now, cpu);
	w->waiting = true;
	w->rounds++;
}

void loopwatch__stop(struct loopwatch *w)
{
	w->stopped = true;
}
