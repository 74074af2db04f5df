// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attach sites of the probe table. See sites.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disasm.h"
#include "elfsym.h"
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

static int name_arg_check(const struct probe *p, bool go, char *err, size_t errlen)
{
	if (p->name_arg < 0)
		return 0;
	if (!go && p->name_arg > SITES_MAX_C_ARG) {
		snprintf(err, errlen,
			 "%s: name=arg%d is out of range: C functions receive arg0 to arg%d in "
			 "registers (x86-64 SysV), later ones on the stack", p->func, p->name_arg,
			 SITES_MAX_C_ARG);
		return -1;
	}
	if (go && p->name_arg > SITES_MAX_GO_STR_ARG) {
		snprintf(err, errlen,
			 "%s: name=arg%d is out of range: a Go string is two words (pointer, "
			 "length) and Go passes arg0 to arg8 in registers, so a name starts at arg%d "
			 "at most", p->func, p->name_arg, SITES_MAX_GO_STR_ARG);
		return -1;
	}
	return 0;
}

static void skip(struct site_table *st, size_t i, const char *why)
{
	st->skipped[i] = true;
	st->nskipped++;
	st->why[i] = strdup(why);
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

/* Sites of probe i. */
static int probe_sites(struct site_table *st, size_t *cap, const struct probe_table *pt, size_t i,
		       const char *go_path, unsigned int flags, char *err, size_t errlen)
{
	const struct probe *p = &pt->v[i];
	bool go = go_path && strcmp(p->open_path, go_path) == 0;
	bool at_entry = flags & SITES_AT_ENTRY;
	/* returns on RET instructions: Go always; C only to measure them against uretprobes */
	bool on_rets = p->role == SPEC_FUNC && (go || (flags & SITES_C_RETS));
	uint64_t ck = (uint64_t)i | (go ? ST_CK_GO : 0);
	struct site s = { .path = p->open_path, .probe = (uint32_t)i };
	struct disasm_rets rets = { 0 };
	uint8_t *code = NULL;
	char why[256];
	int r = 0;

	if (name_arg_check(p, go, err, errlen))
		return -1;
	if (p->role != SPEC_FUNC)
		ck |= ST_CK_NOSDEPTH;
	if (p->name_arg >= 0)
		ck |= (uint64_t)(p->name_arg + 1) << ST_CK_ARG_SHIFT;
	s.cookie = ck;
	if (!p->size) {
		if (go) {
			skip(st, i, "its size is unknown, so its code cannot be read");
			return 0;
		}
		st->place[i] = strdup("first byte (the symbol has no size: its code is not read)");
	} else {
		if (disasm__read(p->open_path, p->offset, (size_t)p->size, &code, why, sizeof(why))) {
			snprintf(err, errlen, "cannot read the code of %s in %s: %s", p->func,
				 p->object, why);
			return -1;
		}
		if (on_rets &&
		    disasm__rets(code, (size_t)p->size, p->addr, &rets, why, sizeof(why))) {
			snprintf(err, errlen, "cannot disassemble %s: %s", p->func, why);
			free(code);
			return -1;
		}
		if (on_rets && !rets.n && !go) {
			on_rets = false; /* a C tail call: the uretprobe still sees it return */
		} else if (on_rets && !rets.n) {
			skip(st, i, "it has no RET instruction (it ends in a jump or never returns), "
				    "so its return cannot be probed");
			free(code);
			return 0;
		}
		place_entry(st, i, p, go, at_entry, code);
		free(code);
	}
	s.offset = p->offset + st->entry[i];
	s.prog = p->role == SPEC_END ? SITE_EXIT :
		 p->name_arg >= 0   ? SITE_ENTER_NAMED : SITE_ENTER;
	r = sites__push(st, cap, &s);
	if (r || p->role != SPEC_FUNC)
		goto out;
	/* The return: a uretprobe for C, where [rsp] is still the return address (the
	 * entry probe is never past a push), each RET for Go. */
	s.prog = SITE_EXIT;
	s.cookie = ck & ~((uint64_t)0xff << ST_CK_ARG_SHIFT);
	st->ret_insns[i] = on_rets;
	if (!on_rets) {
		s.retprobe = true;
		r = sites__push(st, cap, &s);
		goto out;
	}
	for (size_t k = 0; !r && k < rets.n; k++) {
		s.offset = p->offset + rets.off[k];
		r = sites__push(st, cap, &s);
	}
out:
	disasm_rets__free(&rets);
	return r;
}

/* The runtime functions goroutines are followed by, found in the Go executable. */
static int runtime_sites(struct site_table *st, size_t *cap, const char *go_path, char *err,
			 size_t errlen)
{
	static const struct {
		const char *func;
		uint8_t prog;
		bool rets;
	} want[] = {
		{ "runtime.newproc", SITE_GO_NEWPROC, false },
		{ "runtime.newproc1", SITE_GO_NEWPROC_RET, true },
		{ "runtime.goexit1", SITE_GO_GOEXIT, false },
		{ "runtime.gopanic", SITE_GO_PANIC, false },
	};
	struct elf_funcs fs;
	char why[256];
	int r = 0;

	if (elf_funcs__load(go_path, &fs, why, sizeof(why))) {
		snprintf(err, errlen, "cannot read symbols of %s: %s", go_path, why);
		return -1;
	}
	for (size_t w = 0; !r && w < sizeof(want) / sizeof(want[0]); w++) {
		const struct elf_func *f = NULL;
		struct site s = { .path = go_path, .probe = SITE_NO_PROBE, .prog = want[w].prog };
		struct disasm_rets rets = { 0 };

		for (size_t i = 0; i < fs.n && !f; i++)
			if (strcmp(fs.v[i].name, want[w].func) == 0)
				f = &fs.v[i];
		if (!f) {
			snprintf(err, errlen,
				 "%s has no %s: goroutines cannot be followed in it (a Go runtime "
				 "older than 1.17 or newer than spantrace knows)", go_path,
				 want[w].func);
			r = -1;
			break;
		}
		if (!want[w].rets) {
			s.offset = f->offset;
			r = sites__push(st, cap, &s);
			st->nruntime += !r;
			continue;
		}
		uint8_t *code = NULL;

		if (!f->size || disasm__read(go_path, f->offset, (size_t)f->size, &code, why, sizeof(why)) ||
		    disasm__rets(code, (size_t)f->size, f->addr, &rets, why, sizeof(why)) ||
		    !rets.n) {
			free(code);
			snprintf(err, errlen, "cannot find the RET instructions of %s in %s%s%s",
				 want[w].func, go_path, f->size ? ": " : "", f->size ? why : "");
			disasm_rets__free(&rets);
			r = -1;
			break;
		}
		free(code);
		for (size_t k = 0; !r && k < rets.n; k++) {
			s.offset = f->offset + rets.off[k];
			r = sites__push(st, cap, &s);
			st->nruntime += !r;
		}
		disasm_rets__free(&rets);
	}
	elf_funcs__free(&fs);
	return r;
}

int sites__build(const struct probe_table *pt, const char *go_path, unsigned int flags,
		 struct site_table *out, char *err, size_t errlen)
{
	size_t cap = 0;
	bool any_go = false;

	memset(out, 0, sizeof(*out));
	out->skipped = calloc(pt->n ? pt->n : 1, sizeof(*out->skipped));
	out->why = calloc(pt->n ? pt->n : 1, sizeof(*out->why));
	out->entry = calloc(pt->n ? pt->n : 1, sizeof(*out->entry));
	out->place = calloc(pt->n ? pt->n : 1, sizeof(*out->place));
	out->ret_insns = calloc(pt->n ? pt->n : 1, sizeof(*out->ret_insns));
	if (!out->skipped || !out->why || !out->entry || !out->place || !out->ret_insns)
		goto oom;
	for (size_t i = 0; i < pt->n; i++) {
		int r = probe_sites(out, &cap, pt, i, go_path, flags, err, errlen);

		if (r == -ENOMEM)
			goto oom;
		if (r)
			goto fail;
		if (go_path && !out->skipped[i] && strcmp(pt->v[i].open_path, go_path) == 0)
			any_go = true;
	}
	if (any_go) {
		int r = runtime_sites(out, &cap, go_path, err, errlen);

		out->go = true;
		if (r == -ENOMEM)
			goto oom;
		if (r)
			goto fail;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
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
	free(st->place);
	free(st->entry);
	free(st->ret_insns);
	free(st->skipped);
	free(st->v);
	memset(st, 0, sizeof(*st));
}
