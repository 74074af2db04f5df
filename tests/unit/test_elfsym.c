/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * elfsym: function symbols and uprobe file offsets of the ELF fixtures built
 * by `make fixtures` (FIXTURE_DIR).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"
#include "fixture_files.h"

#define FX(name) FIXTURE_DIR "/" name

static void load_ok(const char *path, struct elf_funcs *f)
{
	char err[256] = "";
	int ret = elf_funcs__load(path, f, err, sizeof(err));

	if (ret)
		print_error("elf_funcs__load(%s): %d %s\n", path, ret, err);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
}

static const struct elf_func *find(const struct elf_funcs *f, const char *name)
{
	const struct elf_func *hit = NULL;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].name, name))
			continue;
		/* Each fixture function exists once: both tables merge into one. */
		assert_null(hit);
		hit = &f->v[i];
	}
	return hit;
}

/* The functions whose name starts with prefix are exactly want[] (sorted). */
static void assert_prefixed_set(const struct elf_funcs *f, const char *prefix,
				const char *const *want, size_t nwant)
{
	const char *got[32];
	size_t i, j, n = 0;

	for (i = 0; i < f->n; i++) {
		if (strncmp(f->v[i].name, prefix, strlen(prefix)))
			continue;
		assert_true(n < 32);
		got[n++] = f->v[i].name;
	}
	/* Sort by name: the list itself is in address order. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(got[j - 1], got[j]) > 0; j--) {
			const char *t = got[j];

			got[j] = got[j - 1];
			got[j - 1] = t;
		}
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++)
		assert_string_equal(got[i], want[i]);
}

static void assert_sorted_unique(const struct elf_funcs *f)
{
	size_t i;

	for (i = 1; i < f->n; i++) {
		const struct elf_func *a = &f->v[i - 1], *b = &f->v[i];

		assert_true(a->addr < b->addr ||
			    (a->addr == b->addr && strcmp(a->name, b->name) < 0));
	}
	for (i = 0; i < f->n; i++) {
		assert_non_null(f->v[i].name);
		assert_true(f->v[i].name[0] != '\0');
		assert_null(strchr(f->v[i].name, '@'));
		assert_true(f->v[i].addr != 0);
	}
}

/*
 * Independent check of every offset: with libelf directly, the delta
 * p_vaddr - p_offset of the executable PT_LOAD segment holding the address.
 */
static void assert_offsets(const char *path, const struct elf_funcs *f)
{
	int fd = open(path, O_RDONLY);
	GElf_Phdr ph;
	size_t phnum, i, k;
	Elf *elf;

	assert_true(fd >= 0);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getphdrnum(elf, &phnum), 0);
	for (i = 0; i < f->n; i++) {
		const struct elf_func *fn = &f->v[i];
		bool found = false;

		for (k = 0; k < phnum && !found; k++) {
			assert_non_null(gelf_getphdr(elf, (int)k, &ph));
			if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
				continue;
			if (fn->addr < ph.p_vaddr || fn->addr >= ph.p_vaddr + ph.p_filesz)
				continue;
			found = true;
			assert_int_equal(fn->offset, fn->addr - (ph.p_vaddr - ph.p_offset));
		}
		assert_true(found);
	}
	elf_end(elf);
	close(fd);
}

