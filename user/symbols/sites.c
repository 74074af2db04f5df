// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attach sites of the probe table. See sites.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disasm.h"
#include "elfsym.h"
#include "errbuf.h"
#include "sites.h"
#include "spantrace.h"

static int sites__push(struct site_table *st, size_t *cap, const struct site *s)
{
	if (st->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct site *v = realloc(st->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->v = v;
		*cap = ncap;
	}
	st->v[st->n++] = *s;
	return 0;
}

/* every argument a name can be read from fits the cookie's field */
_Static_assert(SITES_MAX_C_ARG + 1 <= ST_CK_ARG_MASK && SITES_MAX_GO_STR_ARG + 1 <= ST_CK_ARG_MASK,
	       "name argument does not fit the attach cookie");

static int name_arg_check(const struct probe *p, bool go, char *err, size_t errlen)
{
	if (p->name_arg < 0)
		return 0;
	if (!go && p->name_arg > SITES_MAX_C_ARG) {
		errbuf__set(err, errlen,
			    "%s: name=arg%d is out of range: C functions receive arg0 to arg%d in "
			    "registers (x86-64 SysV), later ones on the stack",
			    p->func, p->name_arg, SITES_MAX_C_ARG);
		return -1;
	}
	if (go && p->name_arg > SITES_MAX_GO_STR_ARG) {
		errbuf__set(err, errlen,
			    "%s: name=arg%d is out of range: a Go string is two words (pointer, "
			    "length) and Go passes arg0 to arg8 in registers, so a name starts "
			    "at arg%d at most",
			    p->func, p->name_arg, SITES_MAX_GO_STR_ARG);
		return -1;
	}
	return 0;
}

/* Probe i gets no site: kind says why in a few words its like share, why in full. */
static void skip(struct site_table *st, size_t i, const char *kind, const char *why)
{
	st->skipped[i] = true;
	st->nskipped++;
	st->skip_kind[i] = kind;
	st->why[i] = strdup(why);
}

int sites__refuse(struct site_table *st, size_t i, const char *kind, const char *why)
{
	char *w = strdup(why);

	if (!w)
		return -ENOMEM;
	if (!st->skipped[i])
		st->nskipped++;
	st->skipped[i] = true;
	st->skip_kind[i] = kind;
	free(st->why[i]);
	st->why[i] = w;
	return 0;
}

/*
 * Where probe i's entry uprobe goes, from its code: see disasm__entry; a Go
 * begin/end pair function right after its stack check instead, where one
 * call passes once even when its stack grows (a span tree frame has a depth
 * to tell a restart from a call; a pair's span has none).
 */
static void place_entry(struct site_table *st, size_t i, const struct probe *p, bool go,
			bool at_entry, const uint8_t *code)
{
	struct disasm_place pl;
	char buf[sizeof(pl.why) + 64];

	if (go && p->role != SPEC_FUNC) {
		st->entry[i] = disasm__go_body(code, (size_t)p->size);
		snprintf(buf, sizeof(buf), "%s",
			 st->entry[i] ? "after the stack check, where a begin/end function passes "
					"once even when its stack grows" :
					"first byte (no stack check)");
	} else if (at_entry) {
		st->entry[i] = 0;
		snprintf(buf, sizeof(buf), "first byte (--probe-at=entry)");
	} else {
		disasm__entry(code, (size_t)p->size, go, &pl);
		st->entry[i] = pl.off;
		snprintf(buf, sizeof(buf), "%s", pl.why);
	}
	st->place[i] = strdup(buf);
}

/* A probe's ways out, as file offsets: RETs and tail jumps of its code and its cold part. */
struct exits {
	uint64_t *off;
	size_t n;
	size_t nhidden;
};

static int exits__add(struct exits *x, uint64_t base, const struct disasm_rets *r)
{
	uint64_t *v = realloc(x->off, (x->n + r->n + r->ntail + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	x->off = v;
	for (size_t k = 0; k < r->n; k++)
		x->off[x->n++] = base + r->off[k];
	for (size_t k = 0; k < r->ntail; k++)
		x->off[x->n++] = base + r->tail[k];
	x->nhidden += r->nhidden;
	return 0;
}

/* One part of p's code (hot or cold), the other part being inside the function too. */
static int part_exits(const struct probe *p, const uint8_t *code, bool cold, struct exits *x,
		      char *err, size_t errlen)
{
	uint64_t addr = cold ? p->cold_addr : p->addr, size = cold ? p->cold_size : p->size;
	uint64_t other = cold ? p->addr : p->cold_addr, olen = cold ? p->size : p->cold_size;
	struct disasm_rets r;
	char why[256];
	int e;

	if (disasm__exits(code, (size_t)size, addr, other, olen, &r, why, sizeof(why))) {
		errbuf__set(err, errlen, "cannot disassemble %s%s: %s", p->func,
			    cold ? ".cold" : "", why);
		return -1;
	}
	e = exits__add(x, cold ? p->cold_offset : p->offset, &r);
	disasm_rets__free(&r);
	if (e)
		errbuf__set(err, errlen, "out of memory");
	return e ? -1 : 0;
}

static int find_exits(const struct probe *p, const uint8_t *code, struct exits *x, char *err,
		      size_t errlen)
{
	uint8_t *cold = NULL;
	char why[256];
	int r;

	memset(x, 0, sizeof(*x));
	if (part_exits(p, code, false, x, err, errlen))
		return -1;
	if (!p->cold_size)
		return 0;
	if (disasm__read(p->open_path, p->cold_offset, (size_t)p->cold_size, &cold, why,
			 sizeof(why))) {
		errbuf__set(err, errlen, "cannot read the code of %s.cold in %s: %s", p->func,
			    p->object, why);
		return -1;
	}
	r = part_exits(p, cold, true, x, err, errlen);
	free(cold);
	return r;
}

/* The cookie of probe i's sites: its index and what the BPF side reads there. */
static uint64_t probe_cookie(const struct probe *p, size_t i, bool go, bool unwinds)
{
	uint64_t ck = (uint64_t)i | (go ? ST_CK_GO : 0);

	if (p->role != SPEC_FUNC)
		ck |= ST_CK_NOSDEPTH;
	else if (!go && unwinds)
		ck |= ST_CK_SP;
	if (p->name_arg >= 0)
		ck |= ST_CK_NAME_ARG(p->name_arg);
	return ck;
}

/*
 * Why a function cannot have its returns probed on its instructions (no way
 * out a probe can see, or code that cannot be read), where a uretprobe would
 * not do: in Go, or where exceptions unwind.
 */
static void skip_returns(struct site_table *st, size_t i, bool go, const char *kind,
			 const char *what)
{
	char why[400];

	snprintf(why, sizeof(why), "%s, so its return cannot be probed on its instructions%s", what,
		 go ? "" : ", and in a process that can unwind exceptions a uretprobe would "
			   "end it in std::terminate when one passes");
	skip(st, i, kind, why);
}

/* The return sites of probe i: a uretprobe at the entry, or each way out but the entry's. */
static int return_sites(struct site_table *st, size_t *cap, size_t i, struct site s,
			const struct exits *x, uint64_t entry_off)
{
	int r = 0;

	s.prog = SITE_EXIT;
	s.cookie &= ~(ST_CK_ARG_BITS | ST_CK_GO_SAVE_G | ST_CK_ALSO_END);
	if (!st->ret_insns[i]) {
		/* where [rsp] is still the return address: the entry probe is never past a push */
		s.retprobe = true;
		return sites__push(st, cap, &s);
	}
	for (size_t k = 0; !r && k < x->n; k++) {
		s.offset = x->off[k];
		if (s.offset != entry_off)
			r = sites__push(st, cap, &s);
	}
	st->nexits[i] = (uint32_t)x->n;
	st->nhidden[i] = (uint32_t)x->nhidden;
	return r;
}

/* Sites of probe i, whose code (p->size bytes) is in code, or NULL if unknown. */
static int code_sites(struct site_table *st, size_t *cap, const struct probe_table *pt, size_t i,
		      const struct sites_target *tg, const uint8_t *code, char *err,
		      size_t errlen)
{
	const struct probe *p = &pt->v[i];
	bool go = tg->go_path && strcmp(p->open_path, tg->go_path) == 0;
	bool frame = p->role == SPEC_FUNC;
	/* returns on their instructions: Go, C where exceptions unwind; C to measure them */
	bool on_exits = frame && (go || tg->unwinds || (tg->flags & SITES_C_RETS));
	bool must = frame && (go || tg->unwinds); /* no uretprobe to fall back on */
	struct site s = { .path = p->open_path, .probe = (uint32_t)i,
			  .cookie = probe_cookie(p, i, go, tg->unwinds) };
	struct exits x = { 0 };
	int r = 0;

	if (!code && must) {
		skip_returns(st, i, go, "of unknown size",
			     "its size is unknown, so its code cannot be read");
		return 0;
	}
	if (!code) {
		st->place[i] = strdup("first byte (the symbol has no size: its code is not read)");
	} else {
		if (on_exits && find_exits(p, code, &x, err, errlen))
			return -1;
		if (on_exits && !x.n && must) {
			skip_returns(st, i, go, "with no RET or tail jump to probe",
				     "it has no RET instruction nor tail jump (it never returns, or "
				     "only through jumps no probe can tell)");
			free(x.off);
			return 0;
		}
		on_exits = on_exits && x.n; /* a C function with no RET keeps its uretprobe */
		if (go && on_exits && disasm__writes_r14(code, (size_t)p->size))
			s.cookie |= ST_CK_GO_SAVE_G;
		place_entry(st, i, p, go, tg->flags & SITES_AT_ENTRY, code);
	}
	st->ret_insns[i] = on_exits;
	s.offset = p->offset + st->entry[i];
	s.prog = p->role == SPEC_END ? SITE_EXIT :
		 p->name_arg >= 0   ? SITE_ENTER_NAMED : SITE_ENTER;
	for (size_t k = 0; on_exits && k < x.n; k++)
		if (x.off[k] == s.offset)
			s.cookie |= ST_CK_ALSO_END;
	r = sites__push(st, cap, &s);
	if (!r && frame)
		r = return_sites(st, cap, i, s, &x, s.offset);
	free(x.off);
	return r;
}

/* Sites of probe i. */
static int probe_sites(struct site_table *st, size_t *cap, const struct probe_table *pt, size_t i,
		       const struct sites_target *tg, char *err, size_t errlen)
{
	const struct probe *p = &pt->v[i];
	bool go = tg->go_path && strcmp(p->open_path, tg->go_path) == 0;
	uint8_t *code = NULL;
	char why[256];
	int r;

	if (name_arg_check(p, go, err, errlen))
		return -1;
	if (p->size &&
	    disasm__read(p->open_path, p->offset, (size_t)p->size, &code, why, sizeof(why))) {
		errbuf__set(err, errlen, "cannot read the code of %s in %s: %s", p->func, p->object,
			    why);
		return -1;
	}
	r = code_sites(st, cap, pt, i, tg, code, err, errlen);
	free(code);
	return r;
}

/* A runtime function goroutines are followed by, and where it is probed. */
struct runtime_func {
	const char *func;
	uint8_t prog;
	bool rets; /* on each of its RETs (its return), not on its entry */
};

static const struct runtime_func runtime_funcs[] = {
	{ "runtime.newproc", SITE_GO_NEWPROC, false },
	{ "runtime.newproc1", SITE_GO_NEWPROC_RET, true },
	{ "runtime.goexit1", SITE_GO_GOEXIT, false },
	{ "runtime.gopanic", SITE_GO_PANIC, false },
};

/* The sites of runtime function want, f in the Go executable go_path. */
static int runtime_func_sites(struct site_table *st, size_t *cap, const char *go_path,
			      const struct runtime_func *want, const struct elf_func *f, char *err,
			      size_t errlen)
{
	struct site s = { .path = go_path, .probe = SITE_NO_PROBE, .prog = want->prog };
	struct disasm_rets rets = { 0 };
	uint8_t *code = NULL;
	char why[256];
	int r = 0;

	if (!want->rets) {
		s.offset = f->offset;
		r = sites__push(st, cap, &s);
		st->nruntime += !r;
		return r;
	}
	if (!f->size || disasm__read(go_path, f->offset, (size_t)f->size, &code, why, sizeof(why)) ||
	    disasm__rets(code, (size_t)f->size, f->addr, &rets, why, sizeof(why)) || !rets.n) {
		free(code);
		errbuf__set(err, errlen, "cannot find the RET instructions of %s in %s%s%s",
			    want->func, go_path, f->size ? ": " : "", f->size ? why : "");
		disasm_rets__free(&rets);
		return -1;
	}
	free(code);
	for (size_t k = 0; !r && k < rets.n; k++) {
		s.offset = f->offset + rets.off[k];
		r = sites__push(st, cap, &s);
		st->nruntime += !r;
	}
	disasm_rets__free(&rets);
	return r;
}

/* The runtime functions goroutines are followed by, found in the Go executable. */
static int runtime_sites(struct site_table *st, size_t *cap, const char *go_path, char *err,
			 size_t errlen)
{
	struct elf_funcs fs;
	char why[256];
	int r = 0;

	if (elf_funcs__load(go_path, &fs, why, sizeof(why))) {
		errbuf__set(err, errlen, "cannot read symbols of %s: %s", go_path, why);
		return -1;
	}
	for (size_t w = 0; !r && w < sizeof(runtime_funcs) / sizeof(runtime_funcs[0]); w++) {
		const struct runtime_func *want = &runtime_funcs[w];
		const struct elf_func *f = NULL;

		for (size_t i = 0; i < fs.n && !f; i++)
			if (strcmp(fs.v[i].name, want->func) == 0)
				f = &fs.v[i];
		if (!f) {
			errbuf__set(err, errlen,
				    "%s has no %s: goroutines cannot be followed in it (a Go "
				    "runtime older than 1.17 or newer than spantrace knows)",
				    go_path, want->func);
			r = -1;
			break;
		}
		r = runtime_func_sites(st, cap, go_path, want, f, err, errlen);
	}
	elf_funcs__free(&fs);
	return r;
}

/* Up to 15 bytes (the longest x86 instruction) at off of path, fewer at the file's end. */
static int read_insn(const char *path, uint64_t off, uint8_t *buf, size_t *n, char *err,
		     size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = -1;

	if (fd >= 0) {
		r = pread(fd, buf, 15, (off_t)off);
		close(fd);
	}
	if (r <= 0) {
		errbuf__set(err, errlen, "cannot read the instruction at offset 0x%llx of %s: %s",
			    (unsigned long long)off, path,
			    r < 0 ? strerror(errno) : "the file ends there");
		return -1;
	}
	*n = (size_t)r;
	return 0;
}

const char *sites__cost_name(int cost)
{
	static const char *const names[SITE_NCOSTS] = {
		[SITE_COST_NOP5] = "5-byte nop",
		[SITE_COST_EMULATED] = "emulated",
		[SITE_COST_STEPPED] = "single-stepped",
		[SITE_COST_RET] = "RET",
		[SITE_COST_URETPROBE] = "uretprobe",
	};

	return cost >= 0 && cost < SITE_NCOSTS ? names[cost] : "?";
}

/* Is s the entry site of its probe (not a return, not a runtime site)? */
static bool entry_site(const struct site_table *st, const struct probe_table *pt,
		       const struct site *s)
{
	return s->probe != SITE_NO_PROBE && !s->retprobe &&
	       s->offset == pt->v[s->probe].offset + st->entry[s->probe];
}

/*
 * Every site's instruction, whatever placed it (entry, a moved entry, a RET,
 * a runtime function): what a hit costs (site.cost), and whether the kernel
 * would run it exactly (disasm__probe_safe): a function with a site it would
 * not loses all its sites; a runtime site is an error, as goroutines cannot
 * be followed without it. The entry site's instruction is kept, in words.
 */
static int check_sites(struct site_table *st, const struct probe_table *pt, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct site *s = &st->v[i];
		const struct probe *p = s->probe == SITE_NO_PROBE ? NULL : &pt->v[s->probe];
		uint8_t insn[15];
		char why[200], buf[320];
		size_t n;

		if (s->probe != SITE_NO_PROBE && st->skipped[s->probe])
			continue;
		if (read_insn(s->path, s->offset, insn, &n, err, errlen))
			return -1;
		st->v[i].cost = s->retprobe ? SITE_COST_URETPROBE : (uint8_t)disasm__cost(insn, n);
		if (entry_site(st, pt, s) &&
		    disasm__describe(insn, n, st->entry[s->probe], &st->entry_insn[s->probe]) ==
			    -ENOMEM) {
			errbuf__set(err, errlen, "out of memory");
			return -1;
		}
		if (disasm__probe_safe(insn, n, why, sizeof(why)))
			continue;
		if (s->probe == SITE_NO_PROBE) {
			errbuf__set(err, errlen, "cannot %s in %s: at offset 0x%llx, %s",
				    s->prog == SITE_UNWIND ? "watch exceptions unwind" :
							  "follow goroutines",
				    s->path, (unsigned long long)s->offset, why);
			return -1;
		}
		snprintf(buf, sizeof(buf), "its instruction at %s+%llu, %s",
			 s->offset >= p->offset && s->offset - p->offset < p->size ? "" : "cold part ",
			 (unsigned long long)(s->offset >= p->offset && s->offset - p->offset < p->size ?
						      s->offset - p->offset :
						      s->offset - p->cold_offset),
			 why);
		skip(st, s->probe, "on an instruction the kernel emulates wrongly", buf);
	}
	return 0;
}

/*
 * The unwinder's entry points, in the objects that define them: where an
 * exception begins (_Unwind_RaiseException; _Unwind_ForcedUnwind for a
 * thread's cancellation), and where its unwinding runs code in a frame it
 * passes (__cxa_begin_catch: a catch block; _Unwind_Resume: a cleanup is
 * done). Any may be absent (a C program with libgcc_s has no
 * __cxa_begin_catch); none at all is not an error: spans an exception passes
 * then end where a later call shows them gone.
 */
static int unwind_sites(struct site_table *st, size_t *cap, const struct sites_target *tg,
			char *err, size_t errlen)
{
	static const struct {
		const char *func;
		uint64_t kind; /* enum st_unwind_kind, the site's cookie */
	} want[] = {
		{ "_Unwind_RaiseException", ST_UNWIND_THROW },
		{ "_Unwind_ForcedUnwind", ST_UNWIND_THROW },
		{ "__cxa_begin_catch", ST_UNWIND_CATCH },
		{ "_Unwind_Resume", ST_UNWIND_CLEANUP },
	};

	for (size_t o = 0; o < tg->nunwinder_paths; o++) {
		const char *path = tg->unwinder_paths[o];
		struct elf_funcs fs;
		char why[256];
		int r = 0;

		if (elf_funcs__load(path, &fs, why, sizeof(why))) {
			errbuf__set(err, errlen, "cannot read symbols of %s: %s", path, why);
			return -1;
		}
		for (size_t i = 0; !r && i < fs.n; i++)
			for (size_t w = 0; !r && w < sizeof(want) / sizeof(want[0]); w++) {
				struct site s = { .path = path, .probe = SITE_NO_PROBE,
						  .prog = SITE_UNWIND, .offset = fs.v[i].offset,
						  .cookie = want[w].kind };

				if (strcmp(fs.v[i].name, want[w].func) == 0 &&
				    !(r = sites__push(st, cap, &s)))
					st->nunwind++;
			}
		elf_funcs__free(&fs);
		if (r) {
			errbuf__set(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

#define PER_PROBE(field, st, n) ((st)->field = calloc((n) ? (n) : 1, sizeof(*(st)->field)))

int sites__build(const struct probe_table *pt, const struct sites_target *tg,
		 struct site_table *out, char *err, size_t errlen)
{
	size_t cap = 0;
	bool any_go = false;

	memset(out, 0, sizeof(*out));
	if (!PER_PROBE(skipped, out, pt->n) || !PER_PROBE(why, out, pt->n) ||
	    !PER_PROBE(skip_kind, out, pt->n) || !PER_PROBE(entry, out, pt->n) ||
	    !PER_PROBE(place, out, pt->n) || !PER_PROBE(ret_insns, out, pt->n) ||
	    !PER_PROBE(nexits, out, pt->n) || !PER_PROBE(nhidden, out, pt->n) ||
	    !PER_PROBE(entry_insn, out, pt->n))
		goto oom;
	for (size_t i = 0; i < pt->n; i++) {
		int r = probe_sites(out, &cap, pt, i, tg, err, errlen);

		if (r == -ENOMEM)
			goto oom;
		if (r)
			goto fail;
		if (tg->go_path && !out->skipped[i] && strcmp(pt->v[i].open_path, tg->go_path) == 0)
			any_go = true;
	}
	if (any_go) {
		int r = runtime_sites(out, &cap, tg->go_path, err, errlen);

		out->go = true;
		if (r == -ENOMEM)
			goto oom;
		if (r)
			goto fail;
	}
	if (tg->unwinds && out->nskipped < pt->n && unwind_sites(out, &cap, tg, err, errlen))
		goto fail;
	if (check_sites(out, pt, err, errlen))
		goto fail;
	return 0;
oom:
	errbuf__set(err, errlen, "out of memory");
fail:
	sites__free(out, pt->n);
	return -1;
}

void sites__free(struct site_table *st, size_t nprobes)
{
	for (size_t i = 0; i < nprobes; i++) {
		if (st->why)
			free(st->why[i]);
		if (st->place)
			free(st->place[i]);
	}
	free(st->why);
	free(st->skip_kind);
	free(st->place);
	free(st->entry);
	free(st->ret_insns);
	free(st->nexits);
	free(st->nhidden);
	free(st->entry_insn);
	free(st->skipped);
	free(st->v);
	memset(st, 0, sizeof(*st));
}
