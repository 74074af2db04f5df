// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What a uprobe hit costs here, measured on spantrace's own code. See calib.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
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

struct calib_run {
	struct calib *c;
	struct ringread drain;
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

/*
 * The probes of the wanted kinds, each on its function's first byte: as
 * uprobe_multi links, one per program and direction (fewer links, fewer
 * grace periods to take them off), or one perf uprobe per site.
 */
static int attach_all(struct calib *c, char *err, size_t errlen)
{
	static const struct {
		uint8_t prog;
		bool ret;
	} groups[] = { { SITE_ENTER, false }, { SITE_EXIT, false }, { SITE_EXIT, true } };

	for (size_t gi = 0; gi < sizeof(groups) / sizeof(groups[0]); gi++) {
		struct bpf_program *p = prog_of(c, groups[gi].prog);
		unsigned long offs[SITE_NCOSTS];
		unsigned long long cookies[SITE_NCOSTS];
		unsigned int n = 0;

		for (int k = 0; k < SITE_NCOSTS; k++)
			if (c->want[k] && (groups[gi].ret ? kinds[k].uret : kinds[k].prog == groups[gi].prog)) {
				if (self_offset((const void *)kinds[k].fn, &offs[n], err, errlen))
					return -1;
				cookies[n++] = c->probe;
			}
		for (unsigned int i = 0; i < n && !c->multi; i++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = groups[gi].ret,
				    .bpf_cookie = cookies[i]);

			c->links[c->nlinks] = bpf_program__attach_uprobe_opts(p, getpid(),
									       "/proc/self/exe",
									       offs[i], &uo);
			if (!c->links[c->nlinks++])
				goto fail;
		}
		if (n && c->multi) {
			c->fds[c->nfds] = umulti__link_create(bpf_program__fd(p), "/proc/self/exe", offs,
							      cookies, n, groups[gi].ret ?
								ST_F_UPROBE_MULTI_RETURN : 0,
							      getpid());
			if (c->fds[c->nfds++] < 0)
				goto fail;
		}
	}
	return 0;
fail:
	errbuf__set(err, errlen, "failed to attach a calibration uprobe to spantrace itself: %s",
		    strerror(errno));
	return -1;
}

static void *close_links(void *arg)
{
	struct calib *c = arg;

	for (size_t i = 0; i < c->nfds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	for (size_t i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	c->nfds = c->nlinks = 0;
	return NULL;
}

/*
 * The calibration's probes off, on a thread of their own, with every signal
 * blocked (a signal for spantrace must reach the thread that handles it), or
 * here if the thread cannot be made.
 */
static void release_links(struct calib *c)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	c->closing = !pthread_create(&c->closer, NULL, close_links, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!c->closing)
		close_links(c);
}

void calib__release(struct calib *c)
{
	if (c->closing)
		pthread_join(c->closer, NULL);
	c->closing = false;
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
	if (!attach_all(c, err, errlen) && !trace_self(c, true, err, errlen)) {
		measure(&r, base_ps);
		trace_self(c, false, err, errlen);
		rc = 0;
	}
	c->took_ns = mono_ns() - start;
	release_links(c);
	ringread__consume(&r.drain);
	ringread__close(&r.drain);
	/* records the calibration could not queue are not the trace's */
	c->skel->bss->dropped = dropped;
	return rc;
}