static void read_bytes(const char *path, uint64_t off, unsigned char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static bool all_zero(const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static const char *const main_all[] = { "fx_alpha", "fx_beta", "fx_gamma", "fx_local_static" };
static const char *const main_dyn[] = { "fx_alpha", "fx_beta", "fx_gamma" };
static const char *const lib_all[] = { "fxlib_hidden", "fxlib_one", "fxlib_two" };
static const char *const lib_dyn[] = { "fxlib_one", "fxlib_two" };

static void test_pie(void **state)
{
	const struct elf_func *fn;
	struct elf_funcs f;

	load_ok(FX("fx_pie"), &f);
	assert_int_equal(f.e_type, ET_DYN);
	assert_true(f.has_symtab);
	assert_true(f.has_dynsym);
	assert_prefixed_set(&f, "fx_", main_all, 4);
	assert_non_null(find(&f, "main"));
	assert_sorted_unique(&f);
	assert_offsets(FX("fx_pie"), &f);

	/* -rdynamic exports the globals: merged from both tables. */
	fn = find(&f, "fx_alpha");
	assert_true(fn->from_dynsym);
	assert_true(fn->global);
	assert_true(fn->size > 0);
	fn = find(&f, "fx_local_static");
	assert_false(fn->from_dynsym);
	assert_false(fn->global);
	elf_funcs__free(&f);
	assert_null(f.v);
	assert_int_equal(f.n, 0);
	elf_funcs__free(&f);
}

static void test_nopie(void **state)
{
	const struct elf_func *fn;
	struct elf_funcs f;

	load_ok(FX("fx_nopie"), &f);
	assert_int_equal(f.e_type, ET_EXEC);
	assert_true(f.has_symtab);
	assert_prefixed_set(&f, "fx_", main_all, 4);
	assert_sorted_unique(&f);
	assert_offsets(FX("fx_nopie"), &f);

	/* Link-time addresses of a non-PIE are absolute, never file offsets. */
	fn = find(&f, "fx_alpha");
	assert_true(fn->addr >= 0x400000);
	assert_true(fn->offset < fn->addr);
	assert_false(fn->from_dynsym);
	assert_true(fn->global);
	elf_funcs__free(&f);
}

static void test_lib(void **state)
{
	const struct elf_func *fn;
	struct elf_funcs f;

	load_ok(FX("libfx.so"), &f);
	assert_int_equal(f.e_type, ET_DYN);
	assert_true(f.has_symtab);
	assert_true(f.has_dynsym);
	assert_prefixed_set(&f, "fxlib_", lib_all, 3);
	assert_sorted_unique(&f);
	assert_offsets(FX("libfx.so"), &f);

	fn = find(&f, "fxlib_one");
	assert_true(fn->from_dynsym);
	assert_true(fn->global);
	/* Hidden visibility turns into a local symbol at link time. */
	fn = find(&f, "fxlib_hidden");
	assert_false(fn->from_dynsym);
	assert_false(fn->global);
	elf_funcs__free(&f);
}

static void test_pie_stripped(void **state)
{
	struct elf_funcs f;
	size_t i;

	load_ok(FX("fx_pie_stripped"), &f);
	assert_int_equal(f.e_type, ET_DYN);
	assert_false(f.has_symtab);
	assert_true(f.has_dynsym);
	assert_prefixed_set(&f, "fx_", main_dyn, 3);
	assert_null(find(&f, "fx_local_static"));
	assert_sorted_unique(&f);
	assert_offsets(FX("fx_pie_stripped"), &f);
	for (i = 0; i < f.n; i++)
		assert_true(f.v[i].from_dynsym);
	elf_funcs__free(&f);
}

static void test_lib_stripped(void **state)
{
	struct elf_funcs f;

	load_ok(FX("libfx_stripped.so"), &f);
	assert_int_equal(f.e_type, ET_DYN);
	assert_false(f.has_symtab);
	assert_true(f.has_dynsym);
	assert_prefixed_set(&f, "fxlib_", lib_dyn, 2);
	assert_null(find(&f, "fxlib_hidden"));
	assert_sorted_unique(&f);
	assert_offsets(FX("libfx_stripped.so"), &f);
	elf_funcs__free(&f);
}

/* The same function resolves to the same code bytes with or without .symtab. */
static void assert_same_code(const char *a_path, const char *b_path, const char *name)
{
	unsigned char a[16], b[16];
	const struct elf_func *fa, *fb;
	struct elf_funcs fs_a, fs_b;

	load_ok(a_path, &fs_a);
	load_ok(b_path, &fs_b);
	fa = find(&fs_a, name);
	fb = find(&fs_b, name);
	assert_non_null(fa);
	assert_non_null(fb);
	read_bytes(a_path, fa->offset, a, sizeof(a));
	read_bytes(b_path, fb->offset, b, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
	assert_false(all_zero(a, sizeof(a)));
	elf_funcs__free(&fs_a);
	elf_funcs__free(&fs_b);
}

static void test_code_bytes(void **state)
{
	assert_same_code(FX("fx_pie"), FX("fx_pie_stripped"), "fx_alpha");
	assert_same_code(FX("fx_pie"), FX("fx_pie_stripped"), "fx_gamma");
	assert_same_code(FX("libfx.so"), FX("libfx_stripped.so"), "fxlib_two");
}

static void assert_load_fails(const char *path, int want, const char *reason)
{
	char err[256] = "";
	struct elf_funcs f;
	int ret = elf_funcs__load(path, &f, err, sizeof(err));

	assert_int_equal(ret, want);
	assert_non_null(strstr(err, reason));
	assert_null(strchr(err, '\n'));
	assert_null(f.v);
	assert_int_equal(f.n, 0);
	elf_funcs__free(&f);
}

static void test_not_elf(void **state)
{
	assert_load_fails(FX("fx_notelf"), -ENOEXEC, "not an ELF file");
}

/* From the bytes in memory (what the fuzz harness reads): the same functions as from the file. */
static void test_load_mem(void **state)
{
	static const char *const paths[] = { FX("fx_pie"), FX("fx_nopie"), FX("libfx.so"),
					     FX("fx_pie_stripped"), FX("fx_go_stripped"),
					     FX("fx_go_nodwarf"), FX("fx_go_fewsyms"),
					     FX("fx_go_mainsyms") };
	char err[256] = "";
	size_t i, j, len;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		unsigned char *buf = slurp(paths[i], &len);
		struct elf_funcs file, mem;

		load_ok(paths[i], &file);
		assert_int_equal(elf_funcs__load_mem(buf, len, &mem, err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_true(mem.n > 0);
		assert_int_equal(mem.n, file.n);
		assert_int_equal(mem.has_symtab, file.has_symtab);
		assert_int_equal(mem.has_dynsym, file.has_dynsym);
		assert_int_equal(mem.from_pclntab, file.from_pclntab);
		assert_int_equal(mem.e_type, file.e_type);
		for (j = 0; j < file.n; j++) {
			assert_string_equal(mem.v[j].name, file.v[j].name);
			assert_int_equal(mem.v[j].addr, file.v[j].addr);
			assert_int_equal(mem.v[j].size, file.v[j].size);
			assert_int_equal(mem.v[j].offset, file.v[j].offset);
			assert_int_equal(mem.v[j].global, file.v[j].global);
			assert_int_equal(mem.v[j].from_dynsym, file.v[j].from_dynsym);
			assert_int_equal(mem.v[j].from_pclntab, file.v[j].from_pclntab);
		}
		elf_funcs__free(&file);
		elf_funcs__free(&mem);
		free(buf);
	}
}

static void test_load_mem_not_elf(void **state)
{
	char text[] = "not an ELF file\n", err[256] = "";
	struct elf_funcs f;

	assert_int_equal(elf_funcs__load_mem(text, strlen(text), &f, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, "not an ELF file");
	assert_int_equal(f.n, 0);
	assert_int_equal(elf_funcs__load_mem(text, 0, &f, err, sizeof(err)), -ENOEXEC);
}

static void test_missing(void **state)
{
	assert_load_fails(FX("no_such_file"), -ENOENT, strerror(ENOENT));
}

/* Writes len bytes of buf to a fresh temporary file; returns its path. */
static void write_tmp(char *path, const void *buf, size_t len)
{
	int fd;

	strcpy(path, "/tmp/test_elfsym.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* A copy of fx_pie with one ELF header field patched. */
static void assert_patched_fails(size_t off, unsigned char val, const char *reason)
{
	unsigned char *buf = malloc(1 << 20);
	char path[64];
	ssize_t len;
	int fd;

	assert_non_null(buf);
	fd = open(FX("fx_pie"), O_RDONLY);
	assert_true(fd >= 0);
	len = read(fd, buf, 1 << 20);
	close(fd);
	assert_true(len > 64);
	buf[off] = val;
	write_tmp(path, buf, (size_t)len);
	free(buf);
	assert_load_fails(path, -ENOEXEC, reason);
	unlink(path);
}

static void test_wrong_class_machine(void **state)
{
	assert_patched_fails(EI_CLASS, ELFCLASS32, "unsupported ELF class/machine");
	/* e_machine is little-endian at offset 18: EM_AARCH64 (183). */
	assert_patched_fails(offsetof(Elf64_Ehdr, e_machine), EM_AARCH64,
			     "unsupported ELF class/machine");
}

static void test_no_symbol_tables(void **state)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			     EV_CURRENT },
		.e_type = ET_DYN,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_ehsize = sizeof(Elf64_Ehdr),
	};
	char path[64];

	write_tmp(path, &eh, sizeof(eh));
	assert_load_fails(path, -ENODATA, "no symbol tables");
	unlink(path);
}

static void test_directory_and_empty(void **state)
{
	char path[64];

	assert_load_fails(FIXTURE_DIR, -EISDIR, "not an ELF file");
	write_tmp(path, "", 0);
	assert_load_fails(path, -ENOEXEC, "not an ELF file");
	unlink(path);
}

/*
 * A synthetic ELF with the symbol kinds the fixtures cannot produce without
 * a version script: versioned .symtab names, an IFUNC, undefined and
 * zero-address functions, addresses outside any segment or in the
 * zero-filled tail, and a non-executable PT_LOAD that overlaps the code.
 */
#define SYN_TEXT_ADDR 0x1000
#define SYN_TEXT_SIZE 64
#define SYN_RO_ADDR 0x3000

static const char syn_strtab[] = "\0foo@@V1\0foo\0bar@V0\0ifn\0und\0zero\0obj\0far\0ro\0bss\0loc";

static const char syn_shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab\0.gopclntab";

/* Offset of name in a string table of NUL-terminated strings. */
static uint32_t strtab_off(const char *tab, size_t size, const char *name)
{
	size_t i;

	for (i = 1; i < size; i += strlen(tab + i) + 1)
		if (!strcmp(tab + i, name))
			return (uint32_t)i;
	fail_msg("no %s in string table", name);
	return 0;
}

static uint32_t syn_str(const char *name)
{
	return strtab_off(syn_strtab, sizeof(syn_strtab), name);
}

static Elf64_Sym syn_sym(const char *name, int bind, int type, uint16_t shndx, uint64_t value)
{
	return (Elf64_Sym){
		.st_name = syn_str(name),
		.st_info = ELF64_ST_INFO(bind, type),
		.st_shndx = shndx,
		.st_value = value,
		.st_size = 4,
	};
}

static Elf_Scn *syn_section(Elf *elf, const char *name, uint32_t type, void *buf, size_t size,
			    Elf_Type dtype)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *d;
	Elf64_Shdr *sh;

	assert_non_null(scn);
	d = elf_newdata(scn);
	assert_non_null(d);
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = 8;
	d->d_version = EV_CURRENT;
	sh = elf64_getshdr(scn);
	assert_non_null(sh);
	sh->sh_type = type;
	sh->sh_name = strtab_off(syn_shstrtab, sizeof(syn_shstrtab), name);
	return scn;
}

/* Starts writing a synthetic x86-64 ELF file of type at a fresh /tmp path. */
static Elf *syn_begin(char *path, int *fd, uint16_t type, size_t nphdr, Elf64_Ehdr **eh,
		      Elf64_Phdr **ph)
{
	Elf *elf;

	strcpy(path, "/tmp/test_elfsym.XXXXXX");
	*fd = mkstemp(path);
	assert_true(*fd >= 0);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	elf = elf_begin(*fd, ELF_C_WRITE, NULL);
	assert_non_null(elf);
	*eh = elf64_newehdr(elf);
	assert_non_null(*eh);
	(*eh)->e_ident[EI_DATA] = ELFDATA2LSB;
	(*eh)->e_type = type;
	(*eh)->e_machine = EM_X86_64;
	(*eh)->e_version = EV_CURRENT;
	*ph = elf64_newphdr(elf, nphdr);
	assert_non_null(*ph);
	return elf;
}

static void write_synthetic(char *path)
{
	static unsigned char text[SYN_TEXT_SIZE];
	Elf64_Sym syms[12];
	Elf_Scn *text_scn, *sym_scn, *str_scn, *shstr_scn;
	Elf64_Shdr *sh;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	uint64_t text_off;
	size_t nsyms = 0;
	Elf *elf;
	int fd;

	memset(text, 0xcc, sizeof(text));
	memset(syms, 0, sizeof(syms));
	nsyms = 1;
	syms[nsyms++] = syn_sym("loc", STB_LOCAL, STT_FUNC, 1, SYN_TEXT_ADDR);
	syms[nsyms++] = syn_sym("foo@@V1", STB_GLOBAL, STT_FUNC, 1, SYN_TEXT_ADDR + 0x10);
	syms[nsyms++] = syn_sym("foo", STB_GLOBAL, STT_FUNC, 1, SYN_TEXT_ADDR + 0x10);
	syms[nsyms++] = syn_sym("bar@V0", STB_WEAK, STT_FUNC, 1, SYN_TEXT_ADDR + 0x20);
	syms[nsyms++] = syn_sym("ifn", STB_GLOBAL, STT_GNU_IFUNC, 1, SYN_TEXT_ADDR + 0x30);
	syms[nsyms++] = syn_sym("und", STB_GLOBAL, STT_FUNC, SHN_UNDEF, 0);
	syms[nsyms++] = syn_sym("zero", STB_GLOBAL, STT_FUNC, 1, 0);
	syms[nsyms++] = syn_sym("obj", STB_GLOBAL, STT_OBJECT, 1, SYN_TEXT_ADDR + 0x8);
	syms[nsyms++] = syn_sym("far", STB_GLOBAL, STT_FUNC, 1, 0x9000);
	syms[nsyms++] = syn_sym("ro", STB_GLOBAL, STT_FUNC, 1, SYN_RO_ADDR + 4);
	syms[nsyms++] = syn_sym("bss", STB_GLOBAL, STT_FUNC, 1, SYN_TEXT_ADDR + SYN_TEXT_SIZE + 8);

	elf = syn_begin(path, &fd, ET_DYN, 3, &eh, &ph);

	text_scn = syn_section(elf, ".text", SHT_PROGBITS, text, sizeof(text), ELF_T_BYTE);
	sym_scn = syn_section(elf, ".symtab", SHT_SYMTAB, syms, nsyms * sizeof(*syms), ELF_T_SYM);
	str_scn = syn_section(elf, ".strtab", SHT_STRTAB, (void *)syn_strtab, sizeof(syn_strtab),
			      ELF_T_BYTE);
	shstr_scn = syn_section(elf, ".shstrtab", SHT_STRTAB, (void *)syn_shstrtab,
				sizeof(syn_shstrtab), ELF_T_BYTE);
	sh = elf64_getshdr(text_scn);
	sh->sh_flags = SHF_ALLOC | SHF_EXECINSTR;
	sh->sh_addr = SYN_TEXT_ADDR;
	sh = elf64_getshdr(sym_scn);
	sh->sh_link = (uint32_t)elf_ndxscn(str_scn);
	sh->sh_info = 2; /* first non-local symbol */
	sh->sh_entsize = sizeof(Elf64_Sym);
	eh->e_shstrndx = (uint16_t)elf_ndxscn(shstr_scn);
	assert_int_equal(elf_ndxscn(text_scn), 1);

	/* Lay out the file first: the segments need the .text file offset. */
	assert_true(elf_update(elf, ELF_C_NULL) > 0);
	text_off = elf64_getshdr(text_scn)->sh_offset;
	ph = elf64_getphdr(elf);
	/* Read-only mapping of the same addresses, listed first: must lose to PF_X. */
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = SYN_TEXT_ADDR,
			      .p_offset = 0, .p_filesz = SYN_TEXT_SIZE, .p_memsz = SYN_TEXT_SIZE };
	/* memsz past filesz: "bss" lies in the zero-filled tail. */
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = SYN_TEXT_ADDR,
			      .p_offset = text_off, .p_filesz = SYN_TEXT_SIZE,
			      .p_memsz = SYN_TEXT_SIZE + 0x100 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = SYN_RO_ADDR,
			      .p_offset = 0, .p_filesz = 16, .p_memsz = 16 };
	elf_flagphdr(elf, ELF_C_SET, ELF_F_DIRTY);
	assert_true(elf_update(elf, ELF_C_WRITE) > 0);
	elf_end(elf);
	close(fd);
}

static void test_synthetic(void **state)
{
	static const char *const want[] = { "loc", "foo", "bar", "ro" };
	static const uint64_t want_addr[] = { SYN_TEXT_ADDR, SYN_TEXT_ADDR + 0x10,
					      SYN_TEXT_ADDR + 0x20, SYN_RO_ADDR + 4 };
	struct elf_funcs f;
	uint64_t text_off;
	char path[64];
	size_t i;

	write_synthetic(path);
	load_ok(path, &f);
	assert_int_equal(f.e_type, ET_DYN);
	assert_true(f.has_symtab);
	assert_false(f.has_dynsym);
	assert_int_equal(f.n, 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(f.v[i].name, want[i]);
		assert_int_equal(f.v[i].addr, want_addr[i]);
		assert_false(f.v[i].from_dynsym);
	}
	assert_false(f.v[0].global);
	assert_true(f.v[1].global);
	assert_true(f.v[2].global);
	/* Executable segment wins over the read-only one at the same address. */
	text_off = f.v[0].offset;
	assert_true(text_off != 0);
	assert_int_equal(f.v[1].offset, text_off + 0x10);
	assert_int_equal(f.v[2].offset, text_off + 0x20);
	/* No executable segment holds it: the read-only one maps it. */
	assert_int_equal(f.v[3].offset, 4);
	assert_sorted_unique(&f);
	elf_funcs__free(&f);
	unlink(path);
}

/*
 * Go: fx_go has .symtab; fx_go_stripped has only .gopclntab, which must give
 * the same functions at the same addresses with the same sizes.
 */
static const char *const go_main[] = { "main.(*counter).bump", "main.alpha", "main.beta",
				       "main.gamma", "main.main", "main.main.func1", "main.never" };

/* The function of f at addr called name, or NULL. */
static const struct elf_func *find_at(const struct elf_funcs *f, const char *name, uint64_t addr)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].addr == addr && !strcmp(f->v[i].name, name))
			return &f->v[i];
	return NULL;
}

