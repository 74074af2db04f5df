// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What a uprobe hit costs here, measured on spantrace's own code. See calib.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "calib.h"
#include "errbuf.h"
#include "ringread.h"
#include "spantrace.h"
#include "spantrace.skel.h"
#include "umulti.h"
#include "util.h"

/*
 * One function per kind of site, each starting with the instruction that
 * kind is about, in assembly so that no compiler option changes them:
 * a 5-byte nop, a push (emulated), a mov (single-stepped), a lone RET, and a
 * push again for a uretprobe beside its entry probe.
 */
__asm__(".pushsection .text\n"
	".p2align 4\n"
	".type calib_nop5, @function\n"
	"calib_nop5:\n\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\tret\n"
	".size calib_nop5, .-calib_nop5\n"
	".p2align 4\n"
	".type calib_push, @function\n"
	"calib_push:\n\tpush %rbp\n\tpop %rbp\n\tret\n"
	".size calib_push, .-calib_push\n"
	".p2align 4\n"
	".type calib_mov, @function\n"
	"calib_mov:\n\tmov %rdi, %rax\n\tret\n"
	".size calib_mov, .-calib_mov\n"
	".p2align 4\n"
	".type calib_ret, @function\n"
	"calib_ret:\n\tret\n"
	".size calib_ret, .-calib_ret\n"
	".p2align 4\n"
	".type calib_uret, @function\n"
	"calib_uret:\n\tpush %rbp\n\tpop %rbp\n\tret\n"
	".size calib_uret, .-calib_uret\n"
	".popsection\n");

long calib_nop5(long x);
long calib_push(long x);
long calib_mov(long x);
long calib_ret(long x);
long calib_uret(long x);

typedef long (*calib_fn)(long);

/* The function of each kind, and how it is probed at its first byte. */
static const struct {
	calib_fn fn;
	uint8_t prog; /* SITE_ENTER or SITE_EXIT */
	bool uret;    /* also a uretprobe there (span_exit) */
} kinds[SITE_NCOSTS] = {
	[SITE_COST_NOP5] = { calib_nop5, SITE_ENTER, false },
	[SITE_COST_EMULATED] = { calib_push, SITE_ENTER, false },
	[SITE_COST_STEPPED] = { calib_mov, SITE_ENTER, false },
	[SITE_COST_RET] = { calib_ret, SITE_EXIT, false },
	[SITE_COST_URETPROBE] = { calib_uret, SITE_ENTER, true },
};

#define CALIB_MAX_LINKS (2 * SITE_NCOSTS)

struct calib_run {
	struct calib *c;
	struct ringread drain;
	int fds[CALIB_MAX_LINKS];	  /* uprobe_multi links */
	struct bpf_link *links[CALIB_MAX_LINKS]; /* perf uprobes */
	size_t nfds, nlinks;
	volatile long sink;
};

static int drop_record(void *ctx, void *data, size_t size)
{
	return 0;
}

/* The file offset of code at addr in this process's executable, from /proc/self/maps. */
static int self_offset(const void *addr, unsigned long *off, char *err, size_t errlen)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long a = (unsigned long)addr, start, end, foff;
	char line[512];

	if (!f) {
		errbuf__set(err, errlen, "failed to read /proc/self/maps: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx", &start, &end, &foff) == 3 && a >= start &&
		    a < end) {
			fclose(f);
			*off = a - start + foff;
			return 0;
		}
	fclose(f);
	errbuf__set(err, errlen, "failed to find spantrace's own code in /proc/self/maps");
	return -1;
}

static struct bpf_program *prog_of(const struct calib *c, int prog)
{
	return prog == SITE_EXIT ? c->skel->progs.span_exit : c->skel->progs.span_enter;
}

/* One probe on fn's first byte: prog, as a uretprobe with ret. */
static int attach_one(struct calib_run *r, calib_fn fn, int prog, bool ret, char *err,
		      size_t errlen)
{
	unsigned long off;
	unsigned long long cookie = r->c->probe;
	struct bpf_program *p = prog_of(r->c, prog);
	int fd;

	if (self_offset((const void *)fn, &off, err, errlen))
		return -1;
	if (r->c->multi) {
		fd = umulti__link_create(bpf_program__fd(p), "/proc/self/exe", &off, &cookie, 1,
					 ret ? ST_F_UPROBE_MULTI_RETURN : 0, getpid());
		if (fd >= 0) {
			r->fds[r->nfds++] = fd;
			return 0;
		}
	} else {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret, .bpf_cookie = cookie);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(p, getpid(), "/proc/self/exe",
								     off, &uo);

		if (l) {
			r->links[r->nlinks++] = l;
			return 0;
		}
	}
	errbuf__set(err, errlen, "failed to attach a calibration uprobe to spantrace itself: %s",
		    strerror(errno));
	return -1;
}

