// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attaching uprobe sites. See uprobes.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "errbuf.h"
#include "spantrace.h"
#include "umulti.h"
#include "uprobes.h"
#include "util.h"

/* The kernel refused this address, as opposed to failing the attach as a whole. */
static bool refused(int e)
{
	return e == KERNEL_ENOTSUPP || e == EINVAL || e == EOPNOTSUPP;
}

const char *uprobes__strerror(int e)
{
	return e == KERNEL_ENOTSUPP ? "the kernel cannot probe the instruction there" : strerror(e);
}

/* The object a site is in, as the user names it (its path is /proc/self/fd/N). */
static const char *site_object(const struct uprobes *u, const struct site *s)
{
	if (s->probe != SITE_NO_PROBE)
		return u->probes->v[s->probe].object;
	/* A runtime site is in the Go executable, which has span probes too. */
	for (size_t i = 0; i < u->probes->n; i++)
		if (strcmp(u->probes->v[i].open_path, s->path) == 0)
			return u->probes->v[i].object;
	return s->path;
}

static void site_error(const struct uprobes *u, const struct site *s, int e, char *err,
		       size_t errlen)
{
	const char *what = s->probe == SITE_NO_PROBE ? "the Go runtime" :
						       u->probes->v[s->probe].func;

	errbuf__set(err, errlen, "failed to attach a %s to %s in %s at offset 0x%llx: %s",
		    s->retprobe ? "uretprobe" : "uprobe", what, site_object(u, s),
		    (unsigned long long)s->offset, uprobes__strerror(e));
}

/* Marks site s's function refused; a runtime site cannot be refused. */
static int refuse(struct uprobes *u, const struct site *s, int e, char *err, size_t errlen)
{
	if (s->probe == SITE_NO_PROBE) {
		site_error(u, s, e, err, errlen);
		return -e;
	}
	if (!u->sites->skipped[s->probe]) {
		u->sites->skipped[s->probe] = true;
		u->sites->nskipped++;
		u->nrefused++;
	}
	u->refused_errno = e;
	return 0;
}

/* --- uprobe_multi ------------------------------------------------------------ */

struct mgroup {
	const char *path;
	int prog;
	bool ret;
	unsigned long *offs;
	unsigned long long *cookies;
	const struct site **site;
};

static int mlinks_push(struct uprobes *u, int fd, const struct mgroup *g)
{
	if (u->nmlinks == u->mcap) {
		size_t cap = u->mcap ? u->mcap * 2 : 16;
		struct mlink *v = realloc(u->mlinks, cap * sizeof(*v));

		if (!v) {
			close(fd);
			return -ENOMEM;
		}
		u->mlinks = v;
		u->mcap = cap;
	}
	u->mlinks[u->nmlinks++] = (struct mlink){ .fd = fd, .path = g->path, .prog = (uint8_t)g->prog,
						  .ret = g->ret };
	return 0;
}

/*
 * One link for g[lo, hi). The kernel refuses a whole link if one offset
 * cannot be probed: split in halves until the refused sites are isolated.
 */
static int attach_range(struct uprobes *u, struct mgroup *g, unsigned int lo, unsigned int hi,
			char *err, size_t errlen)
{
	int fd = umulti__link_create(bpf_program__fd(u->progs[g->prog]), g->path, g->offs + lo,
				     g->cookies + lo, hi - lo,
				     g->ret ? ST_F_UPROBE_MULTI_RETURN : 0,
				     u->pid_for(u->ctx, g->path));
	int e, r;

	if (fd >= 0)
		return mlinks_push(u, fd, g);
	e = errno;
	if (!refused(e)) {
		site_error(u, g->site[lo], e, err, errlen);
		return -e;
	}
	if (hi - lo == 1)
		return refuse(u, g->site[lo], e, err, errlen);
	r = attach_range(u, g, lo, lo + (hi - lo) / 2, err, errlen);
	return r ? r : attach_range(u, g, lo + (hi - lo) / 2, hi, err, errlen);
}

static bool site_live(const struct uprobes *u, const struct site *s)
{
	return s->probe == SITE_NO_PROBE ||
	       (!u->sites->skipped[s->probe] && !(u->stopped && u->stopped[s->probe]));
}

