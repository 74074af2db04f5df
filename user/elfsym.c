/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Function symbols of an ELF file with the file offsets uprobes attach to.
 * See elfsym.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "elfsym.h"

/* The parts of a PT_LOAD program header the address-to-offset mapping needs. */
struct load_seg {
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
	bool exec;
};

struct load_segs {
	struct load_seg *v;
	size_t n;
};


static int load_segs__read(Elf *elf, struct load_segs *segs)
{
	size_t phnum, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &phnum))
		return -EINVAL;
	segs->v = calloc(phnum ? phnum : 1, sizeof(*segs->v));
	if (!segs->v)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph))
			return -EINVAL;
		if (ph.p_type != PT_LOAD)
			continue;
		segs->v[segs->n++] = (struct load_seg){
			.vaddr = ph.p_vaddr,
			.offset = ph.p_offset,
			.filesz = ph.p_filesz,
			.exec = ph.p_flags & PF_X,
		};
	}
	return 0;
}

/*
 * Maps a link-time address to its file offset. Only the file-backed part of
 * a segment counts: code never lives in the zero-filled tail (p_memsz beyond
 * p_filesz), and an offset there would point at unrelated bytes. Executable
 * segments are tried first because that is where functions live when
 * segments overlap in odd linker layouts.
 */
static bool load_segs__offset(const struct load_segs *segs, uint64_t addr, uint64_t *off)
{
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < segs->n; i++) {
			const struct load_seg *s = &segs->v[i];

			if (pass == 0 && !s->exec)
				continue;
			if (addr < s->vaddr || addr - s->vaddr >= s->filesz)
				continue;
			*off = addr - s->vaddr + s->offset;
			return true;
		}
	}
	return false;
}

static int elf_funcs__push(struct elf_funcs *f, size_t *cap, const struct elf_func *fn)
{
	if (f->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct elf_func *nv = realloc(f->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		f->v = nv;
		*cap = ncap;
	}
	f->v[f->n++] = *fn;
	return 0;
}

/*
 * Adds the functions of one symbol table. Versioned names ("foo@@VER") occur
 * in .symtab of some objects; the version is dropped so the name matches
 * what users type and what .dynsym holds.
 */
static int elf_funcs__add_table(struct elf_funcs *f, size_t *cap, Elf *elf, Elf_Scn *scn,
				const GElf_Shdr *sh, const struct load_segs *segs)
{
	bool dyn = sh->sh_type == SHT_DYNSYM;
	Elf_Data *data;
	size_t i, cnt;

	if (!sh->sh_entsize)
		return 0;
	data = elf_getdata(scn, NULL);
	if (!data)
		return 0;
	cnt = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < cnt; i++) {
		struct elf_func fn = { 0 };
		const char *name, *at;
		GElf_Sym sym;
		int bind;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name || *name == '@')
			continue;
		if (!load_segs__offset(segs, sym.st_value, &fn.offset))
			continue;
		at = strchr(name, '@');
		fn.name = at ? strndup(name, (size_t)(at - name)) : strdup(name);
		if (!fn.name)
			return -ENOMEM;
		bind = GELF_ST_BIND(sym.st_info);
		fn.addr = sym.st_value;
		fn.size = sym.st_size;
		fn.global = bind == STB_GLOBAL || bind == STB_WEAK;
		fn.from_dynsym = dyn;
		if (elf_funcs__push(f, cap, &fn)) {
			free(fn.name);
			return -ENOMEM;
		}
	}
	return 0;
}

static int elf_func__cmp(const void *a, const void *b)
{
	const struct elf_func *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sorts and merges (name, addr) duplicates, typically one from each table. */
static void elf_funcs__sort_unique(struct elf_funcs *f)
{
	size_t i, out = 0;

	if (!f->n)
		return;
	qsort(f->v, f->n, sizeof(*f->v), elf_func__cmp);
	for (i = 1; i < f->n; i++) {
		struct elf_func *keep = &f->v[out], *cur = &f->v[i];

		if (!elf_func__cmp(keep, cur)) {
			keep->from_dynsym |= cur->from_dynsym;
			keep->global |= cur->global;
			if (cur->size > keep->size)
				keep->size = cur->size;
			free(cur->name);
			continue;
		}
		f->v[++out] = *cur;
	}
	f->n = out + 1;
}

static int elf_funcs__read(Elf *elf, struct elf_funcs *out, char *err, size_t errlen)
{
	struct load_segs segs = { 0 };
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t cap = 0;
	int ret;

	if (elf_kind(elf) != ELF_K_ELF) {
		errbuf__set(err, errlen, "not an ELF file");
		return -ENOEXEC;
	}
	if (!gelf_getehdr(elf, &eh)) {
		errbuf__set(err, errlen, "bad ELF header: %s", elf_errmsg(-1));
		return -ENOEXEC;
	}
	if (gelf_getclass(elf) != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		errbuf__set(err, errlen, "unsupported ELF class/machine (need ELF64 x86_64)");
		return -ENOEXEC;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		errbuf__set(err, errlen,
			"unsupported ELF type %u (need an executable or a shared object)",
			eh.e_type);
		return -ENOEXEC;
	}
	out->e_type = eh.e_type;

	ret = load_segs__read(elf, &segs);
	if (ret) {
		errbuf__set(err, errlen, ret == -ENOMEM ? "out of memory" : "bad program headers");
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			out->has_symtab = true;
		else
			out->has_dynsym = true;
		ret = elf_funcs__add_table(out, &cap, elf, scn, &sh, &segs);
		if (ret) {
			errbuf__set(err, errlen, "out of memory");
			goto out;
		}
	}
	if (!out->has_symtab && !out->has_dynsym) {
		errbuf__set(err, errlen, "no symbol tables (.symtab and .dynsym are both missing)");
		ret = -ENODATA;
		goto out;
	}
	elf_funcs__sort_unique(out);
out:
	free(segs.v);
	return ret;
}

int elf_funcs__load(const char *path, struct elf_funcs *out, char *err, size_t errlen)
{
	struct stat st;
	Elf *elf;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	/* Sets libelf's global version once; repeated calls are harmless. */
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errbuf__set(err, errlen, "libelf too old: %s", elf_errmsg(-1));
		return -ENOSYS;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		errbuf__set(err, errlen, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		errbuf__set(err, errlen, "cannot stat: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	/* libelf's own message for a directory or a device is confusing. */
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -ENOEXEC;
		errbuf__set(err, errlen, "not an ELF file (%s)",
			S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		close(fd);
		return ret;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		errbuf__set(err, errlen, "not an ELF file (%s)", elf_errmsg(-1));
		close(fd);
		return -ENOEXEC;
	}
	ret = elf_funcs__read(elf, out, err, errlen);
	elf_end(elf);
	close(fd);
	if (ret)
		elf_funcs__free(out);
	return ret;
}

void elf_funcs__free(struct elf_funcs *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		free(f->v[i].name);
	free(f->v);
	memset(f, 0, sizeof(*f));
}
