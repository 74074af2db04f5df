/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Function symbols of an ELF file with the file offsets uprobes attach to.
 * See elfsym.h.
 */
#include <endian.h>
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

/*
 * Go's function table, .gopclntab (runtime/symtab.go, debug/gosym). The Go
 * runtime needs it for stack traces, so `strip` leaves it in place: it names
 * every function of a Go program whose .symtab is gone. The header, in the
 * target's byte order (little-endian here):
 *
 *   u32 magic; u8 pad[2]; u8 minLC (pc quantum); u8 ptrsize;
 *   uintptr nfunc, nfiles, textStart (Go 1.18+ only), funcnameOffset,
 *           cuOffset, filetabOffset, pctabOffset, pclnOffset;
 *
 * The function table at pclnOffset holds nfunc {entry, funcoff} pairs, then
 * the entry that ends the last function. Go 1.18+ stores u32 entries relative
 * to textStart (runtime.text) and u32 funcoffs; Go 1.16-1.17 store uintptr
 * addresses and offsets. funcoff, also from pclnOffset, locates the
 * function's _func: its entry (u32 or uintptr as above), then the u32 fields
 * nameoff (into funcnametab, NUL-terminated), args, deferreturn, pcsp, pcfile,
 * pcln, npcdata, cuOffset. A function's file is
 * filetab + cutab[cuOffset + the first value of its pcfile table].
 */
#define PCLN_MAGIC_GO116 0xfffffffau
#define PCLN_MAGIC_GO118 0xfffffff0u
#define PCLN_MAGIC_GO120 0xfffffff1u

struct pcln {
	const unsigned char *p;
	uint64_t size;
	unsigned quantum;
	unsigned ptrsize;
	bool off32;		/* Go 1.18+: u32 entries relative to text_start */
	uint64_t nfunc;
	uint64_t text_start;
	uint64_t funcnames;	/* offsets into p */
	uint64_t cutab;
	uint64_t filetab;
	uint64_t pctab;
	uint64_t functab;
};

/* The u32 fields of _func after its entry, in units of 4 bytes. */
enum { PCLN_NAMEOFF = 0, PCLN_PCSP = 3, PCLN_PCFILE = 4, PCLN_CUOFFSET = 7 };

static bool pcln__has(const struct pcln *t, uint64_t off, uint64_t len)
{
	return off <= t->size && len <= t->size - off;
}

static bool pcln__word(const struct pcln *t, uint64_t off, unsigned width, uint64_t *v)
{
	uint32_t u32;
	uint64_t u64;

	if (!pcln__has(t, off, width))
		return false;
	if (width == 4) {
		memcpy(&u32, t->p + off, 4);
		*v = le32toh(u32);
	} else {
		memcpy(&u64, t->p + off, 8);
		*v = le64toh(u64);
	}
	return true;
}

