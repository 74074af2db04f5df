/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * listing: --list's lines, text and JSON, from the plan of real fixture code
 * (libfx_asm.so: a refused function, a RET-only one, a tail call, a cold
 * part, an indirect jump) and from hand-made tables for what no fixture has
 * (pair ends, ways out no probe sees, control characters in names).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "resolve.h"
#include "sites.h"

#define FX(name) FIXTURE_DIR "/" name

/* What listing__write writes, as one string (free it). */
static char *written(int format, const struct probe_table *pt, const struct site_table *st)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(listing__write(f, format, pt, st), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* The plan of "fx_*" in libfx_asm.so, its exceptions unwinding or not. */
static void plan_asm(bool unwinds, struct spec *s, struct probe_table *pt, struct site_table *st)
{
	const char *const unwinder[] = { FX("libfx_asm.so") };
	struct target_obj obj = { .path = "/lib/libfx_asm.so", .open_path = FX("libfx_asm.so"),
				  .is_main = true };
	struct sites_target tg = { .unwinds = unwinds, .unwinder_paths = unwinder,
				   .nunwinder_paths = unwinds };
	char err[256] = "";

	memset(pt, 0, sizeof(*pt));
	assert_int_equal(spec__parse("fx_*", s, err, sizeof(err)), 0);
	assert_int_equal(resolve__specs(s, 1, &obj, 1, pt, err, sizeof(err)), 0);
	assert_int_equal(sites__build(pt, &tg, st, err, sizeof(err)), 0);
}

static void plan_free(struct spec *s, struct probe_table *pt, struct site_table *st)
{
	sites__free(st, pt->n);
	probe_table__free(pt);
	spec__free(s);
}

#define OBJ "/lib/libfx_asm.so\t"
#define XCHG_WHY "its instruction at +0, 49 90 (xchg with r8) is an instruction the kernel's " \
		 "uprobe code emulates as a nop: a probe there would skip the exchange"
#define PUSH_WHY "push rbp: the kernel emulates it (one trap, no single-step)"
#define RET_WHY "ret: the kernel single-steps it out of line; nothing cheaper can be reached: " \
		"ret  changes the flow of control"

/* Sorted by symbol; each column as listing.h says. */
static void test_text_where_exceptions_unwind(void **state)
{
	struct probe_table pt;
	struct site_table st;
	struct spec s;
	char *text;

	plan_asm(true, &s, &pt, &st);
	text = written(LISTING_TEXT, &pt, &st);
	assert_string_equal(text,
		OBJ "fx_indirect\tfx_indirect\t0x1022\trefused\t-\t-\t-\t-\tit has no RET "
		"instruction nor tail jump (it never returns, or only through jumps no probe can "
		"tell), so its return cannot be probed on its instructions, and in a process that "
		"can unwind exceptions a uretprobe would end it in std::terminate when one passes\n"
		OBJ "fx_ret_only\tfx_ret_only\t0x100a\tok\t+0\tret\tsingle-step\texits=1\t"
		RET_WHY "\n"
		OBJ "fx_split\tfx_split\t0x1016\tok\t+0\tpush rbp\temulated\texits=2\t"
		PUSH_WHY "\n"
		OBJ "fx_tail\tfx_tail\t0x100b\tok\t+0\tpush rbp\temulated\texits=2\t" PUSH_WHY "\n"
		OBJ "fx_xchg_r8\tfx_xchg_r8\t0x1007\trefused\t-\t-\t-\t-\t" XCHG_WHY "\n");
	free(text);
	plan_free(&s, &pt, &st);
}

/* Without an unwinder: uretprobes, and fx_indirect can be traced. */
static void test_text_uretprobes(void **state)
{
	struct probe_table pt;
	struct site_table st;
	struct spec s;
	char *text;

	plan_asm(false, &s, &pt, &st);
	text = written(LISTING_TEXT, &pt, &st);
	assert_string_equal(text,
		OBJ "fx_indirect\tfx_indirect\t0x1022\tok\t+0\tpush rbp\temulated\turetprobe\t"
		PUSH_WHY "\n"
		OBJ "fx_ret_only\tfx_ret_only\t0x100a\tok\t+0\tret\tsingle-step\turetprobe\t"
		RET_WHY "\n"
		OBJ "fx_split\tfx_split\t0x1016\tok\t+0\tpush rbp\temulated\turetprobe\t"
		PUSH_WHY "\n"
		OBJ "fx_tail\tfx_tail\t0x100b\tok\t+0\tpush rbp\temulated\turetprobe\t"
		PUSH_WHY "\n"
		OBJ "fx_xchg_r8\tfx_xchg_r8\t0x1007\trefused\t-\t-\t-\t-\t" XCHG_WHY "\n");
	free(text);
	plan_free(&s, &pt, &st);
}

/* A hand-made plan of three functions: what no fixture shows. */
struct fake {
	struct probe p[3];
	struct probe_table pt;
	bool skipped[3];
	char *why[3];
	const char *skip_kind[3];
	uint32_t entry[3];
	char *place[3];
	bool ret_insns[3];
	uint32_t nexits[3], nhidden[3];
	struct disasm_insn insn[3];
	struct site_table st;
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	/* a C++ function with a hidden way out, in an object whose name holds a tab */
	f->p[0] = (struct probe){ .name = "ns::f", .func = "_ZN2ns1fEv", .object = "/a\tb.so",
				  .offset = 0x10, .role = SPEC_FUNC };
	f->ret_insns[0] = true;
	f->nexits[0] = 3;
	f->nhidden[0] = 2;
	f->entry[0] = 4;
	f->insn[0] = (struct disasm_insn){ DISASM_OPTIMIZED, 5, "nop dword ptr [rax + rax]" };
	f->place[0] = "nop: why\n";
	/* the ends of a pair; the END function's instruction was not read */
	f->p[1] = (struct probe){ .name = "b", .func = "b", .object = "/x", .offset = 0x20,
				  .role = SPEC_BEGIN };
	f->insn[1] = (struct disasm_insn){ DISASM_EMULATED, 1, "push rbp" };
	f->place[1] = "push rbp";
	f->p[2] = (struct probe){ .name = "e", .func = "e", .object = "/x", .offset = 0x30,
				  .role = SPEC_END };
	f->place[2] = "";
	f->pt = (struct probe_table){ f->p, 3 };
	f->st = (struct site_table){ .skipped = f->skipped, .why = f->why,
				     .skip_kind = f->skip_kind, .entry = f->entry,
				     .place = f->place, .ret_insns = f->ret_insns,
				     .nexits = f->nexits, .nhidden = f->nhidden,
				     .entry_insn = f->insn };
}

static void test_text_ends_hidden_escapes(void **state)
{
	struct fake f;
	char *text;

	fake_init(&f);
	text = written(LISTING_TEXT, &f.pt, &f.st);
	assert_string_equal(text,
		"/a\\x09b.so\t_ZN2ns1fEv\tns::f\t0x10\tok\t+4\tnop dword ptr [rax + rax]\t"
		"optimized\texits=3,hidden=2\tnop: why\\x0a\n"
		"/x\tb\tb\t0x20\tok\t+0\tpush rbp\temulated\tbegin\tpush rbp\n"
		"/x\te\te\t0x30\tok\t+0\t-\t-\tend\t-\n");
	free(text);
}

static void test_json(void **state)
{
	struct fake f;
	char *text;

	fake_init(&f);
	f.skipped[1] = true;
	f.why[1] = "a \"reason\"";
	text = written(LISTING_JSON, &f.pt, &f.st);
	assert_string_equal(text,
		"{\"object\":\"/a\\tb.so\",\"symbol\":\"_ZN2ns1fEv\",\"name\":\"ns::f\","
		"\"offset\":16,\"status\":\"ok\",\"entry\":4,"
		"\"instruction\":\"nop dword ptr [rax + rax]\",\"kind\":\"optimized\","
		"\"return\":\"exits\",\"exits\":3,\"hidden\":2,\"why\":\"nop: why\\n\"}\n"
		"{\"object\":\"/x\",\"symbol\":\"b\",\"name\":\"b\",\"offset\":32,"
		"\"status\":\"refused\",\"entry\":null,\"instruction\":null,\"kind\":null,"
		"\"return\":null,\"why\":\"a \\\"reason\\\"\"}\n"
		"{\"object\":\"/x\",\"symbol\":\"e\",\"name\":\"e\",\"offset\":48,"
		"\"status\":\"ok\",\"entry\":0,\"instruction\":null,\"kind\":null,"
		"\"return\":\"end\",\"why\":\"\"}\n");
	free(text);
}

/* No function: no line. A failed write shows in ferror(). */
static void test_empty_and_write_error(void **state)
{
	struct probe_table pt = { 0 };
	struct site_table st = { 0 };
	struct fake f;
	char *text = written(LISTING_TEXT, &pt, &st);
	FILE *full = fopen("/dev/full", "w");

	assert_string_equal(text, "");
	free(text);
	assert_non_null(full);
	setvbuf(full, NULL, _IONBF, 0);
	fake_init(&f);
	assert_int_equal(listing__write(full, LISTING_TEXT, &f.pt, &f.st), 0);
	assert_true(ferror(full));
	fclose(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_where_exceptions_unwind),
		cmocka_unit_test(test_text_uretprobes),
		cmocka_unit_test(test_text_ends_hidden_escapes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_empty_and_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
