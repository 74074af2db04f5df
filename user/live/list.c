// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --list. See list.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "list.h"
#include "listing.h"
#include "uplan.h"
#include "util.h"

/* Where the functions are looked for: a running process, a command's files, one file. */
static int find_target(struct target *t, const struct opts *o, char *err, size_t errlen)
{
	if (o->pid)
		return target__attach_pid(t, o->pid, err, errlen);
	if (o->cmd)
		return target__resolve_command(t, o->cmd, true, err, errlen);
	return target__file(t, o->file, err, errlen);
}

static int print_list(const struct opts *o, const struct probe_table *probes,
		      const struct site_table *sites, char *err, size_t errlen)
{
	if (listing__write(stdout, o->list_json ? LISTING_JSON : LISTING_TEXT, probes, sites)) {
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		errbuf__set(err, errlen, "failed to write the list: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int list__run(const struct opts *o)
{
	struct probe_table probes = { 0 };
	struct site_table sites = { 0 };
	struct target t;
	struct uplan plan;
	char err[1024] = "";
	int rc = find_target(&t, o, err, sizeof(err)) ||
		 uplan__build(&plan, &t, o, &probes, &sites, err, sizeof(err)) ||
		 print_list(o, &probes, &sites, err, sizeof(err));

	if (rc)
		say("%s", err);
	sites__free(&sites, probes.n);
	probe_table__free(&probes);
	target__close(&t);
	return rc ? 1 : 0;
}
