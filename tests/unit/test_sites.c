/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sites: where the uprobes of each probe go, on the C and Go fixtures: entry
 * and uretprobe for C, entry after the stack check and every RET for Go, one
 * entry for each end of a pair, the Go runtime's goroutine functions, and the
 * cookies that tell the BPF side what to read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disasm.h"
#include "elfsym.h"
#include "sites.h"
#include "spantrace.h"

#define FX(name) FIXTURE_DIR "/" name

struct plan {
	struct spec specs[8];
	size_t nspecs;
	struct probe_table pt;
	struct site_table st;
	char err[512];
};

static int plan_target(struct plan *p, const char *path, const struct sites_target *tg,
		       const char *const *texts)
{
	struct target_obj obj = { .path = path, .open_path = path, .is_main = true };
	unsigned int npairs = 0;

	memset(p, 0, sizeof(*p));
	for (; *texts; texts++) {
		struct spec *s = &p->specs[p->nspecs];

		/* "+BEGIN=END" is a --span pair */
		if (**texts == '+') {
			assert_int_equal(spec__parse_pair(*texts + 1, npairs++, s, s + 1, p->err,
							  sizeof(p->err)), 0);
			p->nspecs += 2;
		} else {
			assert_int_equal(spec__parse(*texts, s, p->err, sizeof(p->err)), 0);
			p->nspecs++;
		}
	}
	assert_int_equal(resolve__specs(p->specs, p->nspecs, &obj, 1, &p->pt, p->err,
					sizeof(p->err)), 0);
	return sites__build(&p->pt, tg, &p->st, p->err, sizeof(p->err));
}

static int plan_for(struct plan *p, const char *path, bool go, const char *const *texts)
{
	struct sites_target tg = { .go_path = go ? path : NULL };

	return plan_target(p, path, &tg, texts);
}

static void plan_free(struct plan *p)
{
	sites__free(&p->st, p->pt.n);
	probe_table__free(&p->pt);
	for (size_t i = 0; i < p->nspecs; i++)
		spec__free(&p->specs[i]);
}

static size_t probe_index(const struct plan *p, const char *func)
{
	for (size_t i = 0; i < p->pt.n; i++)
		if (strcmp(p->pt.v[i].func, func) == 0)
			return i;
	fail_msg("no probe %s", func);
	return 0;
}

/* The sites of probe i with program prog, in order. */
static size_t sites_of(const struct plan *p, size_t i, int prog, const struct site **out,
		       size_t max)
{
	size_t n = 0;

	for (size_t k = 0; k < p->st.n; k++)
		if (p->st.v[k].probe == i && p->st.v[k].prog == prog && n < max)
			out[n++] = &p->st.v[k];
	return n;
}

static void test_c_function_and_pair(void **state)
{
	static const char *const specs[] = { "fx_alpha", "+fx_beta:name=arg0=fx_gamma", NULL };
	const struct site *s[4];
	struct plan p;
	size_t a, b, g;

	assert_int_equal(plan_for(&p, FX("fx_pie"), false, specs), 0);
	a = probe_index(&p, "fx_alpha");
	b = probe_index(&p, "fx_beta");
	g = probe_index(&p, "fx_gamma");
	assert_int_equal(p.st.n, 4);
	assert_false(p.st.go);
	assert_int_equal(p.st.nskipped, 0);
	/* a C function: entry, and a uretprobe at the same offset */
	assert_int_equal(sites_of(&p, a, SITE_ENTER, s, 4), 1);
	assert_int_equal(s[0]->offset, p.pt.v[a].offset);
	assert_false(s[0]->retprobe);
	assert_int_equal(s[0]->cookie, a);
	assert_int_equal(sites_of(&p, a, SITE_EXIT, s, 4), 1);
	assert_true(s[0]->retprobe);
	assert_int_equal(s[0]->offset, p.pt.v[a].offset);
	assert_int_equal(s[0]->cost, SITE_COST_URETPROBE);
	/* a pair: BEGIN's entry reads the name from arg0, END's entry closes; neither a frame */
	assert_int_equal(sites_of(&p, b, SITE_ENTER_NAMED, s, 4), 1);
	assert_int_equal(s[0]->cookie, b | ST_CK_NOSDEPTH | (1ull << ST_CK_ARG_SHIFT));
	assert_int_equal(sites_of(&p, g, SITE_EXIT, s, 4), 1);
	assert_false(s[0]->retprobe);
	assert_int_equal(s[0]->cookie, g | ST_CK_NOSDEPTH);
	plan_free(&p);

	/* a C string argument beyond the registers */
	static const char *const bad[] = { "fx_alpha:name=arg6", NULL };
	assert_int_equal(plan_for(&p, FX("fx_pie"), false, bad), -1);
	assert_string_equal(p.err, "fx_alpha: name=arg6 is out of range: C functions receive arg0 "
				   "to arg5 in registers (x86-64 SysV), later ones on the stack");
	plan_free(&p);
}

