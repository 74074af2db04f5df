// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the Go binary reader (user/symbols/gobin.c) with whole files: the version
 * in .go.buildinfo (section, or found by scanning the first writable
 * segment; inline or through pointers), and runtime.g's offsets from DWARF
 * (libdw) or the version table; then gobin__check's messages. Seeds: small
 * Go-like ELF files (tests/fuzz/goseed.c) and the Go fixtures.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "gobin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *image = fuzz__dup(data, size); /* libelf may convert it in place */
	char err[512] = "";
	struct gobin g;
	size_t i;

	fuzz__check(gobin__inspect_mem(image, size, &g) == 0);
	/* the version is printed in messages: one printable line */
	fuzz__check(memchr(g.version, '\0', sizeof(g.version)));
	for (i = 0; g.version[i]; i++)
		fuzz__check(g.version[i] >= 0x20 && g.version[i] <= 0x7e);
	fuzz__check(!g.goid_off == !g.goid_from);
	fuzz__check(g.is_go || (!g.goid_off && !g.version[0]));
	if (gobin__check(&g, "/fuzz/target", err, sizeof(err)))
		fuzz__check(fuzz__one_line(err));
	else
		fuzz__check(!g.is_go || g.goid_off);
	free(image);
	return 0;
}