static void test_go_symtab(void **state)
{
	struct elf_funcs f;

	load_ok(FX("fx_go"), &f);
	assert_true(f.has_symtab);
	assert_false(f.from_pclntab);
	assert_prefixed_set(&f, "main.", go_main, 7);
	/* It names every function of .gopclntab: the table adds nothing, not even its names. */
	for (size_t i = 0; i < f.n; i++)
		assert_false(f.v[i].from_pclntab);
	assert_null(find(&f, "runtime.mstart"));
	assert_non_null(find(&f, "runtime.mstart.abi0"));
	elf_funcs__free(&f);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void assert_names_unique(const struct elf_funcs *f)
{
	const char **names = calloc(f->n, sizeof(*names));
	size_t i;

	assert_non_null(names);
	for (i = 0; i < f->n; i++)
		names[i] = f->v[i].name;
	qsort(names, f->n, sizeof(*names), name_cmp);
	for (i = 1; i < f->n; i++)
		if (!strcmp(names[i - 1], names[i]))
			fail_msg("%s twice", names[i]);
	free(names);
}

static void test_go_pclntab(void **state)
{
	struct elf_funcs sym, pcl;
	size_t i, same = 0, abi0 = 0;
	char abi[256];

	load_ok(FX("fx_go"), &sym);
	load_ok(FX("fx_go_stripped"), &pcl);
	assert_false(pcl.has_symtab);
	assert_true(pcl.from_pclntab);
	assert_int_equal(pcl.e_type, ET_EXEC);
	assert_prefixed_set(&pcl, "main.", go_main, 7);
	assert_sorted_unique(&pcl);
	assert_offsets(FX("fx_go_stripped"), &pcl);
	for (i = 0; i < sizeof(go_main) / sizeof(go_main[0]); i++) {
		const struct elf_func *a = find(&sym, go_main[i]), *b = find(&pcl, go_main[i]);

		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(a->addr, b->addr);
		assert_int_equal(a->offset, b->offset);
		assert_int_equal(a->size, b->size);
		assert_true(b->global);
		assert_false(b->from_dynsym);
	}
	/*
	 * Every pclntab function is a .symtab function at the same address,
	 * with its size: under its name or, for assembly that only has an ABI0
	 * body, as NAME.abi0. Names are unique: of an assembly function and its
	 * ABI wrapper, one is NAME.abi0 as in .symtab.
	 */
	for (i = 0; i < pcl.n; i++) {
		const struct elf_func *b = &pcl.v[i], *a = find_at(&sym, b->name, b->addr);

		if (!a) {
			snprintf(abi, sizeof(abi), "%s.abi0", b->name);
			a = find_at(&sym, abi, b->addr);
			abi0 += a != NULL;
		} else {
			same++;
		}
		/* The linker writes type..eq.[5]T as type..eq.[...]T in the pclntab. */
		if (!a && strstr(b->name, "[...]"))
			continue;
		if (!a)
			fail_msg("%s at %#llx is not in .symtab", b->name,
				 (unsigned long long)b->addr);
		if (a->size)
			assert_int_equal(a->size, b->size);
	}
	assert_names_unique(&pcl);
	assert_true(same > pcl.n * 9 / 10);
	assert_true(abi0 > 0);
	/* The pairs: the assembly body is .abi0, the Go-side wrapper keeps the name. */
	assert_non_null(find(&pcl, "runtime.reflectcall.abi0"));
	assert_non_null(find(&pcl, "runtime.reflectcall"));
	assert_int_equal(find(&pcl, "runtime.reflectcall.abi0")->addr,
			 find(&sym, "runtime.reflectcall.abi0")->addr);
	assert_int_equal(find(&pcl, "runtime.reflectcall")->addr,
			 find(&sym, "runtime.reflectcall")->addr);
	elf_funcs__free(&sym);
	elf_funcs__free(&pcl);
}

static void test_go_code_bytes(void **state)
{
	assert_same_code(FX("fx_go"), FX("fx_go_stripped"), "main.alpha");
	assert_same_code(FX("fx_go"), FX("fx_go_stripped"), "main.main.func1");
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Loading path fails with want and a reason containing reason; with want 0,
 * it may load or fail, with one line in err, but never crash.
 */
static void load_fails_or_not(const char *path, int want, const char *reason)
{
	char err[256] = "";
	struct elf_funcs f;
	int ret;

	if (want) {
		assert_load_fails(path, want, reason);
		return;
	}
	ret = elf_funcs__load(path, &f, err, sizeof(err));
	if (!ret) {
		assert_sorted_unique(&f);
	} else {
		assert_true(ret < 0);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
	}
	elf_funcs__free(&f);
}

typedef void pcln_patch(unsigned char *pcln, uint64_t size, void *arg);

/* A copy of the Go file from with its .gopclntab changed by patch. */
static void go_file_patched(const char *from, pcln_patch *patch, void *arg, int want,
			    const char *reason)
{
	uint64_t off, size;
	unsigned char *buf;
	char path[64];
	size_t len;

	section_of(from, ".gopclntab", &off, NULL, &size);
	buf = slurp(from, &len);
	assert_true(off + size <= len);
	patch(buf + off, size, arg);
	write_tmp(path, buf, len);
	free(buf);
	load_fails_or_not(path, want, reason);
	unlink(path);
}

/* fx_go_stripped with its .gopclntab changed by patch. */
static void go_patched(pcln_patch *patch, void *arg, int want, const char *reason)
{
	go_file_patched(FX("fx_go_stripped"), patch, arg, want, reason);
}

static void patch_magic(unsigned char *p, uint64_t size, void *arg)
{
	put32(p, *(uint32_t *)arg);
}

static void patch_word(unsigned char *p, uint64_t size, void *arg)
{
	const uint64_t *w = arg; /* { header word, value } */

	put64(p + 8 + 8 * w[0], w[1]);
}

/* Garbage over the middle of the function table: funcoffs and names go wild. */
static void patch_functab(unsigned char *p, uint64_t size, void *arg)
{
	uint64_t functab = get64(p + 8 + 8 * 7), nfunc = get64(p + 8);

	assert_true(functab + 8 * nfunc <= size);
	memset(p + functab + 4 * nfunc, *(unsigned char *)arg, 64);
}

/* Random bytes at random places; loading must fail cleanly or succeed. */
static void patch_random(unsigned char *p, uint64_t size, void *arg)
{
	unsigned *seed = arg;
	int i;

	for (i = 0; i < 64; i++)
		p[rand_r(seed) % size] = (unsigned char)rand_r(seed);
}

static void test_go_pclntab_magic(void **state)
{
	uint32_t go120 = 0xfffffff1, go115 = 0xfffffffb, junk = 0x12345678;
	struct elf_funcs a, b;
	uint64_t off, size;
	unsigned char *buf;
	char path[64];
	size_t len, i;

	/* Go 1.20 changed the magic, not the fields read here. */
	section_of(FX("fx_go_stripped"), ".gopclntab", &off, NULL, &size);
	buf = slurp(FX("fx_go_stripped"), &len);
	patch_magic(buf + off, size, &go120);
	write_tmp(path, buf, len);
	free(buf);
	load_ok(FX("fx_go_stripped"), &a);
	load_ok(path, &b);
	assert_int_equal(a.n, b.n);
	for (i = 0; i < a.n; i++) {
		assert_string_equal(a.v[i].name, b.v[i].name);
		assert_int_equal(a.v[i].addr, b.v[i].addr);
		assert_int_equal(a.v[i].size, b.v[i].size);
	}
	elf_funcs__free(&a);
	elf_funcs__free(&b);
	unlink(path);

	go_patched(patch_magic, &go115, -ENOTSUP, "unsupported .gopclntab (magic 0xfffffffb)");
	go_patched(patch_magic, &junk, -ENOTSUP, "unsupported .gopclntab");
}

static void test_go_pclntab_corrupt(void **state)
{
	uint64_t huge_nfunc[] = { 0, 1ull << 40 }, far_functab[] = { 7, 1ull << 62 };
	uint64_t far_names[] = { 3, ~0ull };
	unsigned char ff = 0xff, zero = 0;
	unsigned seed, i;

	go_patched(patch_word, huge_nfunc, -EINVAL, "corrupt .gopclntab: tables lie outside");
	go_patched(patch_word, far_functab, -EINVAL, "corrupt .gopclntab: tables lie outside");
	go_patched(patch_word, far_names, -EINVAL, "corrupt .gopclntab: tables lie outside");
	go_patched(patch_functab, &ff, -EINVAL, "corrupt .gopclntab: function");
	go_patched(patch_functab, &zero, -EINVAL, "corrupt .gopclntab: function");
	for (i = 0; i < 50; i++) {
		seed = i;
		go_patched(patch_random, &seed, 0, NULL);
	}
}

/* A copy of fx_go_stripped cut short inside its .gopclntab. */
static void test_go_pclntab_truncated(void **state)
{
	uint64_t off, size;
	unsigned char *buf;
	char path[64];
	size_t len;

	section_of(FX("fx_go_stripped"), ".gopclntab", &off, NULL, &size);
	buf = slurp(FX("fx_go_stripped"), &len);
	write_tmp(path, buf, (size_t)(off + size / 2));
	free(buf);
	load_fails_or_not(path, 0, NULL);
	unlink(path);
}

/*
 * A partial .symtab: the functions of .gopclntab (fx_go_stripped) are all
 * there, as the table names them, beside what .symtab adds.
 */
static void assert_has_pclntab(const struct elf_funcs *f, const struct elf_funcs *pcl)
{
	for (size_t i = 0; i < pcl->n; i++) {
		const struct elf_func *b = &pcl->v[i], *a = find_at(f, b->name, b->addr);

		if (!a)
			fail_msg("%s at %#llx is missing", b->name, (unsigned long long)b->addr);
		assert_int_equal(a->offset, b->offset);
		assert_int_equal(a->size, b->size);
	}
}

/* objcopy --add-symbol on a stripped binary: one symbol in .text, the rest from .gopclntab. */
static void test_go_fewsyms(void **state)
{
	struct elf_funcs f, pcl;
	const struct elf_func *added;
	uint64_t text_addr, off, size;

	load_ok(FX("fx_go_fewsyms"), &f);
	load_ok(FX("fx_go_stripped"), &pcl);
	assert_true(f.has_symtab);
	assert_true(f.from_pclntab);
	assert_sorted_unique(&f);
	assert_offsets(FX("fx_go_fewsyms"), &f);
	assert_has_pclntab(&f, &pcl);
	assert_int_equal(f.n, pcl.n + 1);
	assert_prefixed_set(&f, "main.", go_main, 7);
	added = find(&f, "added_fn");
	assert_non_null(added);
	section_of(FX("fx_go_fewsyms"), ".text", &off, &text_addr, &size);
	assert_int_equal(added->addr, text_addr + 0x10);
	assert_int_equal(added->size, 0);
	assert_false(added->from_pclntab);
	for (size_t i = 0; i < f.n; i++)
		assert_int_equal(f.v[i].from_pclntab, &f.v[i] != added);
	assert_non_null(find(&f, "runtime.newproc"));
	assert_non_null(find(&f, "runtime.goexit1"));
	elf_funcs__free(&f);
	elf_funcs__free(&pcl);
}

/*
 * Symbols at absolute addresses (SHN_ABS), without sizes. At the entry of
 * main.alpha, another name: a second name for it, and main.alpha keeps its
 * own, with its size. main.beta at its own entry: one function, as .symtab
 * has it, with the size .gopclntab knows.
 */
static void test_go_abssym(void **state)
{
	struct elf_funcs f, pcl, sym;
	const struct elf_func *alias, *alpha, *beta;

	load_ok(FX("fx_go_abssym"), &f);
	load_ok(FX("fx_go_stripped"), &pcl);
	load_ok(FX("fx_go"), &sym);
	assert_true(f.has_symtab);
	assert_true(f.from_pclntab);
	assert_sorted_unique(&f);
	assert_offsets(FX("fx_go_abssym"), &f);
	assert_has_pclntab(&f, &pcl);
	assert_int_equal(f.n, pcl.n + 1);
	alias = find(&f, "alpha_alias");
	alpha = find(&f, "main.alpha");
	assert_non_null(alias);
	assert_non_null(alpha);
	assert_int_equal(alias->addr, find(&sym, "main.alpha")->addr);
	assert_int_equal(alpha->addr, alias->addr);
	assert_int_equal(alpha->offset, alias->offset);
	assert_int_equal(alpha->size, find(&sym, "main.alpha")->size);
	assert_false(alias->from_pclntab);
	assert_true(alpha->from_pclntab);
	beta = find(&f, "main.beta");
	assert_non_null(beta);
	assert_false(beta->from_pclntab);
	assert_int_equal(beta->addr, find(&sym, "main.beta")->addr);
	assert_int_equal(beta->size, find(&sym, "main.beta")->size);
	elf_funcs__free(&f);
	elf_funcs__free(&pcl);
	elf_funcs__free(&sym);
}

/*
 * strip --keep-symbol='main.*': .symtab names main.* only, the runtime comes
 * from .gopclntab. Each function is there once: main.* as .symtab has it.
 */
static void test_go_mainsyms(void **state)
{
	struct elf_funcs f, pcl, sym;

	load_ok(FX("fx_go_mainsyms"), &f);
	load_ok(FX("fx_go_stripped"), &pcl);
	load_ok(FX("fx_go"), &sym);
	assert_true(f.has_symtab);
	assert_true(f.from_pclntab);
	assert_sorted_unique(&f);
	assert_has_pclntab(&f, &pcl);
	assert_int_equal(f.n, pcl.n);
	assert_prefixed_set(&f, "main.", go_main, 7);
	for (size_t i = 0; i < f.n; i++) {
		const struct elf_func *fn = &f.v[i];
		bool main_fn = !strncmp(fn->name, "main.", 5);

		assert_int_equal(fn->from_pclntab, !main_fn);
		if (main_fn)
			assert_int_equal(fn->global, find(&sym, fn->name)->global);
	}
	assert_true(find(&f, "runtime.newproc")->from_pclntab);
	elf_funcs__free(&f);
	elf_funcs__free(&pcl);
	elf_funcs__free(&sym);
}

/*
 * Beside a .symtab: an old Go's table (unknown magic) is left alone, and the
 * .symtab read as before. A corrupt one whose entries .symtab does not all
 * name, so that it would be read, is an error, as without .symtab (the Go
 * runtime itself cannot run with it).
 */
static void test_go_symtab_bad_pclntab(void **state)
{
	uint32_t go115 = 0xfffffffb;
	unsigned char ff = 0xff;
	uint64_t off, size;
	struct elf_funcs a, b;
	unsigned char *buf;
	char path[64];
	size_t len;

	section_of(FX("fx_go_mainsyms"), ".gopclntab", &off, NULL, &size);
	buf = slurp(FX("fx_go_mainsyms"), &len);
	patch_magic(buf + off, size, &go115);
	write_tmp(path, buf, len);
	free(buf);
	load_ok(path, &a);
	assert_true(a.has_symtab);
	assert_false(a.from_pclntab);
	assert_int_equal(a.n, 7);
	assert_prefixed_set(&a, "main.", go_main, 7);
	elf_funcs__free(&a);
	unlink(path);

	section_of(FX("fx_go"), ".gopclntab", &off, NULL, &size);
	buf = slurp(FX("fx_go"), &len);
	patch_magic(buf + off, size, &go115);
	write_tmp(path, buf, len);
	free(buf);
	load_ok(path, &a);
	load_ok(FX("fx_go"), &b);
	assert_int_equal(a.n, b.n);
	elf_funcs__free(&a);
	elf_funcs__free(&b);
	unlink(path);

	go_file_patched(FX("fx_go"), patch_functab, &ff, -EINVAL, "corrupt .gopclntab: function");
	go_file_patched(FX("fx_go_mainsyms"), patch_functab, &ff, -EINVAL,
			"corrupt .gopclntab: function");
}

/* The tables a message names as searched. */
static void test_sources(void **state)
{
	struct elf_funcs f = { 0 };
	char buf[40], tiny[8];

	assert_string_equal(elf_funcs__sources(&f, buf, sizeof(buf)), "");
	f.has_symtab = true;
	assert_string_equal(elf_funcs__sources(&f, buf, sizeof(buf)), ".symtab");
	f.has_dynsym = true;
	assert_string_equal(elf_funcs__sources(&f, buf, sizeof(buf)), ".symtab and .dynsym");
	f.from_pclntab = true;
	assert_string_equal(elf_funcs__sources(&f, buf, sizeof(buf)),
			    ".symtab, .dynsym and .gopclntab");
	f.has_dynsym = false;
	assert_string_equal(elf_funcs__sources(&f, buf, sizeof(buf)), ".symtab and .gopclntab");
	f.has_symtab = false;
	assert_string_equal(elf_funcs__sources(&f, buf, sizeof(buf)), ".gopclntab");
	/* Cut short, never overrun. */
	f.has_symtab = f.has_dynsym = true;
	assert_string_equal(elf_funcs__sources(&f, tiny, sizeof(tiny)), ".symtab");
}

/*
 * Go 1.16-1.17 (magic 0xfffffffa): no textStart, uintptr entries and
 * funcoffs, _func starting with a uintptr entry. Two functions over the
 * synthetic .text: go116.one (pcsp table says 10 bytes of code) and
 * go116.two (no pcsp table: sized to the end of the text).
 */
enum { G16_NAMES = 64, G16_CUTAB = 96, G16_FILETAB = 104, G16_PCTAB = 112, G16_FUNCTAB = 128,
       G16_FUNC0 = 40, G16_FUNC1 = 88, G16_SIZE = 320 };

_Static_assert(G16_FUNCTAB + G16_FUNC1 + 48 <= G16_SIZE, "the synthetic table fits");

static void build_go116(unsigned char *p)
{
	static const char names[] = "\0go116.one\0go116.two";
	static const unsigned char pcsp[] = { 0, 0x00, 0x0a, 0x00 };
	uint64_t hdr[7] = { 2, 1, G16_NAMES, G16_CUTAB, G16_FILETAB, G16_PCTAB, G16_FUNCTAB };
	unsigned char *ft = p + G16_FUNCTAB;
	int i;

	memset(p, 0, G16_SIZE);
	put32(p, 0xfffffffa);
	p[6] = 1;
	p[7] = 8;
	for (i = 0; i < 7; i++)
		put64(p + 8 + 8 * i, hdr[i]);
	memcpy(p + G16_NAMES, names, sizeof(names));
	put32(p + G16_CUTAB, 0);
	memcpy(p + G16_FILETAB, "x.go", 5);
	memcpy(p + G16_PCTAB, pcsp, sizeof(pcsp));
	/* functab: {entry, funcoff} x 2, end of text */
	put64(ft, SYN_TEXT_ADDR);
	put64(ft + 8, G16_FUNC0);
	put64(ft + 16, SYN_TEXT_ADDR + 0x20);
	put64(ft + 24, G16_FUNC1);
	put64(ft + 32, SYN_TEXT_ADDR + SYN_TEXT_SIZE);
	/* _func: entry, nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset */
	put64(ft + G16_FUNC0, SYN_TEXT_ADDR);
	put32(ft + G16_FUNC0 + 8, 1);
	put32(ft + G16_FUNC0 + 20, 1);
	put64(ft + G16_FUNC1, SYN_TEXT_ADDR + 0x20);
	put32(ft + G16_FUNC1 + 8, 11);
}

static void write_go116(char *path, const unsigned char *pcln)
{
	static unsigned char text[SYN_TEXT_SIZE];
	Elf_Scn *text_scn, *pcln_scn, *shstr_scn;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	Elf64_Shdr *sh;
	Elf *elf;
	int fd;

	memset(text, 0xcc, sizeof(text));
	elf = syn_begin(path, &fd, ET_EXEC, 1, &eh, &ph);
	text_scn = syn_section(elf, ".text", SHT_PROGBITS, text, sizeof(text), ELF_T_BYTE);
	pcln_scn = syn_section(elf, ".gopclntab", SHT_PROGBITS, (void *)pcln, G16_SIZE, ELF_T_BYTE);
	shstr_scn = syn_section(elf, ".shstrtab", SHT_STRTAB, (void *)syn_shstrtab,
				sizeof(syn_shstrtab), ELF_T_BYTE);
	sh = elf64_getshdr(text_scn);
	sh->sh_flags = SHF_ALLOC | SHF_EXECINSTR;
	sh->sh_addr = SYN_TEXT_ADDR;
	sh = elf64_getshdr(pcln_scn);
	sh->sh_flags = SHF_ALLOC;
	sh->sh_addr = SYN_RO_ADDR;
	eh->e_shstrndx = (uint16_t)elf_ndxscn(shstr_scn);
	assert_true(elf_update(elf, ELF_C_NULL) > 0);
	ph = elf64_getphdr(elf);
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = SYN_TEXT_ADDR,
			      .p_offset = elf64_getshdr(text_scn)->sh_offset,
			      .p_filesz = SYN_TEXT_SIZE, .p_memsz = SYN_TEXT_SIZE };
	elf_flagphdr(elf, ELF_C_SET, ELF_F_DIRTY);
	assert_true(elf_update(elf, ELF_C_WRITE) > 0);
	elf_end(elf);
	close(fd);
}

static void test_go116(void **state)
{
	unsigned char pcln[G16_SIZE];
	struct elf_funcs f;
	char path[64];

	build_go116(pcln);
	write_go116(path, pcln);
	load_ok(path, &f);
	assert_false(f.has_symtab);
	assert_false(f.has_dynsym);
	assert_true(f.from_pclntab);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].name, "go116.one");
	assert_int_equal(f.v[0].addr, SYN_TEXT_ADDR);
	assert_int_equal(f.v[0].size, 10);
	assert_string_equal(f.v[1].name, "go116.two");
	assert_int_equal(f.v[1].addr, SYN_TEXT_ADDR + 0x20);
	assert_int_equal(f.v[1].size, 0x20);
	assert_int_equal(f.v[1].offset, f.v[0].offset + 0x20);
	assert_true(f.v[0].global && f.v[1].global);
	elf_funcs__free(&f);
	unlink(path);
}