static void expect_rets(const struct plan *p, size_t i, const char *path, uint32_t body)
{
	const struct probe *pr = &p->pt.v[i];
	const struct site *s[16];
	struct disasm_rets rets;
	uint8_t *code;
	char err[256];
	size_t n;

	assert_int_equal(disasm__read(path, pr->offset, pr->size, &code, err, sizeof(err)), 0);
	assert_int_equal(disasm__rets(code, pr->size, pr->addr, &rets, err, sizeof(err)), 0);
	assert_true(rets.n >= 1);
	n = sites_of(p, i, SITE_EXIT, s, 16);
	assert_int_equal(n, rets.n);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(s[k]->offset, pr->offset + rets.off[k]);
		assert_false(s[k]->retprobe);
		assert_int_equal(s[k]->cookie, i | ST_CK_GO);
		assert_int_equal(code[rets.off[k]], 0xc3);
	}
	/* the entry probe is on the jbe of "cmp 0x10(%r14),%rsp; jbe" if there is one */
	n = sites_of(p, i, SITE_ENTER, s, 16) + sites_of(p, i, SITE_ENTER_NAMED, s, 16);
	assert_int_equal(n, 1);
	assert_int_equal(p->st.entry[i], body);
	assert_int_equal(s[0]->offset, pr->offset + body);
	disasm_rets__free(&rets);
	free(code);
}

static void test_go_functions(void **state)
{
	static const char *const specs[] = { "main.alpha", "main.beta:name=arg0",
					     "+main.gamma=main.main.func1", "main.nev*", NULL };
	const struct site *s[4];
	struct plan p;
	size_t b, g, f, nv;
	int progs[SITE_NPROGS] = { 0 };

	assert_int_equal(plan_for(&p, FX("fx_go"), true, specs), 0);
	/* a leaf without a stack check whose first instruction writes rax, Go's arg0 */
	expect_rets(&p, probe_index(&p, "main.alpha"), FX("fx_go"), 0);
	expect_rets(&p, probe_index(&p, "main.beta"), FX("fx_go"), 4);
	b = probe_index(&p, "main.beta");
	assert_int_equal(sites_of(&p, b, SITE_ENTER_NAMED, s, 4), 1);
	assert_int_equal(s[0]->cookie, b | ST_CK_GO | (1ull << ST_CK_ARG_SHIFT));
	assert_int_equal(s[0]->offset, p.pt.v[b].offset + 4);
	assert_non_null(strstr(p.st.place[b], "jbe"));
	/* the instruction under the entry probe, as -v and --list show it */
	assert_int_equal(strncmp(p.st.entry_insn[b].text, "jbe 0x", 6), 0);
	assert_non_null(strstr(p.st.place[b], p.st.entry_insn[b].text));
	assert_int_equal(p.st.entry_insn[b].cost, DISASM_EMULATED);
	/* pair ends on Go: entry only (after the check), with the goroutine, without depth */
	g = probe_index(&p, "main.gamma");
	f = probe_index(&p, "main.main.func1");
	assert_int_equal(sites_of(&p, g, SITE_ENTER, s, 4), 1);
	assert_int_equal(s[0]->cookie, g | ST_CK_GO | ST_CK_NOSDEPTH);
	assert_int_equal(s[0]->offset, p.pt.v[g].offset + 6); /* after the jbe */
	assert_true(p.st.entry_insn[g].size > 0);
	assert_int_equal(sites_of(&p, g, SITE_EXIT, s, 4), 0);
	assert_int_equal(sites_of(&p, f, SITE_EXIT, s, 4), 1);
	assert_int_equal(s[0]->cookie, f | ST_CK_GO | ST_CK_NOSDEPTH);
	/* never() has no RET: skipped, with the reason */
	nv = probe_index(&p, "main.never");
	assert_true(p.st.skipped[nv]);
	assert_int_equal(p.st.nskipped, 1);
	assert_non_null(strstr(p.st.why[nv], "it has no RET instruction"));
	for (size_t k = 0; k < p.st.n; k++)
		assert_int_not_equal(p.st.v[k].probe, nv);
	/* the runtime's goroutine functions: newproc, newproc1's RETs, goexit1, gopanic */
	assert_true(p.st.go);
	for (size_t k = 0; k < p.st.n; k++)
		if (p.st.v[k].probe == SITE_NO_PROBE)
			progs[p.st.v[k].prog]++;
	assert_int_equal(progs[SITE_GO_NEWPROC], 1);
	assert_true(progs[SITE_GO_NEWPROC_RET] >= 1);
	assert_int_equal(progs[SITE_GO_GOEXIT], 1);
	assert_int_equal(progs[SITE_GO_PANIC], 1);
	assert_int_equal(p.st.nruntime, 3 + progs[SITE_GO_NEWPROC_RET]);
	plan_free(&p);

	/* the same table without goroutine offsets is planned as C: uretprobes */
	static const char *const one[] = { "main.alpha", NULL };
	assert_int_equal(plan_for(&p, FX("fx_go"), false, one), 0);
	assert_int_equal(p.st.n, 2);
	assert_true(p.st.v[1].retprobe);
	assert_false(p.st.go);
	plan_free(&p);

	/* a Go string is two words: it cannot start at the last register */
	static const char *const bad[] = { "main.beta:name=arg8", NULL };
	assert_int_equal(plan_for(&p, FX("fx_go"), true, bad), -1);
	assert_non_null(strstr(p.err, "main.beta: name=arg8 is out of range: a Go string is two "
				      "words"));
	plan_free(&p);
}

