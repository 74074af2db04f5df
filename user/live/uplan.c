// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The uprobe plan of a target. See uplan.h. */
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "resolve.h"
#include "uplan.h"
#include "util.h"

/*
 * Opens the objects that tell whether exceptions can unwind (the unwinder's
 * libraries, the executable). One that cannot be opened is judged by its
 * name alone: its unwinder events are then not seen, which only makes the
 * ends of spans an exception passes later, never wrong.
 */
static void open_unwinder_objects(struct target *t, bool verbose)
{
	size_t idx[UNWIND_MAX_OBJS + 1];
	size_t n = unwind__candidates(t->objs, t->nobjs, idx, UNWIND_MAX_OBJS + 1);
	char why[512];

	for (size_t i = 0; i < n; i++)
		if (target__open_object(t, idx[i], verbose, why, sizeof(why)) && verbose)
			say("exceptions: %s", why);
}

static const struct target_obj *main_object(const struct target *t)
{
	for (size_t i = 0; i < t->nobjs; i++)
		if (t->objs[i].is_main)
			return &t->objs[i];
	return NULL;
}

/* --list: every function of the Go executable is refused for why. */
static int refuse_go(const struct uplan *u, const struct probe_table *probes,
		     struct site_table *sites, const char *why)
{
	for (size_t i = 0; i < probes->n; i++)
		if (strcmp(probes->v[i].open_path, u->go_path) == 0 &&
		    sites__refuse(sites, i, "in a Go program whose goroutines cannot be followed",
				  why))
			return -1;
	return 0;
}

/*
 * Is the main executable Go, with functions to probe, and can its goroutines
 * be followed? If it is, its functions are probed as Go's (u->go_path);
 * *go_why says why its goroutines cannot be followed, or is "".
 */
static int decide_go(struct uplan *u, const struct target *t, const struct probe_table *probes,
		     bool verbose, char *go_why, size_t whylen)
{
	const struct target_obj *m = main_object(t);
	bool go_probes = false;
	char why[512];

	go_why[0] = '\0';
	if (!m || !m->open_path || !probes->n ||
	    gobin__inspect(m->open_path, &u->go, why, sizeof(why)) || !u->go.is_go)
		return 0;
	for (size_t i = 0; i < probes->n; i++)
		go_probes |= strcmp(probes->v[i].open_path, m->open_path) == 0;
	if (!go_probes)
		return 0;
	u->go_path = m->open_path;
	if (gobin__check(&u->go, m->path, go_why, whylen))
		return -1;
	if (verbose)
		say("%s: Go %s; goroutine id at runtime.g+%u, stack top at +%u (%s)", m->path,
		    u->go.version[0] ? u->go.version : "(unknown version)", u->go.goid_off,
		    u->go.stack_hi_off, u->go.goid_from);
	return 0;
}

int uplan__build(struct uplan *u, struct target *t, const struct opts *o,
		 struct probe_table *probes, struct site_table *sites, char *err, size_t errlen)
{
	struct sites_target tg;
	char go_why[512];

	memset(u, 0, sizeof(*u));
	if (target__open_objects(t, o->specs, o->nspecs, o->verbose, err, errlen) ||
	    resolve__specs(o->specs, o->nspecs, t->objs, t->nobjs, probes, err, errlen))
		return -1;
	if (decide_go(u, t, probes, o->verbose, go_why, sizeof(go_why)) && !o->list) {
		errbuf__set(err, errlen, "%s", go_why);
		return -1;
	}
	open_unwinder_objects(t, o->verbose);
	unwind__detect(t->objs, t->nobjs, &u->unwind);
	if (o->verbose && u->unwind.present)
		say("exceptions can unwind through traced frames (%s): returns are probed on "
		    "their instructions, never with a uretprobe", u->unwind.why);
	tg = (struct sites_target){
		.go_path = u->go_path,
		.unwinds = u->unwind.present,
		.unwinder_paths = u->unwind.objs,
		.nunwinder_paths = u->unwind.nobjs,
		.flags = (o->probe_at_entry ? SITES_AT_ENTRY : 0) |
			 (util__env_set("SPANTRACE_C_RET_PROBES") ? SITES_C_RETS : 0),
	};
	if (sites__build(probes, &tg, sites, err, errlen))
		return -1;
	if (go_why[0] && refuse_go(u, probes, sites, go_why)) {
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
