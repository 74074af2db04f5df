// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes kallsyms parsing (user/core/ksyms.c, ksyms__from_text), then lookups:
 * addresses taken from the input's last bytes and the extremes, formatted
 * into a buffer too small and one large enough, and a name from the input.
 * Seeds: kallsyms text written by seeds.sh.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "ksyms.h"

static void lookup(const struct ksyms *k, uint64_t addr)
{
	char small[8], big[4096];
	uint64_t off = UINT64_MAX;
	const char *name = ksyms__lookup(k, addr, &off);
	int need;

	if (name) {
		fuzz__check(name[0] && off <= addr);
		fuzz__check(ksyms__addr(k, name) != 0);
	}
	need = ksyms__format(k, addr, small, sizeof(small));
	fuzz__check(need > 0 && strlen(small) == ((size_t)need < sizeof(small) ? (size_t)need :
						  sizeof(small) - 1));
	need = ksyms__format(k, addr, big, sizeof(big));
	fuzz__check((size_t)need == strlen(big) || (size_t)need >= sizeof(big));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "", *name;
	struct ksyms *k = ksyms__from_text(fuzz__dup(data, size), size, err, sizeof(err));
	uint64_t tail = 0;

	if (!k) {
		fuzz__check(fuzz__one_line(err));
		return 0;
	}
	memcpy(&tail, data + size - (size < 8 ? size : 8), size < 8 ? size : 8);
	lookup(k, 0);
	lookup(k, UINT64_MAX);
	lookup(k, tail);
	lookup(k, 0xffffffff81000000ull + (tail & 0xffffff));
	/* the input's first word as a name: usually none, sometimes one */
	name = fuzz__strdup(data, size);
	name[strcspn(name, " \t\n")] = '\0';
	ksyms__addr(k, name);
	free(name);
	ksyms__free(k);
	return 0;
}
