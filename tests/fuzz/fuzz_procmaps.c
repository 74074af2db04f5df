// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes /proc/PID/maps parsing (user/symbols/procmaps.c): the text of a process
 * that may have mapped files with any name, through mapped_objs__parse and
 * maps__file_at. Seeds: maps text written by seeds.sh.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz__strdup(data, size);
	struct mapped_objs m;
	struct maps_file_id id;

	if (mapped_objs__parse(text, &m) == 0) {
		for (size_t i = 0; i < m.n; i++) {
			fuzz__check(m.v[i].path && m.v[i].path[0] == '/');
			fuzz__check(m.v[i].start < m.v[i].end);
			/* one entry per file */
			for (size_t k = 0; k < i; k++)
				fuzz__check(memcmp(&m.v[k].id, &m.v[i].id, sizeof(id)) != 0);
			/* the mapping it names is found again (real maps never repeat a start;
			 * crafted text may, so which file comes back is not checked) */
			fuzz__check(maps__file_at(text, m.v[i].start, &id) == 0);
		}
		mapped_objs__free(&m);
	} else {
		fuzz__check(m.n == 0 && !m.v);
	}
	free(text);
	return 0;
}