static int attach_multi_once(struct uprobes *u, char *err, size_t errlen)
{
	const struct site_table *st = u->sites;
	bool *done = calloc(st->n ? st->n : 1, sizeof(*done));
	struct mgroup g = {
		.offs = calloc(st->n ? st->n : 1, sizeof(*g.offs)),
		.cookies = calloc(st->n ? st->n : 1, sizeof(*g.cookies)),
		.site = calloc(st->n ? st->n : 1, sizeof(*g.site)),
	};
	int r = 0;

	if (!done || !g.offs || !g.cookies || !g.site) {
		errbuf__set(err, errlen, "out of memory");
		r = -ENOMEM;
	}
	for (size_t i = 0; !r && i < st->n; i++) {
		const struct site *s = &st->v[i];
		unsigned int cnt = 0;

		if (done[i] || !site_live(u, s))
			continue;
		g.path = s->path;
		g.prog = s->prog;
		g.ret = s->retprobe;
		for (size_t j = i; j < st->n; j++) {
			const struct site *t = &st->v[j];

			if (done[j] || !site_live(u, t) || t->prog != s->prog ||
			    t->retprobe != s->retprobe || strcmp(t->path, s->path) != 0)
				continue;
			done[j] = true;
			g.offs[cnt] = t->offset;
			g.cookies[cnt] = t->cookie;
			g.site[cnt++] = t;
		}
		r = attach_range(u, &g, 0, cnt, err, errlen);
	}
	free(done);
	free(g.offs);
	free(g.cookies);
	free(g.site);
	return r;
}

static int attach_multi(struct uprobes *u, char *err, size_t errlen)
{
	for (;;) {
		size_t before = u->nrefused;
		int r = attach_multi_once(u, err, errlen);

		if (r || u->nrefused == before)
			return r;
		/* Some functions lost a site: attach again without any of theirs. */
		uprobes__detach(u);
	}
}

/* --- perf uprobes -------------------------------------------------------------- */

static int attach_perf(struct uprobes *u, char *err, size_t errlen)
{
	const struct site_table *st = u->sites;

	u->links = calloc(st->n ? st->n : 1, sizeof(*u->links));
	if (!u->links) {
		errbuf__set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct site *s = &st->v[i];
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = s->retprobe, .bpf_cookie = s->cookie);
		int pid, e, r;

		if (!site_live(u, s))
			continue;
		pid = u->pid_for(u->ctx, s->path);
		u->links[i] = bpf_program__attach_uprobe_opts(u->progs[s->prog], pid ? pid : -1,
							      s->path, s->offset, &uo);
		if (u->links[i])
			continue;
		e = errno;
		if (!refused(e)) {
			site_error(u, s, e, err, errlen);
			return -e;
		}
		r = refuse(u, s, e, err, errlen);
		if (r)
			return r;
	}
	/* A refused function keeps none of its sites. */
	for (size_t i = 0; i < st->n; i++)
		if (u->links[i] && !site_live(u, &st->v[i])) {
			bpf_link__destroy(u->links[i]);
			u->links[i] = NULL;
		}
	return 0;
}

int uprobes__attach(struct uprobes *u, bool verbose, char *err, size_t errlen)
{
	int r = u->multi ? attach_multi(u, err, errlen) : attach_perf(u, err, errlen);

	if (!r && verbose) {
		size_t nsites = 0;

		for (size_t i = 0; i < u->sites->n; i++)
			nsites += site_live(u, &u->sites->v[i]);
		say("attached %zu uprobe site%s (%s)", nsites, nsites == 1 ? "" : "s",
		    u->multi ? "uprobe_multi links" : "perf uprobes");
	}
	return r;
}

/* --- stopping functions while tracing ---------------------------------------- */

static bool site_stops(const struct uprobes *u, const bool *stop, const struct site *s)
{
	return s->probe != SITE_NO_PROBE && stop[s->probe] && !u->stopped[s->probe];
}

static void between(struct uprobes *u)
{
	if (u->between)
		u->between(u->ctx);
}

/*
 * Per-function links: each site's own, the entries' before the span_exit ones
 * (returns, and --span ENDs), so no span of theirs begins that could not end.
 */
static void stop_perf(struct uprobes *u, const bool *stop)
{
	for (int returns = 0; returns < 2; returns++)
		for (size_t i = 0; i < u->sites->n; i++) {
			const struct site *s = &u->sites->v[i];

			if (!u->links[i] || !site_stops(u, stop, s) || (s->prog == SITE_EXIT) != returns)
				continue;
			bpf_link__destroy(u->links[i]);
			u->links[i] = NULL;
			between(u);
		}
}

