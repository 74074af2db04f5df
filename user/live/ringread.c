// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading a BPF ring buffer with batched consumer updates. See ringread.h. */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringread.h"

static inline uint64_t load_acquire(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint32_t load_acquire32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store_release(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

int ringread__open(struct ringread *r, int fd, size_t size, ringread_fn fn, void *ctx)
{
	void *c, *p;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->size = size;
	r->fn = fn;
	r->ctx = ctx;
	c = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED)
		return -errno;
	/* the data is mapped twice in a row: a record that wraps reads straight on */
	p = mmap(NULL, r->page + 2 * size, PROT_READ, MAP_SHARED, fd, (off_t)r->page);
	if (p == MAP_FAILED) {
		int e = -errno;

		munmap(c, r->page);
		return e;
	}
	r->consumer = c;
	r->producer = p;
	r->data = (const uint8_t *)p + r->page;
	return 0;
}

long ringread__consume(struct ringread *r)
{
	uint64_t cons = load_acquire(r->consumer), prod, published = cons;
	uint64_t mask = r->size - 1;
	long n = 0;

	for (;;) {
		prod = load_acquire(r->producer);
		if (cons >= prod)
			break;
		while (cons < prod) {
			const uint32_t *hdr = (const uint32_t *)(r->data + (cons & mask));
			uint32_t len = load_acquire32(hdr);

			if (len & BPF_RINGBUF_BUSY_BIT)
				goto out; /* still being written: the next call takes it */
			cons += ((len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				int e = r->fn(r->ctx, (void *)(hdr + 2),
					      len & ~BPF_RINGBUF_DISCARD_BIT);

				n++;
				if (e < 0) {
					store_release(r->consumer, cons);
					return e;
				}
			}
			if (cons - published >= RINGREAD_PUBLISH_BYTES) {
				store_release(r->consumer, cons);
				published = cons;
			}
		}
	}
out:
	if (cons != published)
		store_release(r->consumer, cons);
	return n;
}

void ringread__close(struct ringread *r)
{
	if (r->consumer)
		munmap(r->consumer, r->page);
	if (r->producer)
		munmap((void *)r->producer, r->page + 2 * r->size);
	r->consumer = NULL;
	r->producer = NULL;
}
