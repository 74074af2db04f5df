// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes /proc/PID/maps parsing (user/procmaps.c, mapped_objs__parse): the
 * text of a process that may have mapped files with any name. The input is
 * the executable's path, a NUL, then the maps text (no NUL: no path, all
 * text). Seeds: maps text written by seeds.sh.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz__strdup(data, size), *exe = NULL, *text = in;
	char *nul = memchr(in, '\0', size);
	struct mapped_objs m;

	if (nul) {
		exe = in;
		text = nul + 1;
	}
	if (mapped_objs__parse(text, exe, &m) == 0) {
		for (size_t i = 0; i < m.n; i++) {
			fuzz__check(m.v[i].path && m.v[i].path[0]);
			fuzz__check(m.v[i].is_main == (exe && !strcmp(m.v[i].path, exe)));
		}
		mapped_objs__free(&m);
	} else {
		fuzz__check(m.n == 0 && !m.v);
	}
	free(in);
	return 0;
}