/* The file offsets of probe i's sites with program prog, in order. */
static size_t offsets_of(const struct plan *p, size_t i, int prog, uint64_t *out, size_t max)
{
	const struct site *s[16];
	size_t n = sites_of(p, i, prog, s, 16);

	for (size_t k = 0; k < n && k < max; k++)
		out[k] = s[k]->offset;
	return n;
}

/*
 * A process that can unwind exceptions: C returns on their instructions
 * (RETs, tail jumps, the cold part's RETs; a jump into the cold part is not
 * a way out), with the stack pointer; a function that is only a RET has one
 * probe that begins and ends its span; one whose only way out is an
 * indirect jump is refused, as a uretprobe would not be safe there; the
 * unwinder's entry points are probed, with their kind in the cookie.
 */
static void test_c_where_exceptions_unwind(void **state)
{
	static const char *const specs[] = { "fx_ret_only", "fx_tail", "fx_split", "fx_indirect",
					     NULL };
	const char *const unwinder[] = { FX("libfx_asm.so") };
	struct sites_target tg = { .unwinds = true, .unwinder_paths = unwinder,
				   .nunwinder_paths = 1 };
	const struct site *s[8];
	uint64_t off[8];
	struct plan p;
	size_t r, t, sp, ind, kinds[3] = { 0 };

	assert_int_equal(plan_target(&p, FX("libfx_asm.so"), &tg, specs), 0);
	r = probe_index(&p, "fx_ret_only");
	t = probe_index(&p, "fx_tail");
	sp = probe_index(&p, "fx_split");
	ind = probe_index(&p, "fx_indirect");
	/* fx_ret_only: one site, the entry, which also ends the span */
	assert_int_equal(sites_of(&p, r, SITE_ENTER, s, 8), 1);
	assert_int_equal(s[0]->cookie, r | ST_CK_SP | ST_CK_ALSO_END);
	assert_string_equal(p.st.entry_insn[r].text, "ret");
	assert_int_equal(p.st.entry_insn[r].cost, DISASM_STEPPED);
	assert_int_equal(sites_of(&p, r, SITE_EXIT, s, 8), 0);
	/* fx_tail: entry at push (+0), the RET at +7 and the tail jump at +9 */
	assert_int_equal(offsets_of(&p, t, SITE_ENTER, off, 8), 1);
	assert_int_equal(off[0], p.pt.v[t].offset);
	assert_string_equal(p.st.entry_insn[t].text, "push rbp");
	assert_int_equal(p.st.entry_insn[t].cost, DISASM_EMULATED);
	assert_int_equal(offsets_of(&p, t, SITE_EXIT, off, 8), 2);
	assert_int_equal(off[0], p.pt.v[t].offset + 7);
	assert_int_equal(off[1], p.pt.v[t].offset + 9);
	assert_int_equal(sites_of(&p, t, SITE_EXIT, s, 8), 2);
	assert_int_equal(s[0]->cookie, t | ST_CK_SP);
	assert_false(s[0]->retprobe);
	/* what a hit costs, for the overhead guard: a RET, and the tail jmp is emulated */
	assert_int_equal(s[0]->cost, SITE_COST_RET);
	assert_int_equal(s[1]->cost, SITE_COST_EMULATED);
	assert_int_equal(sites_of(&p, t, SITE_ENTER, s, 8), 1);
	assert_int_equal(s[0]->cost, SITE_COST_EMULATED);
	assert_true(p.st.ret_insns[t]);
	/* fx_split: its RET at +11 and fx_split.cold's RET; the jne into the cold part is not out */
	assert_int_equal(p.pt.v[sp].cold_size, 7);
	assert_int_equal(offsets_of(&p, sp, SITE_EXIT, off, 8), 2);
	assert_int_equal(off[0], p.pt.v[sp].offset + 11);
	assert_int_equal(off[1], p.pt.v[sp].cold_offset + 6);
	assert_int_equal(p.st.nhidden[sp], 0);
	/* fx_indirect: no way out a probe sees, and no uretprobe where exceptions unwind */
	assert_true(p.st.skipped[ind]);
	assert_string_equal(p.st.skip_kind[ind], "with no RET or tail jump to probe");
	assert_non_null(strstr(p.st.why[ind], "a uretprobe would end it in std::terminate"));
	assert_int_equal(p.st.nskipped, 1);
	/* the unwinder's entry points: their kind is the cookie */
	for (size_t k = 0; k < p.st.n; k++)
		if (p.st.v[k].prog == SITE_UNWIND)
			kinds[p.st.v[k].cookie]++;
	assert_int_equal(p.st.nunwind, 3);
	assert_int_equal(kinds[ST_UNWIND_THROW], 1);
	assert_int_equal(kinds[ST_UNWIND_CATCH], 1);
	assert_int_equal(kinds[ST_UNWIND_CLEANUP], 1);
	plan_free(&p);

	/* without exceptions: uretprobes, no stack pointer, no unwinder sites */
	assert_int_equal(plan_for(&p, FX("libfx_asm.so"), false, specs), 0);
	assert_int_equal(sites_of(&p, probe_index(&p, "fx_indirect"), SITE_EXIT, s, 8), 1);
	assert_true(s[0]->retprobe);
	assert_int_equal(s[0]->cookie, probe_index(&p, "fx_indirect"));
	assert_int_equal(p.st.nunwind, 0);
	plan_free(&p);
}

