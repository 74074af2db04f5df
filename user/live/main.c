// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "list.h"
#include "loader.h"
#include "opts.h"
#include "sigstate.h"

int main(int argc, char **argv)
{
	struct sigstate start;
	struct opts o;
	char err[512];
	int rc;

	/* before anything blocks or ignores a signal: the command gets this state */
	sigstate__save(&start);
	if (opts__parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "spantrace: %s\n", err);
		return 2;
	}
	if (o.help) {
		opts__usage(stdout);
		opts__free(&o);
		return 0;
	}
	rc = o.list ? list__run(&o) : loader__run(&o, &start);
	opts__free(&o);
	return rc;
}
