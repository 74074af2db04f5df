/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Function symbols of an ELF file (libelf), with the file offset a uprobe
 * needs. Reads .symtab and .dynsym, so stripped objects still expose their
 * exported functions. A stripped Go executable keeps its function table
 * (.gopclntab, Go 1.16 or later), which stands in for the missing .symtab, and
 * fills in what a partial .symtab lacks (objcopy --add-symbol, strip -K).
 * Works for ET_EXEC (non-PIE), ET_DYN (PIE and shared libraries).
 */
#ifndef SPANTRACE_ELFSYM_H
#define SPANTRACE_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_func {
	char *name;	     /* symbol name as in the file (mangled for C++) */
	uint64_t addr;	     /* st_value: link-time virtual address */
	uint64_t size;	     /* st_size, may be 0 */
	uint64_t offset;     /* file offset of the first byte: what uprobes attach to */
	bool global;	     /* STB_GLOBAL or STB_WEAK */
	bool from_dynsym;    /* seen in .dynsym (exported) */
	bool from_pclntab;   /* named by .gopclntab alone: no symbol table has this name here */
};

struct elf_funcs {
	struct elf_func *v; /* sorted by addr, then name; one entry per (name, addr) */
	size_t n;
	bool has_symtab;    /* false for stripped files */
	bool has_dynsym;
	bool from_pclntab;  /* .gopclntab names Go functions .symtab lacks (or there is none) */
	uint16_t e_type;    /* ET_EXEC or ET_DYN */
};

/*
 * Loads every defined STT_FUNC symbol with a non-zero address (STT_GNU_IFUNC
 * is skipped: its address is the resolver, not the function). A .gopclntab
 * adds its Go functions, global, sized to their code without the alignment
 * padding, unless .symtab names a function at each of their addresses (the
 * .symtab Go's linker writes): without .symtab, all of them; beside a partial
 * one, each (name, address) it does not have, so that a function .symtab
 * calls otherwise (a symbol added at its address) keeps both names. On error
 * returns a negative errno and writes a one-line reason ("not an ELF file",
 * "no symbol tables", "corrupt .gopclntab: ...") into err.
 */
int elf_funcs__load(const char *path, struct elf_funcs *out, char *err, size_t errlen);
/*
 * The same from a file's bytes in memory (the fuzz harnesses' entry point):
 * image[0..size), which libelf may convert in place, so it must be writable.
 */
int elf_funcs__load_mem(void *image, size_t size, struct elf_funcs *out, char *err,
		       size_t errlen);
void elf_funcs__free(struct elf_funcs *f);

/*
 * The tables f's functions come from, for messages: ".symtab and .dynsym",
 * ".symtab and .gopclntab", ".dynsym"; "" for none. Written into buf (len
 * bytes, 40 are enough), which is returned.
 */
const char *elf_funcs__sources(const struct elf_funcs *f, char *buf, size_t len);

/*
 * Opens path for libelf. Returns the fd (close it after elf_end(*elf)), or a
 * negative errno with a one-line reason without the path: cannot open or
 * stat, -EISDIR for a directory, -ENOEXEC for anything that is not a regular
 * ELF file.
 */
typedef struct Elf Elf;
int elfsym__open(const char *path, Elf **elf, char *err, size_t errlen);
/* The same for a file's bytes in memory (writable, see above): 0 or the same errors. */
int elfsym__open_mem(void *image, size_t size, Elf **elf, char *err, size_t errlen);

#endif
