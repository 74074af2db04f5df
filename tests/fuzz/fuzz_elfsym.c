// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the ELF symbol reader (user/symbols/elfsym.c) with whole files, as read
 * from a target's executable or library: program headers, .symtab,
 * .dynsym, and .gopclntab when .symtab is missing or partial. Seeds: the C
 * fixtures and small Go-like ELF files (tests/fuzz/goseed.c), one with a
 * partial .symtab.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "elfsym.h"
#include "fuzz.h"

/* What elfsym.h promises of a loaded table. */
static void check_funcs(const struct elf_funcs *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct elf_func *fn = &f->v[i];

		fuzz__check(fn->name && fn->name[0]);
		fuzz__check(fn->addr != 0);
		fuzz__check(!fn->from_pclntab || (fn->global && f->from_pclntab));
		/* sorted by addr, then name; one entry per (name, addr) */
		if (i) {
			const struct elf_func *prev = &f->v[i - 1];

			fuzz__check(prev->addr < fn->addr ||
				    (prev->addr == fn->addr && strcmp(prev->name, fn->name) < 0));
		}
	}
	fuzz__check(f->e_type == 2 /* ET_EXEC */ || f->e_type == 3 /* ET_DYN */);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *image = fuzz__dup(data, size); /* libelf may convert it in place */
	struct elf_funcs f;
	char err[256] = "";

	if (elf_funcs__load_mem(image, size, &f, err, sizeof(err)) == 0) {
		check_funcs(&f);
		elf_funcs__free(&f);
	} else {
		fuzz__check(fuzz__one_line(err));
		fuzz__check(f.n == 0 && !f.v);
	}
	free(image);
	return 0;
}
