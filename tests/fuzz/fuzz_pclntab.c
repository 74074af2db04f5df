// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes elfsym's reader of Go's function table (.gopclntab): the input is
 * the section's contents, wrapped here in a minimal ELF executable with no
 * .symtab (so the table is read, as in a stripped Go program), a .text at
 * Go's usual address and one PT_LOAD that maps every address, so that each
 * function the table names reaches the size and source-file decoding.
 * Mutating a whole Go executable would spend nearly every input elsewhere.
 * Seeds: the .gopclntab of the Go fixture and of a small Go-like ELF file.
 */
#include <elf.h>
#include <stdint.h>
#include <string.h>

#include "elfsym.h"
#include "fuzz.h"

#define TEXT_ADDR 0x401000ull /* where Go's linker puts .text */

static const char shstrtab[] = "\0.text\0.gopclntab\0.shstrtab";
enum { SH_NULL, SH_TEXT, SH_PCLNTAB, SH_SHSTRTAB, NSH };

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* ELF header, program header, .shstrtab, the table, section headers; *len its size. */
static unsigned char *wrap(const uint8_t *table, size_t size, size_t *len)
{
	size_t strs = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
	size_t tab = align8(strs + sizeof(shstrtab));
	size_t shoff = align8(tab + size);
	unsigned char *img;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			     EV_CURRENT },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_shoff = shoff,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
		.e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = NSH,
		.e_shstrndx = SH_SHSTRTAB,
	};
	/* every address maps to a file offset: only offsets are computed, never read */
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_filesz = 1ull << 47,
			  .p_memsz = 1ull << 47, .p_align = 4096 };
	Elf64_Shdr sh[NSH] = {
		[SH_TEXT] = { .sh_name = 1, .sh_type = SHT_NOBITS,
			      .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = TEXT_ADDR,
			      .sh_size = 0x1000, .sh_addralign = 32 },
		[SH_PCLNTAB] = { .sh_name = 7, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
				 .sh_addr = 0x600000, .sh_offset = tab, .sh_size = size,
				 .sh_addralign = 1 },
		[SH_SHSTRTAB] = { .sh_name = 18, .sh_type = SHT_STRTAB, .sh_offset = strs,
				  .sh_size = sizeof(shstrtab), .sh_addralign = 1 },
	};

	*len = shoff + sizeof(sh);
	img = calloc(1, *len);
	if (!img)
		abort();
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + eh.e_phoff, &ph, sizeof(ph));
	memcpy(img + strs, shstrtab, sizeof(shstrtab));
	memcpy(img + tab, table, size);
	memcpy(img + shoff, sh, sizeof(sh));
	return img;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	unsigned char *img = wrap(data, size, &len);
	struct elf_funcs f;
	char err[256] = "";

	if (elf_funcs__load_mem(img, len, &f, err, sizeof(err)) == 0) {
		fuzz__check(f.from_pclntab && !f.has_symtab);
		for (size_t i = 0; i < f.n; i++) {
			fuzz__check(f.v[i].name[0] && f.v[i].global);
			fuzz__check(i == 0 || f.v[i - 1].addr <= f.v[i].addr);
		}
		elf_funcs__free(&f);
	} else {
		fuzz__check(fuzz__one_line(err));
	}
	free(img);
	return 0;
}
