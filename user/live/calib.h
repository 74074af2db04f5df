/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What one uprobe hit costs on this machine, for each kind of site
 * (enum site_cost), measured at start for the overhead guard: uprobes on
 * functions of spantrace's own code whose first instruction is known (one
 * per kind), attached the way the session attaches its own (uprobe_multi or
 * perf), running the session's own programs all the way (spantrace's
 * thread is traced meanwhile, and the records it makes are read and
 * dropped). Each function is called in batches without, then with its
 * probe; the cost is the difference of the medians of the batches' time per
 * call (a uretprobe's, beyond the emulated entry its function has too).
 * Bounded: at most CALIB_BATCHES batches or CALIB_KIND_NS per kind. Taking
 * the probes off waits for the kernel (a grace period per link, tens of
 * milliseconds each): a thread of its own does it while the session goes on,
 * and calib__release waits for it.
 */
#ifndef SPANTRACE_CALIB_H
#define SPANTRACE_CALIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sites.h"

struct spantrace_bpf;
struct bpf_link;

#define CALIB_BATCHES 64
#define CALIB_KIND_NS (20ull * 1000 * 1000)
#define CALIB_MAX_LINKS (2 * SITE_NCOSTS)

struct calib {
	/* set by the caller */
	struct spantrace_bpf *skel;
	bool multi;		  /* attach as uprobe_multi links, else perf uprobes */
	bool want[SITE_NCOSTS];	  /* the kinds to measure */
	uint32_t probe;		  /* the probe index in the calibration sites' cookies */
	uint32_t batch;		  /* calls per batch: records the ring buffer holds at once */

	/* results */
	bool measured[SITE_NCOSTS];
	uint64_t ns[SITE_NCOSTS]; /* per hit */
	uint32_t hits[SITE_NCOSTS];
	uint64_t took_ns;	  /* the whole calibration, but taking its probes off */

	/* its probes, taken off by the closer thread */
	int fds[CALIB_MAX_LINKS]; /* uprobe_multi links */
	struct bpf_link *links[CALIB_MAX_LINKS]; /* perf uprobes */
	size_t nfds, nlinks;
	pthread_t closer;
	bool closing;
};

/* Measures the wanted kinds. 0, or -1 with the reason in err. */
int calib__run(struct calib *c, char *err, size_t errlen);
/* Returns once the calibration's probes are off. */
void calib__release(struct calib *c);

#endif