/* Go's varint of a pc-value table: 7 bits a byte, low first, at most 5 bytes. */
static bool pcln__uvarint(const struct pcln *t, uint64_t *off, uint32_t *v)
{
	unsigned shift;

	*v = 0;
	for (shift = 0; shift < 35; shift += 7) {
		unsigned char b;

		if (!pcln__has(t, *off, 1))
			return false;
		b = t->p[(*off)++];
		*v |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/*
 * The size of a function's code without the int3 padding that aligns the
 * next one: the pc deltas of its pcsp table (pc -> stack depth) add up to it,
 * as the linker emits each table up to the end of the code. Falls back to
 * span, the distance to the next function, when the table does not say.
 */
static uint64_t pcln__code_size(const struct pcln *t, uint32_t pcsp, uint64_t span)
{
	uint64_t off = t->pctab + pcsp, pc = 0;
	bool first = true;

	if (!pcsp || !pcln__has(t, off, 1))
		return span;
	for (;;) {
		uint32_t vdelta, pcdelta;

		if (!pcln__uvarint(t, &off, &vdelta))
			return span;
		if (!vdelta && !first)
			break;
		first = false;
		if (!pcln__uvarint(t, &off, &pcdelta))
			return span;
		pc += (uint64_t)pcdelta * t->quantum;
		if (pc > span)
			return span;
	}
	return pc ? pc : span;
}

/* Where a function's code comes from, as far as its ABI name goes. */
enum pcln_src { PCLN_SRC_GO, PCLN_SRC_ASM, PCLN_SRC_WRAPPER };

/*
 * The file of the function's entry: "<autogenerated>" for the ABI wrappers
 * the compiler adds, a .s file for assembly. Anything unreadable counts as Go.
 */
static enum pcln_src pcln__src(const struct pcln *t, uint32_t pcfile, uint32_t cu)
{
	uint64_t off = t->pctab + pcfile, ent, name;
	const char *file;
	int64_t fileno;
	uint32_t uv;
	size_t len;
	void *nul;

	if (!pcfile || !pcln__uvarint(t, &off, &uv))
		return PCLN_SRC_GO;
	/* The value starts at -1; deltas are zigzag-encoded. */
	fileno = -1 + (int64_t)(int32_t)((uv & 1) ? ~(uv >> 1) : (uv >> 1));
	if (fileno < 0)
		return PCLN_SRC_GO;
	ent = t->cutab + ((uint64_t)cu + (uint64_t)fileno) * 4;
	if (!pcln__word(t, ent, 4, &name) || !pcln__has(t, t->filetab + name, 1))
		return PCLN_SRC_GO;
	file = (const char *)t->p + t->filetab + name;
	nul = memchr(file, '\0', t->size - t->filetab - name);
	if (!nul)
		return PCLN_SRC_GO;
	len = (size_t)((const char *)nul - file);
	if (!strcmp(file, "<autogenerated>"))
		return PCLN_SRC_WRAPPER;
	if (len > 2 && !strcmp(file + len - 2, ".s"))
		return PCLN_SRC_ASM;
	return PCLN_SRC_GO;
}

/*
 * The header's words after its first 8 bytes, nw of them (the layout of
 * t's Go version): where each table lies, each checked to be inside the
 * section. text_addr: where .text starts, for a textStart left to a
 * run-time relocation.
 */
static int pcln__read_tables(struct pcln *t, unsigned nw, uint64_t text_addr, char *err,
			     size_t errlen)
{
	uint64_t w[8], fsize;
	unsigned i;

	for (i = 0; i < nw; i++) {
		if (!pcln__word(t, 8 + (uint64_t)i * t->ptrsize, t->ptrsize, &w[i])) {
			errbuf__set(err, errlen, "corrupt .gopclntab: header truncated");
			return -EINVAL;
		}
	}
	t->nfunc = w[0];
	if (t->off32) {
		t->text_start = w[2] ? w[2] : text_addr;
		t->funcnames = w[3];
		t->cutab = w[4];
		t->filetab = w[5];
		t->pctab = w[6];
		t->functab = w[7];
	} else {
		t->funcnames = w[2];
		t->cutab = w[3];
		t->filetab = w[4];
		t->pctab = w[5];
		t->functab = w[6];
	}
	fsize = t->off32 ? 4 : t->ptrsize;
	if (t->funcnames > t->size || t->cutab > t->size || t->filetab > t->size ||
	    t->pctab > t->size || t->nfunc > t->size ||
	    !pcln__has(t, t->functab, (2 * t->nfunc + 1) * fsize)) {
		errbuf__set(err, errlen, "corrupt .gopclntab: tables lie outside the section");
		return -EINVAL;
	}
	if (t->off32 && !t->text_start) {
		errbuf__set(err, errlen, "corrupt .gopclntab: no text start and no .text section");
		return -EINVAL;
	}
	return 0;
}

/* text_addr: see pcln__read_tables. */
static int pcln__init(struct pcln *t, const void *p, uint64_t size, uint64_t text_addr,
		      char *err, size_t errlen)
{
	uint32_t magic;
	unsigned nw;

	memset(t, 0, sizeof(*t));
	t->p = p;
	t->size = size;
	if (!pcln__has(t, 0, 8)) {
		errbuf__set(err, errlen, "corrupt .gopclntab: header truncated");
		return -EINVAL;
	}
	memcpy(&magic, t->p, 4);
	magic = le32toh(magic);
	switch (magic) {
	case PCLN_MAGIC_GO116:
		nw = 7;
		break;
	case PCLN_MAGIC_GO118:
	case PCLN_MAGIC_GO120:
		t->off32 = true;
		nw = 8;
		break;
	default:
		errbuf__set(err, errlen,
			    "unsupported .gopclntab (magic 0x%08x): only Go 1.16 or later is read; rebuild without stripping to keep .symtab",
			    magic);
		return -ENOTSUP;
	}
	t->quantum = t->p[6];
	t->ptrsize = t->p[7];
	if (t->p[4] || t->p[5] || (t->quantum != 1 && t->quantum != 2 && t->quantum != 4) ||
	    (t->ptrsize != 4 && t->ptrsize != 8)) {
		errbuf__set(err, errlen, "corrupt .gopclntab: bad header");
		return -EINVAL;
	}
	return pcln__read_tables(t, nw, text_addr, err, errlen);
}

struct pcln_name {
	const char *name;
	size_t k;		/* index from the first pclntab function in elf_funcs */
	unsigned char src;	/* enum pcln_src */
};

static int pcln_name__cmp(const void *a, const void *b)
{
	const struct pcln_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->k < y->k ? -1 : x->k > y->k;
}

static int pcln__append_abi0(struct elf_func *fn)
{
	size_t len = strlen(fn->name);
	char *n = realloc(fn->name, len + sizeof(".abi0"));

	if (!n)
		return -ENOMEM;
	memcpy(n + len, ".abi0", sizeof(".abi0"));
	fn->name = n;
	return 0;
}

/*
 * The pclntab names a function without its ABI, so an assembly function and
 * the ABIInternal wrapper the compiler made for it share one name, as do a Go
 * function and its ABI0 wrapper for assembly callers. .symtab calls the ABI0
 * one of such a pair NAME.abi0; do the same, so that one name is one probe:
 * with a .s file beside the wrapper, the assembly is ABI0; else the wrapper.
 */
static int pcln__name_abi(struct elf_funcs *f, size_t base, const unsigned char *src)
{
	size_t n = f->n - base, i, j;
	struct pcln_name *v;
	int ret = 0;

	if (n < 2)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = (struct pcln_name){ f->v[base + i].name, i, src[i] };
	qsort(v, n, sizeof(*v), pcln_name__cmp);
	for (i = 0; i + 1 < n && !ret; i = j) {
		const struct pcln_name *a = &v[i], *b = &v[i + 1], *abi0;

		for (j = i + 1; j < n && !strcmp(v[j].name, a->name); j++)
			;
		if (j - i != 2 || (a->src == PCLN_SRC_WRAPPER) == (b->src == PCLN_SRC_WRAPPER))
			continue;
		if (a->src == PCLN_SRC_WRAPPER)
			abi0 = b->src == PCLN_SRC_ASM ? b : a;
		else
			abi0 = a->src == PCLN_SRC_ASM ? a : b;
		ret = pcln__append_abi0(&f->v[base + abi0->k]);
	}
	free(v);
	return ret;
}

/* One row of the function table, read and checked. */
struct pcln_func {
	uint64_t entry, end; /* link-time addresses: the function, the next one */
	const char *name;    /* NUL-terminated inside the section; "" for none */
	uint32_t pcsp, pcfile, cu;
};

/*
 * The entry of row i of the function table as stored (relative to text_start
 * from Go 1.18 on); row nfunc holds the end of the last function. False
 * cannot happen: pcln__init checked that the table lies inside the section.
 */
static bool pcln__raw_entry(const struct pcln *t, uint64_t i, uint64_t *entry)
{
	unsigned fsize = t->off32 ? 4 : t->ptrsize;

	return pcln__word(t, t->functab + 2 * i * fsize, fsize, entry);
}

/* Row i of the function table and its _func: false if they lie outside the section. */
static bool pcln__func(const struct pcln *t, uint64_t i, struct pcln_func *pf)
{
	unsigned fsize = t->off32 ? 4 : t->ptrsize;
	unsigned esize = t->off32 ? 4 : t->ptrsize; /* the entry field of _func */
	uint64_t row = t->functab + 2 * i * fsize, funcoff, fentry, fbase;
	uint64_t nameoff, pcsp, pcfile, cu, name_at;

	if (!pcln__raw_entry(t, i, &pf->entry) || !pcln__word(t, row + fsize, fsize, &funcoff) ||
	    !pcln__raw_entry(t, i + 1, &pf->end))
		return false;
	/* The _func repeats its entry: a cheap check that funcoff is sane. */
	fbase = t->functab + funcoff;
	if (funcoff > t->size || !pcln__word(t, fbase, esize, &fentry) || fentry != pf->entry ||
	    pf->end < pf->entry || !pcln__word(t, fbase + esize + 4 * PCLN_NAMEOFF, 4, &nameoff) ||
	    !pcln__word(t, fbase + esize + 4 * PCLN_PCSP, 4, &pcsp) ||
	    !pcln__word(t, fbase + esize + 4 * PCLN_PCFILE, 4, &pcfile) ||
	    !pcln__word(t, fbase + esize + 4 * PCLN_CUOFFSET, 4, &cu))
		return false;
	name_at = t->funcnames + nameoff;
	if (!pcln__has(t, name_at, 1) || !memchr(t->p + name_at, '\0', t->size - name_at))
		return false;
	if (t->off32) {
		pf->entry += t->text_start;
		pf->end += t->text_start;
	}
	pf->name = (const char *)t->p + name_at;
	pf->pcsp = (uint32_t)pcsp;
	pf->pcfile = (uint32_t)pcfile;
	pf->cu = (uint32_t)cu;
	return true;
}

/* Adds the functions of t as global functions named by .gopclntab. */
static int elf_funcs__add_pclntab(struct elf_funcs *f, size_t *cap, const struct pcln *t,
				  const struct load_segs *segs, char *err, size_t errlen)
{
	unsigned char *src = malloc(t->nfunc ? t->nfunc : 1);
	size_t base = f->n;
	uint64_t i;

	if (!src)
		goto nomem;
	for (i = 0; i < t->nfunc; i++) {
		struct elf_func fn = { .global = true, .from_pclntab = true };
		struct pcln_func pf;

		if (!pcln__func(t, i, &pf))
			goto corrupt;
		if (!*pf.name || pf.end == pf.entry)
			continue;
		if (!load_segs__offset(segs, pf.entry, &fn.offset))
			continue;
		fn.name = strdup(pf.name);
		if (!fn.name)
			goto nomem;
		fn.addr = pf.entry;
		fn.size = pcln__code_size(t, pf.pcsp, pf.end - pf.entry);
		src[f->n - base] = (unsigned char)pcln__src(t, pf.pcfile, pf.cu);
		if (elf_funcs__push(f, cap, &fn)) {
			free(fn.name);
			goto nomem;
		}
	}
	if (pcln__name_abi(f, base, src))
		goto nomem;
	free(src);
	return 0;
corrupt:
	free(src);
	errbuf__set(err, errlen,
		    "corrupt .gopclntab: function %llu of %llu lies outside the section or out of order",
		    (unsigned long long)i, (unsigned long long)t->nfunc);
	return -EINVAL;
nomem:
	free(src);
	errbuf__set(err, errlen, "out of memory");
	return -ENOMEM;
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
			keep->from_pclntab &= cur->from_pclntab;
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

/* Whether f, sorted, has a function at addr. */
static bool elf_funcs__has_addr(const struct elf_funcs *f, uint64_t addr)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n && f->v[lo].addr == addr;
}

/*
 * Whether the symbol tables, f sorted, name a function at each entry of t's
 * function table, as the .symtab Go's linker writes does. Only the entries
 * are read: the table's names and _func records are not needed then.
 */
static bool pcln__all_named(const struct pcln *t, const struct elf_funcs *f)
{
	uint64_t base = t->off32 ? t->text_start : 0, entry, next;

	if (!pcln__raw_entry(t, 0, &next))
		return false;
	for (uint64_t i = 0; i < t->nfunc; i++) {
		entry = next;
		if (!pcln__raw_entry(t, i + 1, &next))
			return false;
		if (next != entry && !elf_funcs__has_addr(f, base + entry))
			return false;
	}
	return true;
}

/*
 * Drops the functions from f->v[base] on that the symbol tables, f->v[0..base)
 * sorted, hold already: same name, same address. Those keep what the symbol
 * tables say of them (binding), and take the size only the table knows.
 */
static void elf_funcs__drop_named(struct elf_funcs *f, size_t base)
{
	size_t out = base;

	for (size_t i = base; i < f->n; i++) {
		struct elf_func *named = bsearch(&f->v[i], f->v, base, sizeof(*f->v),
						 elf_func__cmp);

		if (named) {
			if (!named->size)
				named->size = f->v[i].size;
			free(f->v[i].name);
			continue;
		}
		f->v[out++] = f->v[i];
	}
	f->n = out;
}

/* One elf_funcs__read: what it fills, and what one step finds for the next. */
struct elf_reader {
	Elf *elf;
	struct elf_funcs *out;
	size_t cap; /* of out->v */
	struct load_segs segs;
	Elf_Scn *pclntab;   /* Go's function table, if the file has one */
	uint64_t text_addr; /* where .text starts, 0 if there is none */
};

/* Only ELF64 x86_64 executables and shared objects are read: 0, or -ENOEXEC and why. */
static int elf_reader__header(struct elf_reader *r, char *err, size_t errlen)
{
	GElf_Ehdr eh;

	if (elf_kind(r->elf) != ELF_K_ELF) {
		errbuf__set(err, errlen, "not an ELF file");
		return -ENOEXEC;
	}
	if (!gelf_getehdr(r->elf, &eh)) {
		errbuf__set(err, errlen, "bad ELF header: %s", elf_errmsg(-1));
		return -ENOEXEC;
	}
	if (gelf_getclass(r->elf) != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		errbuf__set(err, errlen, "unsupported ELF class/machine (need ELF64 x86_64)");
		return -ENOEXEC;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		errbuf__set(err, errlen,
			"unsupported ELF type %u (need an executable or a shared object)",
			eh.e_type);
		return -ENOEXEC;
	}
	r->out->e_type = eh.e_type;
	return 0;
}

/*
 * Adds the functions of .symtab and .dynsym, and finds what a Go file
 * without .symtab is read from instead: .gopclntab, and where .text starts.
 */
static int elf_reader__sections(struct elf_reader *r, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int ret;

	if (elf_getshdrstrndx(r->elf, &shstrndx))
		shstrndx = SHN_UNDEF;
	while ((scn = elf_nextscn(r->elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = shstrndx != SHN_UNDEF ? elf_strptr(r->elf, shstrndx, sh.sh_name) : NULL;
		/* Internal linking names it .data.rel.ro.gopclntab in a PIE. */
		if (name && sh.sh_type == SHT_PROGBITS && !r->pclntab &&
		    (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab")))
			r->pclntab = scn;
		if (name && !strcmp(name, ".text"))
			r->text_addr = sh.sh_addr;
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			r->out->has_symtab = true;
		else
			r->out->has_dynsym = true;
		ret = elf_funcs__add_table(r->out, &r->cap, r->elf, scn, &sh, &r->segs);
		if (ret) {
			errbuf__set(err, errlen, "out of memory");
			return ret;
		}
	}
	return 0;
}

/*
 * The Go functions of .gopclntab, merged with those of the symbol tables
 * (r->out, sorted): all of them without .symtab, as it stands in for it;
 * with one that names every function of the table (as Go's linker writes it),
 * none; with a partial one (objcopy --add-symbol on a stripped binary, strip
 * --keep-symbol), every one it lacks under the table's name, beside its own
 * names. An old Go's table (before 1.16) leaves .symtab alone.
 */
static int elf_reader__pclntab(struct elf_reader *r, char *err, size_t errlen)
{
	Elf_Data *d = elf_getdata(r->pclntab, NULL);
	size_t base = r->out->n;
	struct pcln t;
	int ret;

	if (!d || !d->d_buf) {
		errbuf__set(err, errlen, "corrupt .gopclntab: cannot read it: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	ret = pcln__init(&t, d->d_buf, d->d_size, r->text_addr, err, errlen);
	if (ret == -ENOTSUP && r->out->has_symtab) {
		if (err && errlen)
			err[0] = '\0';
		return 0;
	}
	if (ret)
		return ret;
	if (r->out->has_symtab && pcln__all_named(&t, r->out))
		return 0;
	ret = elf_funcs__add_pclntab(r->out, &r->cap, &t, &r->segs, err, errlen);
	if (ret)
		return ret;
	elf_funcs__drop_named(r->out, base);
	r->out->from_pclntab = true;
	elf_funcs__sort_unique(r->out);
	return 0;
}

static int elf_funcs__read(Elf *elf, struct elf_funcs *out, char *err, size_t errlen)
{
	struct elf_reader r = { .elf = elf, .out = out };
	int ret;

	ret = elf_reader__header(&r, err, errlen);
	if (ret)
		return ret;
	ret = load_segs__read(elf, &r.segs);
	if (ret) {
		errbuf__set(err, errlen, ret == -ENOMEM ? "out of memory" : "bad program headers");
		goto out;
	}
	ret = elf_reader__sections(&r, err, errlen);
	if (!ret)
		elf_funcs__sort_unique(out);
	if (!ret && r.pclntab)
		ret = elf_reader__pclntab(&r, err, errlen);
	if (!ret && !out->has_symtab && !out->has_dynsym && !out->from_pclntab) {
		errbuf__set(err, errlen, "no symbol tables (.symtab and .dynsym are both missing)");
		ret = -ENODATA;
	}
out:
	free(r.segs.v);
	if (ret)
		elf_funcs__free(out);
	return ret;
}

/* What elf_begin or elf_memory gave: 0 for an ELF file, else -ENOEXEC with *elf ended. */
static int elfsym__check_kind(Elf **elf, char *err, size_t errlen)
{
	if (*elf && elf_kind(*elf) == ELF_K_ELF)
		return 0;
	if (*elf)
		errbuf__set(err, errlen, "not an ELF file");
	else
		errbuf__set(err, errlen, "not an ELF file (%s)", elf_errmsg(-1));
	elf_end(*elf);
	*elf = NULL;
	return -ENOEXEC;
}

int elfsym__open(const char *path, Elf **elf, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	*elf = NULL;
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
	*elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ret = elfsym__check_kind(elf, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int elfsym__open_mem(void *image, size_t size, Elf **elf, char *err, size_t errlen)
{
	*elf = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errbuf__set(err, errlen, "libelf too old: %s", elf_errmsg(-1));
		return -ENOSYS;
	}
	*elf = elf_memory(image, size);
	return elfsym__check_kind(elf, err, errlen);
}

int elf_funcs__load(const char *path, struct elf_funcs *out, char *err, size_t errlen)
{
	Elf *elf;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	fd = elfsym__open(path, &elf, err, errlen);
	if (fd < 0)
		return fd;
	ret = elf_funcs__read(elf, out, err, errlen);
	elf_end(elf);
	close(fd);
	return ret;
}

int elf_funcs__load_mem(void *image, size_t size, struct elf_funcs *out, char *err,
		       size_t errlen)
{
	Elf *elf;
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	ret = elfsym__open_mem(image, size, &elf, err, errlen);
	if (ret)
		return ret;
	ret = elf_funcs__read(elf, out, err, errlen);
	elf_end(elf);
	return ret;
}

const char *elf_funcs__sources(const struct elf_funcs *f, char *buf, size_t len)
{
	const char *src[3];
	size_t n = 0, off = 0;

	if (f->has_symtab)
		src[n++] = ".symtab";
	if (f->has_dynsym)
		src[n++] = ".dynsym";
	if (f->from_pclntab)
		src[n++] = ".gopclntab";
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					!i ? "" : i + 1 < n ? ", " : " and ", src[i]);
	return buf;
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
