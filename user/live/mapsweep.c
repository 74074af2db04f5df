// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A walk over a changing BPF hash map, a chunk at a time. See mapsweep.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "mapsweep.h"

static int alloc_chunk(struct mapsweep *m, uint32_t chunk)
{
	void *k = malloc((size_t)chunk * m->key_size), *v = malloc((size_t)chunk * m->value_size);

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	free(m->keys);
	free(m->values);
	m->keys = k;
	m->values = v;
	m->chunk = chunk;
	return 0;
}

int mapsweep__init(struct mapsweep *m, int fd, uint32_t key_size, uint32_t value_size,
		   uint32_t chunk)
{
	memset(m, 0, sizeof(*m));
	m->fd = fd;
	m->key_size = key_size;
	m->value_size = value_size;
	return alloc_chunk(m, chunk ? chunk : 1);
}

void mapsweep__restart(struct mapsweep *m)
{
	m->started = false;
	m->done = false;
}

long mapsweep__next(struct mapsweep *m)
{
	uint32_t out, n;
	int e;

	if (m->done)
		return 0;
	for (;;) {
		n = m->chunk;
		e = bpf_map_lookup_batch(m->fd, m->started ? &m->token : NULL, &out, m->keys,
					 m->values, &n, NULL) ? -errno : 0;
		if (e != -ENOSPC)
			break;
		/* one bucket holds more entries than a chunk: take it whole */
		if (m->chunk >= (1u << 20) || alloc_chunk(m, 2 * m->chunk))
			return -ENOSPC;
	}
	if (e == -ENOENT || (!e && !n)) {
		m->done = true;
		return n;
	}
	if (e)
		return e;
	m->token = out;
	m->started = true;
	return n;
}

void mapsweep__free(struct mapsweep *m)
{
	free(m->keys);
	free(m->values);
	m->keys = m->values = NULL;
}