static int attach_all(struct calib_run *r, char *err, size_t errlen)
{
	for (int k = 0; k < SITE_NCOSTS; k++) {
		if (!r->c->want[k])
			continue;
		if (attach_one(r, kinds[k].fn, kinds[k].prog, false, err, errlen) ||
		    (kinds[k].uret && attach_one(r, kinds[k].fn, SITE_EXIT, true, err, errlen)))
			return -1;
	}
	return 0;
}

static void detach_all(struct calib_run *r)
{
	for (size_t i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	for (size_t i = 0; i < r->nlinks; i++)
		bpf_link__destroy(r->links[i]);
	r->nfds = r->nlinks = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * fn's time per call in picoseconds, the median of batches of c->batch calls
 * (after one batch to warm up): at most CALIB_BATCHES, or fewer once
 * CALIB_KIND_NS have passed and 8 were made. *calls: the calls timed.
 */
static uint64_t time_calls(struct calib_run *r, calib_fn fn, uint32_t *calls)
{
	uint64_t per[CALIB_BATCHES], start = mono_ns();
	uint32_t b = r->c->batch;
	size_t n = 0;

	for (int warm = 1; n < CALIB_BATCHES; warm = 0) {
		uint64_t t0 = mono_ns(), t1;

		for (uint32_t i = 0; i < b; i++)
			r->sink += fn((long)i);
		t1 = mono_ns();
		ringread__consume(&r->drain);
		if (!warm)
			per[n++] = (t1 - t0) * 1000 / b;
		if (n >= 8 && mono_ns() - start > CALIB_KIND_NS)
			break;
	}
	*calls = (uint32_t)(n * b);
	qsort(per, n, sizeof(per[0]), cmp_u64);
	return per[n / 2];
}

/*
 * spantrace's own thread traced for the calibration, as a traced process's
 * threads are (or not again: the filter's entry, its name's and every
 * CPU's cached verdict gone), so the probes run their programs all the way.
 */
static int trace_self(struct calib *c, bool on, char *err, size_t errlen)
{
	uint32_t pid = (uint32_t)getpid(), tid = (uint32_t)gettid();
	uint8_t one = 1;

	if (on) {
		if (!bpf_map__update_elem(c->skel->maps.tgids, &pid, sizeof(pid), &one,
					  sizeof(one), BPF_ANY))
			return 0;
		errbuf__set(err, errlen, "failed to trace spantrace itself for the calibration: %s",
			    strerror(errno));
		return -1;
	}
	bpf_map__delete_elem(c->skel->maps.tgids, &pid, sizeof(pid), 0);
	bpf_map__delete_elem(c->skel->maps.seen_tids, &tid, sizeof(tid), 0);
	__atomic_add_fetch(&c->skel->bss->task_gen, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void measure(struct calib_run *r, const uint64_t *base_ps)
{
	struct calib *c = r->c;
	uint64_t ps[SITE_NCOSTS];

	for (int k = 0; k < SITE_NCOSTS; k++)
		if (c->want[k])
			ps[k] = time_calls(r, kinds[k].fn, &c->hits[k]);
	for (int k = 0; k < SITE_NCOSTS; k++) {
		uint64_t add;

		if (!c->want[k])
			continue;
		add = ps[k] > base_ps[k] ? ps[k] - base_ps[k] : 0;
		/* a uretprobe's function has its entry probe too: its cost is the rest */
		if (k == SITE_COST_URETPROBE)
			add = add > c->ns[SITE_COST_EMULATED] * 1000 ?
				      add - c->ns[SITE_COST_EMULATED] * 1000 : 0;
		c->ns[k] = (add + 500) / 1000;
		c->measured[k] = true;
	}
}

int calib__run(struct calib *c, char *err, size_t errlen)
{
	struct calib_run r = { .c = c };
	uint64_t start = mono_ns(), base_ps[SITE_NCOSTS] = { 0 }, dropped;
	uint32_t unused;
	int rc = -1;

	if (c->want[SITE_COST_URETPROBE])
		c->want[SITE_COST_EMULATED] = true;
	if (ringread__open(&r.drain, bpf_map__fd(c->skel->maps.events),
			   bpf_map__max_entries(c->skel->maps.events), drop_record, NULL)) {
		errbuf__set(err, errlen, "failed to map the ring buffer: %s", strerror(errno));
		return -1;
	}
	for (int k = 0; k < SITE_NCOSTS; k++)
		if (c->want[k])
			base_ps[k] = time_calls(&r, kinds[k].fn, &unused);
	dropped = c->skel->bss->dropped;
	if (!attach_all(&r, err, errlen) && !trace_self(c, true, err, errlen)) {
		measure(&r, base_ps);
		trace_self(c, false, err, errlen);
		rc = 0;
	}
	detach_all(&r);
	ringread__consume(&r.drain);
	ringread__close(&r.drain);
	/* records the calibration could not queue are not the trace's */
	c->skel->bss->dropped = dropped;
	c->took_ns = mono_ns() - start;
	return rc;
}
