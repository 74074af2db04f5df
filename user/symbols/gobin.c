/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Go executables: version from .go.buildinfo, runtime.g offsets from DWARF
 * (libdw) or a version table. See gobin.h.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "elfsym.h"
#include "gobin.h"

/* The oldest Go whose goroutine spantrace can find: r14 holds g since 1.17. */
#define GO_MIN_MINOR 17
#define GO_MAX_MINOR 25

/* The whole file as libelf maps it, for reads by file offset or address. */
struct gimg {
	Elf *elf;
	const unsigned char *raw;
	size_t size;
};

/* len bytes at file offset off, or NULL past the end of the file. */
static const unsigned char *gimg__at_off(const struct gimg *im, uint64_t off, uint64_t len)
{
	if (off > im->size || len > im->size - off)
		return NULL;
	return im->raw + off;
}

/* len bytes at link-time address addr, through the file-backed part of a PT_LOAD. */
static const unsigned char *gimg__at_addr(const struct gimg *im, uint64_t addr, uint64_t len)
{
	size_t phnum, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(im->elf, &phnum))
		return NULL;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(im->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr < ph.p_vaddr || addr - ph.p_vaddr >= ph.p_filesz ||
		    len > ph.p_filesz - (addr - ph.p_vaddr))
			continue;
		return gimg__at_off(im, ph.p_offset + (addr - ph.p_vaddr), len);
	}
	return NULL;
}

static uint64_t get_uint(const unsigned char *p, unsigned width, bool big_endian)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < width; i++)
		v |= (uint64_t)p[big_endian ? width - 1 - i : i] << (8 * i);
	return v;
}

bool gobin__parse_version(const char *v, int *major, int *minor)
{
	char *end;
	long ma, mi;

	*major = *minor = 0;
	if (strncmp(v, "go", 2))
		return false;
	v += 2;
	if (*v < '0' || *v > '9')
		return false;
	ma = strtol(v, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return false;
	mi = strtol(end + 1, &end, 10);
	/* What may follow: ".P", "rc2"/"beta1", " X:experiment", or nothing. */
	if (*end && *end != '.' && *end != ' ' && strncmp(end, "rc", 2) && strncmp(end, "beta", 4))
		return false;
	if (ma <= 0 || ma > 1000 || mi < 0 || mi > 1000)
		return false;
	*major = (int)ma;
	*minor = (int)mi;
	return true;
}

bool gobin__table_offsets(int major, int minor, uint32_t *goid_off, uint32_t *stack_hi_off)
{
	*goid_off = *stack_hi_off = 0;
	if (major != 1 || minor < GO_MIN_MINOR || minor > GO_MAX_MINOR)
		return false;
	/*
	 * runtime.g on amd64: stack{lo, hi} comes first. 1.23 added syscallbp
	 * before goid; 1.25 dropped gobuf.ret from the sched field before it.
	 */
	if (minor <= 22)
		*goid_off = 152;
	else if (minor <= 24)
		*goid_off = 160;
	else
		*goid_off = 152;
	*stack_hi_off = 8;
	return true;
}

/* Copies a version string, cut to fit; anything unprintable is no version. */
static void gobin__set_version(struct gobin *out, const unsigned char *s, uint64_t len)
{
	size_t i;

	if (len >= sizeof(out->version))
		len = sizeof(out->version) - 1;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return;
	memcpy(out->version, s, (size_t)len);
	out->version[len] = '\0';
}

/*
 * .go.buildinfo starts with a 32-byte header: "\xff Go buildinf:", the pointer
 * size, flags. With flags & 2 (Go 1.18+) the version follows inline as a
 * uvarint-prefixed string; before, two pointers after the flags address the
 * Go string headers {data, len} of runtime.buildVersion and the module info.
 */
#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_HDR 32

static void gobin__buildinfo(const struct gimg *im, const unsigned char *bi, uint64_t len,
			     struct gobin *out)
{
	const unsigned char *hdr, *s;
	unsigned ptrsize, flags;
	uint64_t addr, slen;
	bool be;

	if (len < BUILDINFO_HDR || memcmp(bi, BUILDINFO_MAGIC, 14))
		return;
	out->is_go = true;
	ptrsize = bi[14];
	flags = bi[15];
	be = flags & 1;
	if (flags & 2) {
		uint64_t slen = 0, off = BUILDINFO_HDR;
		unsigned shift;

		for (shift = 0;; shift += 7) {
			if (off >= len || shift > 63)
				return;
			slen |= (uint64_t)(bi[off] & 0x7f) << shift;
			if (!(bi[off++] & 0x80))
				break;
		}
		if (slen > len - off)
			return;
		gobin__set_version(out, bi + off, slen);
		return;
	}
	if (ptrsize != 4 && ptrsize != 8)
		return;
	addr = get_uint(bi + 16, ptrsize, be);
	hdr = gimg__at_addr(im, addr, 2 * ptrsize);
	if (!hdr)
		return;
	addr = get_uint(hdr, ptrsize, be);
	slen = get_uint(hdr + ptrsize, ptrsize, be);
	if (slen > 4096)
		return;
	s = gimg__at_addr(im, addr, slen);
	if (s)
		gobin__set_version(out, s, slen);
}

/*
 * Without a .go.buildinfo section header, the blob is at a 16-byte aligned
 * spot of the first writable segment, as Go's debug/buildinfo looks for it.
 */
static void gobin__scan_buildinfo(const struct gimg *im, struct gobin *out)
{
	const unsigned char *p;
	size_t phnum, i;
	uint64_t off;
	GElf_Phdr ph;

	if (elf_getphdrnum(im->elf, &phnum))
		return;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(im->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_W))
			continue;
		p = gimg__at_off(im, ph.p_offset, ph.p_filesz);
		if (!p)
			return;
		for (off = 0; off + BUILDINFO_HDR <= ph.p_filesz; off += 16) {
			if (!memcmp(p + off, BUILDINFO_MAGIC, 14)) {
				gobin__buildinfo(im, p + off, ph.p_filesz - off, out);
				return;
			}
		}
		return;
	}
}

