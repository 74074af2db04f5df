/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A walk over a BPF hash map that the BPF side changes meanwhile, a chunk of
 * entries at a time (bpf_map_lookup_batch). It goes bucket by bucket, so an
 * entry deleted under it costs nothing: a walk by bpf_map_get_next_key would
 * start over from the first key whenever the key it stands on is deleted,
 * and under churn read the map again and again. Each entry present for the
 * whole walk is seen exactly once; one added or deleted meanwhile, at most
 * once. The caller decides how many chunks to read at a time.
 */
#ifndef SPANTRACE_MAPSWEEP_H
#define SPANTRACE_MAPSWEEP_H

#include <stdbool.h>
#include <stdint.h>

struct mapsweep {
	int fd;
	uint32_t key_size, value_size;
	uint32_t chunk; /* entries one read may bring: grows if a bucket holds more */
	uint32_t token; /* where the next read starts (the kernel's bucket) */
	bool started;	/* token is set */
	bool done;	/* the last read reached the end */
	void *keys, *values; /* the entries of the last read */
};

/* For map fd; chunk: entries per read. 0 or -ENOMEM. */
int mapsweep__init(struct mapsweep *m, int fd, uint32_t key_size, uint32_t value_size,
		   uint32_t chunk);
/* Back to the first entry. */
void mapsweep__restart(struct mapsweep *m);
/*
 * Reads the next chunk into keys and values: how many entries (0 once the
 * walk is over, and then done is set), or -errno.
 */
long mapsweep__next(struct mapsweep *m);
void mapsweep__free(struct mapsweep *m);

#endif