/* One field of the synthetic Go 1.16 table broken at a time. */
static void go116_fails(size_t at, uint64_t val, unsigned width, int want, const char *reason)
{
	unsigned char pcln[G16_SIZE];
	char path[64];

	build_go116(pcln);
	if (width == 8)
		put64(pcln + at, val);
	else if (width == 4)
		put32(pcln + at, (uint32_t)val);
	else
		pcln[at] = (unsigned char)val;
	write_go116(path, pcln);
	assert_load_fails(path, want, reason);
	unlink(path);
}

static void test_go116_corrupt(void **state)
{
	const char *bad = "corrupt .gopclntab: function";

	/* The header: pad bytes, pc quantum, pointer size. */
	go116_fails(4, 1, 1, -EINVAL, "corrupt .gopclntab: bad header");
	go116_fails(6, 3, 1, -EINVAL, "corrupt .gopclntab: bad header");
	go116_fails(7, 2, 1, -EINVAL, "corrupt .gopclntab: bad header");
	/* nfunc past the table, then a table past the section. */
	go116_fails(8, 100, 8, -EINVAL, "corrupt .gopclntab: tables lie outside");
	go116_fails(8 + 6 * 8, G16_SIZE - 16, 8, -EINVAL, "corrupt .gopclntab: tables lie outside");
	/* funcoff of the second function past the section. */
	go116_fails(G16_FUNCTAB + 24, G16_SIZE, 8, -EINVAL, bad);
	/* funcoff pointing at a _func whose entry is another function's. */
	go116_fails(G16_FUNCTAB + 24, G16_FUNC0, 8, -EINVAL, bad);
	/* End of text before the last entry. */
	go116_fails(G16_FUNCTAB + 32, SYN_TEXT_ADDR, 8, -EINVAL, bad);
	/* nameoff past the section, and negative. */
	go116_fails(G16_FUNCTAB + G16_FUNC0 + 8, 4096, 4, -EINVAL, bad);
	go116_fails(G16_FUNCTAB + G16_FUNC1 + 8, (uint32_t)-8, 4, -EINVAL, bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_nopie),
		cmocka_unit_test(test_lib),
		cmocka_unit_test(test_pie_stripped),
		cmocka_unit_test(test_lib_stripped),
		cmocka_unit_test(test_code_bytes),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_load_mem),
		cmocka_unit_test(test_load_mem_not_elf),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_wrong_class_machine),
		cmocka_unit_test(test_no_symbol_tables),
		cmocka_unit_test(test_directory_and_empty),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_go_symtab),
		cmocka_unit_test(test_go_pclntab),
		cmocka_unit_test(test_go_code_bytes),
		cmocka_unit_test(test_go_pclntab_magic),
		cmocka_unit_test(test_go_pclntab_corrupt),
		cmocka_unit_test(test_go_pclntab_truncated),
		cmocka_unit_test(test_go_fewsyms),
		cmocka_unit_test(test_go_abssym),
		cmocka_unit_test(test_go_mainsyms),
		cmocka_unit_test(test_go_symtab_bad_pclntab),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_go116),
		cmocka_unit_test(test_go116_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