static bool die__member_off(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr_integrate(m, DW_AT_data_member_location, &attr))
		return false;
	if (!dwarf_formudata(&attr, &w)) {
		*off = w;
		return true;
	}
	if (!dwarf_getlocation(&attr, &ops, &nops) && nops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*off = ops[0].number;
		return true;
	}
	return false;
}

/* The member called name of the structure st. */
static bool die__member(Dwarf_Die *st, const char *name, Dwarf_Die *out)
{
	Dwarf_Die m;
	const char *n;

	if (dwarf_child(st, &m))
		return false;
	do {
		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		n = dwarf_diename(&m);
		if (n && !strcmp(n, name)) {
			*out = m;
			return true;
		}
	} while (!dwarf_siblingof(&m, &m));
	return false;
}

/* The structure a member's type names, through typedefs. */
static bool die__struct_type(Dwarf_Die *m, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	int depth;

	if (!dwarf_attr_integrate(m, DW_AT_type, &attr) || !dwarf_formref_die(&attr, out))
		return false;
	for (depth = 0; depth < 8 && dwarf_tag(out) == DW_TAG_typedef; depth++) {
		if (!dwarf_attr_integrate(out, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, out))
			return false;
	}
	return dwarf_tag(out) == DW_TAG_structure_type;
}

static bool gobin__g_offsets(Dwarf_Die *g, struct gobin *out)
{
	Dwarf_Die goid, stack, stack_t, hi;
	uint64_t goid_off, stack_off, hi_off;

	if (!die__member(g, "goid", &goid) || !die__member_off(&goid, &goid_off) ||
	    !die__member(g, "stack", &stack) || !die__member_off(&stack, &stack_off) ||
	    !die__struct_type(&stack, &stack_t) || !die__member(&stack_t, "hi", &hi) ||
	    !die__member_off(&hi, &hi_off))
		return false;
	if (!goid_off || goid_off > UINT32_MAX || stack_off + hi_off > UINT32_MAX)
		return false;
	out->goid_off = (uint32_t)goid_off;
	out->stack_hi_off = (uint32_t)(stack_off + hi_off);
	return true;
}

/*
 * The Go linker emits runtime.g as a top-level structure of a compile unit
 * named "runtime" (there are several): only those are walked, and only
 * until it is found.
 */
static bool gobin__dwarf(Elf *elf, struct gobin *out)
{
	Dwarf_Off off = 0, next;
	bool found = false;
	size_t hsize;
	Dwarf *dw;

	dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!dw)
		return false;
	while (!found && !dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu, die;
		const char *name;

		if (dwarf_offdie(dw, off + hsize, &cu) && (name = dwarf_diename(&cu)) &&
		    !strcmp(name, "runtime") && !dwarf_child(&cu, &die)) {
			do {
				if (dwarf_tag(&die) != DW_TAG_structure_type)
					continue;
				name = dwarf_diename(&die);
				if (name && !strcmp(name, "runtime.g")) {
					found = gobin__g_offsets(&die, out);
					break;
				}
			} while (!dwarf_siblingof(&die, &die));
		}
		off = next;
	}
	dwarf_end(dw);
	return found;
}