/* Whether link m holds a site of a function being stopped. */
static bool mlink_stops(const struct uprobes *u, const bool *stop, const struct mlink *m)
{
	for (size_t i = 0; i < u->sites->n; i++) {
		const struct site *s = &u->sites->v[i];

		if (site_stops(u, stop, s) && s->prog == m->prog && s->retprobe == m->ret &&
		    strcmp(s->path, m->path) == 0)
			return true;
	}
	return false;
}

/*
 * Replaces link m by one of generation !m->gen holding its sites that stay
 * (none: it is only closed). Both fire between the new link's creation and
 * the old one's close, and the BPF side records each hit once while the swap
 * is on (bpf/guard.bpf.h); after the close no old program runs any more (a
 * link is released, its handlers waited for, before close returns), so the
 * swap ends there.
 */
static int swap_mlink(struct uprobes *u, const bool *stop, struct mlink *m, char *err,
		      size_t errlen)
{
	const struct site_table *st = u->sites;
	unsigned long *offs = calloc(st->n ? st->n : 1, sizeof(*offs));
	unsigned long long *cookies = calloc(st->n ? st->n : 1, sizeof(*cookies));
	bool gen = !m->gen;
	unsigned int cnt = 0;
	int fd = -1, e = 0;

	for (size_t i = 0; offs && cookies && i < st->n; i++) {
		const struct site *s = &st->v[i];

		if (!site_live(u, s) || site_stops(u, stop, s) || s->prog != m->prog ||
		    s->retprobe != m->ret || strcmp(s->path, m->path) != 0)
			continue;
		offs[cnt] = s->offset;
		cookies[cnt++] = (s->cookie & ~ST_CK_GEN) | (gen ? ST_CK_GEN : 0);
	}
	if (!offs || !cookies) {
		errbuf__set(err, errlen, "out of memory");
		e = ENOMEM;
	}
	__atomic_store_n(u->swap_new_gen, gen, __ATOMIC_SEQ_CST);
	__atomic_store_n(u->swap_epoch, ++u->nswaps ? u->nswaps : ++u->nswaps, __ATOMIC_SEQ_CST);
	if (!e && cnt) {
		fd = umulti__link_create(bpf_program__fd(u->progs[m->prog]), m->path, offs, cookies,
					 cnt, m->ret ? ST_F_UPROBE_MULTI_RETURN : 0,
					 u->pid_for(u->ctx, m->path));
		e = fd < 0 ? errno : 0;
		if (e)
			errbuf__set(err, errlen, "failed to replace the uprobe_multi link of %s: %s",
				    m->path, strerror(e));
	}
	if (!e) {
		close(m->fd);
		m->fd = fd;
		m->gen = gen;
	}
	__atomic_store_n(u->swap_epoch, 0, __ATOMIC_SEQ_CST);
	free(offs);
	free(cookies);
	between(u);
	return -e;
}

/* Every link holding a site to stop, replaced: as stop_perf, entries first. */
static int stop_multi(struct uprobes *u, const bool *stop, char *err, size_t errlen)
{
	for (int returns = 0; returns < 2; returns++)
		for (size_t i = 0; i < u->nmlinks; i++) {
			struct mlink *m = &u->mlinks[i];
			int r;

			if (m->fd < 0 || (m->prog == SITE_EXIT) != returns || !mlink_stops(u, stop, m))
				continue;
			r = swap_mlink(u, stop, m, err, errlen);
			if (r)
				return r;
		}
	return 0;
}

int uprobes__stop(struct uprobes *u, const bool *stop, char *err, size_t errlen)
{
	int r = 0;

	if (!u->stopped && !(u->stopped = calloc(u->probes->n ? u->probes->n : 1, 1))) {
		errbuf__set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (u->multi)
		r = stop_multi(u, stop, err, errlen);
	else if (u->links)
		stop_perf(u, stop);
	if (r)
		return r;
	for (size_t i = 0; i < u->probes->n; i++)
		u->stopped[i] |= stop[i];
	return 0;
}

void uprobes__detach(struct uprobes *u)
{
	for (size_t i = 0; i < u->nmlinks; i++)
		if (u->mlinks[i].fd >= 0)
			close(u->mlinks[i].fd);
	u->nmlinks = 0;
	if (u->links)
		for (size_t i = 0; i < u->sites->n; i++) {
			bpf_link__destroy(u->links[i]);
			u->links[i] = NULL;
		}
}

void uprobes__free(struct uprobes *u)
{
	if (u->sites)
		uprobes__detach(u);
	free(u->mlinks);
	free(u->links);
	free(u->stopped);
	u->mlinks = NULL;
	u->links = NULL;
	u->stopped = NULL;
}
