// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The probe table. See probe.h. */
#include <stdlib.h>

#include "probe.h"

void probe__free(struct probe *p)
{
	free(p->name);
	free(p->func);
	free(p->object);
	free(p->open_path);
}

void probe_table__free(struct probe_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		probe__free(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