/* A function whose first instruction the kernel emulates wrongly has no site at all. */
static void test_misemulated_instruction(void **state)
{
	static const char *const specs[] = { "fx_*", NULL };
	const struct site *s[4];
	struct plan p;
	size_t x;

	assert_int_equal(plan_for(&p, FX("libfx_asm.so"), false, specs), 0);
	x = probe_index(&p, "fx_xchg_r8");
	assert_true(p.st.skipped[x]);
	assert_int_equal(p.st.nskipped, 1);
	assert_string_equal(p.st.skip_kind[x], "on an instruction the kernel emulates wrongly");
	assert_string_equal(p.st.why[x], "its instruction at +0, 49 90 (xchg with r8) is an "
					 "instruction the kernel's uprobe code emulates as a nop: a "
					 "probe there would skip the exchange");
	/* the instruction its entry probe would have sat on */
	assert_string_equal(p.st.entry_insn[x].text, "xchg rax, r8");
	assert_int_equal(p.st.entry_insn[x].size, 2);
	/* its sites stay in the table, unattached: uprobes attach no site of a skipped probe */
	assert_int_equal(sites_of(&p, x, SITE_ENTER, s, 4), 1);
	assert_int_equal(s[0]->offset, p.pt.v[x].offset);
	/* a reason found outside the code stands before the code's; counted once */
	assert_int_equal(sites__refuse(&p.st, x, "elsewhere", "a reason from outside"), 0);
	assert_int_equal(p.st.nskipped, 1);
	assert_string_equal(p.st.why[x], "a reason from outside");
	assert_string_equal(p.st.skip_kind[x], "elsewhere");
	assert_int_equal(sites__refuse(&p.st, probe_index(&p, "fx_tail"), "elsewhere", "too"), 0);
	assert_int_equal(p.st.nskipped, 2);
	assert_true(p.st.skipped[probe_index(&p, "fx_tail")]);
	/* the cold fragment is not a function of its own */
	for (size_t i = 0; i < p.pt.n; i++)
		assert_string_not_equal(p.pt.v[i].func, "fx_split.cold");
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_function_and_pair),
		cmocka_unit_test(test_go_functions),
		cmocka_unit_test(test_c_where_exceptions_unwind),
		cmocka_unit_test(test_misemulated_instruction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
