// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The probe table. See probe.h. */
#include <stdlib.h>

#include "probe.h"

void probe_table__free(struct probe_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].func);
		free(t->v[i].object);
		free(t->v[i].open_path);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