static void gobin__read(const struct gimg *im, struct gobin *out)
{
	const unsigned char *bi = NULL;
	uint64_t bi_len = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Ehdr eh;

	if (!gelf_getehdr(im->elf, &eh))
		return;
	out->x86_64 = gelf_getclass(im->elf) == ELFCLASS64 && eh.e_machine == EM_X86_64;
	if (elf_getshdrstrndx(im->elf, &shstrndx))
		shstrndx = SHN_UNDEF;
	while (shstrndx != SHN_UNDEF && (scn = elf_nextscn(im->elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(im->elf, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(name, ".go.buildinfo") && sh.sh_type != SHT_NOBITS) {
			bi = gimg__at_off(im, sh.sh_offset, sh.sh_size);
			bi_len = bi ? sh.sh_size : 0;
		} else if (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab") ||
			   !strcmp(name, ".note.go.buildid")) {
			out->is_go = true;
		} else if (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")) {
			out->has_dwarf = true;
		}
	}
	if (bi)
		gobin__buildinfo(im, bi, bi_len, out);
	else
		gobin__scan_buildinfo(im, out);
	if (!out->is_go)
		return;
	gobin__parse_version(out->version, &out->major, &out->minor);
	if (out->has_dwarf && gobin__dwarf(im->elf, out)) {
		out->goid_from = "DWARF";
		return;
	}
	out->goid_off = out->stack_hi_off = 0;
	if (out->x86_64 && gobin__table_offsets(out->major, out->minor, &out->goid_off,
						&out->stack_hi_off))
		out->goid_from = "version table";
}

/* Reads an open ELF file into out, and ends elf. */
static void gobin__read_elf(Elf *elf, struct gobin *out)
{
	struct gimg im = { .elf = elf };

	im.raw = (const unsigned char *)elf_rawfile(elf, &im.size);
	if (im.raw)
		gobin__read(&im, out);
	elf_end(elf);
}

int gobin__inspect(const char *path, struct gobin *out, char *err, size_t errlen)
{
	char why[256];
	Elf *elf;
	int fd;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	fd = elfsym__open(path, &elf, why, sizeof(why));
	/* A script, a device, an empty file: nothing Go about it. */
	if (fd == -ENOEXEC)
		return 0;
	if (fd == -EISDIR) {
		errbuf__set(err, errlen, "%s is a directory, not a program", path);
		return fd;
	}
	if (fd < 0) {
		errbuf__set(err, errlen, "cannot read %s: %s", path, why);
		return fd;
	}
	gobin__read_elf(elf, out);
	close(fd);
	return 0;
}

int gobin__inspect_mem(void *image, size_t size, struct gobin *out)
{
	Elf *elf;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = elfsym__open_mem(image, size, &elf, NULL, 0);
	if (ret == -ENOEXEC)
		return 0; /* as for a file: nothing Go about it */
	if (ret)
		return ret;
	gobin__read_elf(elf, out);
	return 0;
}

int gobin__check(const struct gobin *g, const char *path, char *err, size_t errlen)
{
	if (!g->is_go)
		return 0;
	if (!g->x86_64) {
		errbuf__set(err, errlen,
			    "%s is a Go program for another architecture: spantrace traces x86-64 programs only; build it with GOARCH=amd64",
			    path);
		return -1;
	}
	if (g->major == 1 && g->minor < GO_MIN_MINOR) {
		errbuf__set(err, errlen,
			    "%s was built with %s, before Go's register ABI (1.17): spantrace reads the current goroutine from register r14; rebuild it with Go 1.17 or later",
			    path, g->version);
		return -1;
	}
	if (!g->goid_off) {
		char what[128];

		if (g->version[0])
			snprintf(what, sizeof(what), "was built with %s, a Go version spantrace does not know,",
				 g->version);
		else
			snprintf(what, sizeof(what), "does not say which Go version built it");
		errbuf__set(err, errlen, "%s %s and %s: %strace a binary built with Go 1.%d to 1.%d",
			    path, what,
			    g->has_dwarf ? "its DWARF does not describe runtime.g" :
					   "has no DWARF to read runtime.g from",
			    g->has_dwarf ? "" : "rebuild it without -ldflags=-w, or ",
			    GO_MIN_MINOR, GO_MAX_MINOR);
		return -1;
	}
	return 0;
}
