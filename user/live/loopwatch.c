// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The event loop's longest stretch away from the ring buffer. See loopwatch.h. */
#include "loopwatch.h"

static void stretch_ends(struct loopwatch *w, uint64_t now)
{
	if (w->last && !w->waiting && now > w->last && now - w->last > w->worst)
		w->worst = now - w->last;
	w->last = now;
}

void loopwatch__look(struct loopwatch *w, uint64_t now)
{
	stretch_ends(w, now);
	w->waiting = false;
}

void loopwatch__wait(struct loopwatch *w, uint64_t now)
{
	stretch_ends(w, now);
	w->waiting = true;
	w->rounds++;
}
