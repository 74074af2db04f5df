/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * disasm: RET sites of hand-assembled x86-64 function bodies, and of real
 * functions read from the ELF fixtures (FIXTURE_DIR).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disasm.h"
#include "elfsym.h"

#define FX(name) FIXTURE_DIR "/" name
#define BASE 0x401000ull

/* code[] has exactly the RETs at want[0..nwant), in order. */
static void assert_rets(const uint8_t *code, size_t len, const uint32_t *want, size_t nwant)
{
	struct disasm_rets r;
	char err[256] = "x";
	size_t i;
	int ret;

	ret = disasm__rets(code, len, BASE, &r, err, sizeof(err));
	if (ret)
		print_error("disasm__rets: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
	if (r.n != nwant) {
		for (i = 0; i < r.n; i++)
			print_error("ret at 0x%x\n", r.off[i]);
	}
	assert_int_equal(r.n, nwant);
	for (i = 0; i < nwant; i++)
		assert_int_equal(r.off[i], want[i]);
	if (!nwant)
		assert_null(r.off);
	disasm_rets__free(&r);
	assert_null(r.off);
	assert_int_equal(r.n, 0);
	disasm_rets__free(&r);
}

#define ASSERT_RETS(code, ...)                                                         \
	do {                                                                           \
		static const uint32_t want_[] = { __VA_ARGS__ };                       \
		assert_rets(code, sizeof(code), want_, sizeof(want_) / sizeof(want_[0])); \
	} while (0)
#define ASSERT_NO_RETS(code) assert_rets(code, sizeof(code), NULL, 0)

/*
 * What the Go compiler emits for a function with a frame: the stack-bound
 * check against g (R14) branches to a morestack call at the end, which jumps
 * back to the start. The one RET sits before that tail; C3 bytes inside a
 * mov immediate and a call displacement are not RETs; INT3 pads the end.
 */
static const uint8_t go_func[] = {
	0x49, 0x3b, 0x66, 0x10,		/* 00 cmp 0x10(%r14),%rsp */
	0x76, 0x18,			/* 04 jbe 0x1e */
	0x55,				/* 06 push %rbp */
	0x48, 0x89, 0xe5,		/* 07 mov %rsp,%rbp */
	0x48, 0x83, 0xec, 0x10,		/* 0a sub $0x10,%rsp */
	0xb8, 0xc3, 0x00, 0x00, 0x00,	/* 0e mov $0xc3,%eax */
	0x48, 0x89, 0x44, 0x24, 0x08,	/* 13 mov %rax,0x8(%rsp) */
	0x48, 0x83, 0xc4, 0x10,		/* 18 add $0x10,%rsp */
	0x5d,				/* 1c pop %rbp */
	0xc3,				/* 1d ret */
	0xe8, 0xc3, 0xff, 0xff, 0xff,	/* 1e call runtime.morestack_noctxt */
	0xeb, 0xdb,			/* 23 jmp 0x00 */
	0xcc, 0xcc, 0xcc, 0xcc, 0xcc,	/* 25 int3 padding */
};

static void test_go_func(void **state)
{
	ASSERT_RETS(go_func, 0x1d);
}

/* Early return: if (!x) return 0; return 1; */
static const uint8_t two_rets[] = {
	0x48, 0x85, 0xff,		/* 00 test %rdi,%rdi */
	0x74, 0x06,			/* 03 je 0x0b */
	0xb8, 0x01, 0x00, 0x00, 0x00,	/* 05 mov $1,%eax */
	0xc3,				/* 0a ret */
	0x31, 0xc0,			/* 0b xor %eax,%eax */
	0xc3,				/* 0d ret */
};

static void test_two_rets(void **state)
{
	ASSERT_RETS(two_rets, 0x0a, 0x0d);
}

static const uint8_t ret_imm16[] = {
	0x55,				/* 00 push %rbp */
	0x5d,				/* 01 pop %rbp */
	0xc2, 0x08, 0x00,		/* 02 ret $8 */
	0xcc,				/* 05 int3 */
};

static void test_ret_imm16(void **state)
{
	ASSERT_RETS(ret_imm16, 0x02);
}

/* "rep ret", the AMD branch-predictor idiom: one RET at the prefix. */
static const uint8_t rep_ret[] = {
	0x85, 0xff,			/* 00 test %edi,%edi */
	0x75, 0x02,			/* 02 jne 0x06 */
	0xf3, 0xc3,			/* 04 rep ret */
	0x89, 0xf8,			/* 06 mov %edi,%eax */
	0xc3,				/* 08 ret */
};

static void test_rep_ret(void **state)
{
	ASSERT_RETS(rep_ret, 0x04, 0x08);
}

/* Ends in a tail call; the jump's displacement holds C3 bytes. */
static const uint8_t tail_call[] = {
	0x55,				/* 00 push %rbp */
	0x48, 0x89, 0xe5,		/* 01 mov %rsp,%rbp */
	0x5d,				/* 04 pop %rbp */
	0xe9, 0xc3, 0xc3, 0x00, 0x00,	/* 05 jmp rel32 */
};

static void test_tail_call(void **state)
{
	struct disasm_rets r;
	char err[64];

	ASSERT_NO_RETS(tail_call);
	assert_int_equal(disasm__rets(tail_call, sizeof(tail_call), BASE, &r, err, sizeof(err)), 0);
	assert_int_equal(r.ntail, 1);
	assert_int_equal(r.tail[0], 0x05);
	assert_int_equal(r.nhidden, 0);
	disasm_rets__free(&r);
	assert_null(r.tail);
}

/*
 * Ways out of a function besides RET: a direct jmp out of it (a tail call,
 * probed like a RET), a conditional jump out and an indirect jmp (which no
 * probe can tell from staying: counted), and jumps inside it (nothing).
 */
static const uint8_t exits[] = {
	0x48, 0x85, 0xff,		/* 00 test %rdi,%rdi */
	0x74, 0x0e,			/* 03 je 0x13 (inside) */
	0x0f, 0x85, 0x00, 0x10, 0x00, 0x00, /* 05 jne +0x1000 (out: hidden) */
	0xff, 0xe0,			/* 0b jmp *%rax (hidden) */
	0xe9, 0x00, 0x20, 0x00, 0x00,	/* 0d jmp +0x2000 (out: tail call) */
	0xeb, 0xec,			/* 12 jmp 0x00 (inside: a loop) */
	0xc3,				/* 14 ret */
	0xeb, 0x80,			/* 15 jmp -0x80 (out, backwards: tail call) */
};

static void test_exits(void **state)
{
	struct disasm_rets r;
	char err[64];

	assert_int_equal(disasm__rets(exits, sizeof(exits), BASE, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.off[0], 0x14);
	assert_int_equal(r.ntail, 2);
	assert_int_equal(r.tail[0], 0x0d);
	assert_int_equal(r.tail[1], 0x15);
	assert_int_equal(r.nhidden, 2);
	disasm_rets__free(&r);
}

static const uint8_t c3_in_imm[] = {
	0xb8, 0xc3, 0x00, 0x00, 0x00,	/* 00 mov $0xc3,%eax */
	0x89, 0xc3,			/* 05 mov %eax,%ebx (ModRM C3) */
	0x48, 0xc7, 0xc1, 0xc3, 0xc3, 0xc3, 0xc3, /* 07 mov $0xc3c3c3c3... ,%rcx */
	0x0f, 0x0b,			/* 0e ud2 */
};

static void test_c3_inside_insn(void **state)
{
	ASSERT_NO_RETS(c3_in_imm);
}

/* Far returns and interrupt returns leave the function, but are not RET. */
static const uint8_t far_rets[] = {
	0xcb,				/* 00 retf */
	0xca, 0x08, 0x00,		/* 01 retf $8 */
	0xcf,				/* 04 iret */
	0x48, 0xcf,			/* 05 iretq */
	0xc3,				/* 07 ret */
};

static void test_far_rets(void **state)
{
	ASSERT_RETS(far_rets, 0x07);
}

/* An undecodable byte is skipped; the sweep goes on after it. */
static const uint8_t bad_byte[] = {
	0x31, 0xc0,			/* 00 xor %eax,%eax */
	0x06,				/* 02 (push %es: invalid in 64-bit mode) */
	0xc3,				/* 03 ret */
	0x06, 0x06,			/* 04 invalid x 2 */
};

static void test_undecodable(void **state)
{
	ASSERT_RETS(bad_byte, 0x03);
}

static void test_empty(void **state)
{
	static const uint8_t one[] = { 0xc3 };
	struct disasm_rets r;
	char err[64] = "x";

	assert_int_equal(disasm__rets(one, 0, BASE, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 0);
	assert_null(r.off);
	assert_string_equal(err, "");
	/* No code at all is fine when there is nothing to read. */
	assert_int_equal(disasm__rets(NULL, 0, BASE, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 0);
	disasm_rets__free(&r);
	disasm_rets__free(NULL);
	/* A lone RET at the very start, and no error buffer at all. */
	assert_int_equal(disasm__rets(one, 1, 0, &r, NULL, 0), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.off[0], 0);
	disasm_rets__free(&r);
}

/* Many RETs: the offsets array grows past its first allocation. */
static void test_many(void **state)
{
	uint8_t code[3000];
	struct disasm_rets r;
	char err[64];
	size_t i;

	for (i = 0; i < sizeof(code); i++)
		code[i] = i % 3 == 2 ? 0xc3 : 0x90;
	assert_int_equal(disasm__rets(code, sizeof(code), BASE, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 1000);
	for (i = 0; i < r.n; i++)
		assert_int_equal(r.off[i], 3 * i + 2);
	disasm_rets__free(&r);
}

static void test_limits(void **state)
{
	size_t big = DISASM_MAX_LEN + 1;
	uint8_t *code = calloc(big, 1);
	struct disasm_rets r;
	char err[128];

	assert_non_null(code);
	/* Exactly the limit is accepted: 1 MiB of "add %al,(%rax)" (00 00). */
	code[DISASM_MAX_LEN - 1] = 0xc3;
	code[DISASM_MAX_LEN - 2] = 0x90;
	assert_int_equal(disasm__rets(code, DISASM_MAX_LEN, BASE, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.off[0], DISASM_MAX_LEN - 1);
	disasm_rets__free(&r);

	assert_int_equal(disasm__rets(code, big, BASE, &r, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "too large"));
	assert_null(r.off);
	assert_int_equal(r.n, 0);
	free(code);

	assert_int_equal(disasm__rets(NULL, 4, BASE, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(r.n, 0);
	assert_int_equal(disasm__rets(go_func, sizeof(go_func), UINT64_MAX - 4, &r, err,
				      sizeof(err)), -EINVAL);
	assert_int_equal(r.n, 0);
}

static void test_read_fixture(void **state)
{
	uint8_t *buf = NULL;
	char err[256] = "x";

	assert_int_equal(disasm__read(FX("fx_pie"), 0, 16, &buf, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(buf);
	assert_memory_equal(buf, "\177ELF", 4);
	free(buf);

	assert_int_equal(disasm__read(FX("fx_pie"), 1, 0, &buf, err, sizeof(err)), 0);
	assert_non_null(buf);
	free(buf);
}

/*
 * Real compiled functions, end to end with elfsym: each fixture function at
 * -O1 returns through a RET at its last byte, and every reported offset holds
 * a RET opcode (possibly prefixed).
 */
static void test_fixture_funcs(void **state)
{
	static const char *const names[] = { "fx_alpha", "fx_beta", "fx_gamma" };
	struct elf_funcs f;
	char err[256];
	size_t i, j, k;

	assert_int_equal(elf_funcs__load(FX("fx_pie"), &f, err, sizeof(err)), 0);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const struct elf_func *fn = NULL;
		struct disasm_rets r;
		uint8_t *code;

		for (i = 0; i < f.n; i++)
			if (!strcmp(f.v[i].name, names[k]))
				fn = &f.v[i];
		assert_non_null(fn);
		assert_true(fn->size > 0);
		assert_int_equal(disasm__read(FX("fx_pie"), fn->offset, fn->size, &code, err,
					      sizeof(err)), 0);
		assert_int_equal(disasm__rets(code, fn->size, fn->addr, &r, err, sizeof(err)), 0);
		assert_true(r.n >= 1);
		assert_int_equal(r.off[r.n - 1], fn->size - 1);
		for (j = 0; j < r.n; j++) {
			uint8_t op = code[r.off[j]];

			if (op == 0xf3 || op == 0xf2)
				op = code[r.off[j] + 1];
			assert_true(op == 0xc3 || op == 0xc2);
			if (j)
				assert_true(r.off[j] > r.off[j - 1]);
		}
		disasm_rets__free(&r);
		free(code);
	}
	elf_funcs__free(&f);
}

static void test_read_errors(void **state)
{
	uint8_t *buf = (uint8_t *)&buf;
	char err[512];

	assert_int_equal(disasm__read(FX("no_such_file"), 0, 16, &buf, err, sizeof(err)),
			 -ENOENT);
	assert_null(buf);
	assert_non_null(strstr(err, FX("no_such_file")));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_null(strchr(err, '\n'));

	/* Past the end of the file: a short read is an error, not zeros. */
	assert_int_equal(disasm__read(FX("fx_notelf"), 4, 64, &buf, err, sizeof(err)), -EIO);
	assert_null(buf);
	assert_non_null(strstr(err, FX("fx_notelf")));

	assert_int_equal(disasm__read(FX("fx_pie"), 0, DISASM_MAX_LEN + 1, &buf, err,
				      sizeof(err)), -E2BIG);
	assert_null(buf);
	assert_non_null(strstr(err, FX("fx_pie")));
	assert_int_equal(disasm__read(FX("fx_pie"), UINT64_MAX - 2, 16, &buf, err, sizeof(err)),
			 -EINVAL);
	assert_null(buf);

	/* A directory opens, but does not read. */
	assert_int_equal(disasm__read(FIXTURE_DIR, 0, 16, &buf, err, sizeof(err)), -EISDIR);
	assert_null(buf);
	assert_non_null(strstr(err, FIXTURE_DIR));
}

/* A big Go frame: the new stack pointer is computed in r12 and checked twice. */
static const uint8_t go_big_frame[] = {
	0x49, 0x89, 0xe4,			/* 00 mov %rsp,%r12 */
	0x49, 0x81, 0xec, 0xa0, 0x3f, 0x00, 0x00, /* 03 sub $0x3fa0,%r12 */
	0x0f, 0x82, 0x96, 0x00, 0x00, 0x00,	/* 0a jb */
	0x4d, 0x3b, 0x66, 0x10,			/* 10 cmp 0x10(%r14),%r12 */
	0x0f, 0x86, 0x8c, 0x00, 0x00, 0x00,	/* 14 jbe */
	0x48, 0x81, 0xec, 0x20, 0x40, 0x00, 0x00, /* 1a sub $0x4020,%rsp */
};

/* The check compares something other than g.stackguard0: not a stack check. */
static const uint8_t not_stackguard[] = {
	0x49, 0x3b, 0x66, 0x18,		/* 00 cmp 0x18(%r14),%rsp */
	0x76, 0x18,			/* 04 jbe */
	0x55,				/* 06 push %rbp */
};

/* An argument register written before the check: the probe may not move past it. */
static const uint8_t writes_arg[] = {
	0x48, 0x89, 0xe0,		/* 00 mov %rsp,%rax */
	0x49, 0x3b, 0x66, 0x10,		/* 03 cmp 0x10(%r14),%rsp */
	0x76, 0x18,			/* 07 jbe */
};

/* Where a Go function's body starts: after its stack check, or 0 without one. */
static void test_go_body(void **state)
{
	static const uint8_t leaf[] = { 0x48, 0x8d, 0x04, 0x37, 0xc3 }; /* lea (%rdi,%rsi),%rax; ret */

	assert_int_equal(disasm__go_body(go_func, sizeof(go_func)), 0x06);
	assert_int_equal(disasm__go_body(go_big_frame, sizeof(go_big_frame)), 0x1a);
	assert_int_equal(disasm__go_body(not_stackguard, sizeof(not_stackguard)), 0);
	assert_int_equal(disasm__go_body(writes_arg, sizeof(writes_arg)), 0);
	assert_int_equal(disasm__go_body(leaf, sizeof(leaf)), 0);
	/* cut inside the jbe: no complete check */
	assert_int_equal(disasm__go_body(go_func, 5), 0);
	assert_int_equal(disasm__go_body(NULL, 0), 0);
}

static void expect_entry(const uint8_t *code, size_t len, bool go, uint32_t off, int cost,
			 const char *why)
{
	struct disasm_place pl;

	assert_int_equal(disasm__entry(code, len, go, &pl), 0);
	if (pl.off != off || pl.cost != cost || !strstr(pl.why, why))
		fail_msg("got +%u cost %d '%s', want +%u cost %d '%s'", pl.off, pl.cost, pl.why,
			 off, cost, why);
}

/* Where an entry probe costs least, and never past anything that changes the arguments. */
static void test_entry_placement(void **state)
{
	static const uint8_t cet_push[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5, 0xc3 };
	static const uint8_t push[] = { 0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3 };
	static const uint8_t lea_ret[] = { 0x48, 0x8d, 0x04, 0x37, 0xc3 };
	static const uint8_t cet_lea_ret[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x8d, 0x04, 0x37,
					       0xc3 };
	static const uint8_t xor_push[] = { 0x31, 0xc0, 0x53, 0x5b, 0xc3 };
	static const uint8_t writes_arg[] = { 0x48, 0x63, 0xf7, 0x55, 0x5d, 0xc3 };
	static const uint8_t writes_mem[] = { 0x48, 0x89, 0x7c, 0x24, 0xf8, 0x55, 0x5d, 0xc3 };
	static const uint8_t moves_sp[] = { 0x48, 0x83, 0xec, 0x18, 0x55, 0x5d, 0xc3 };
	static const uint8_t cet_nop5[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x1f, 0x44, 0x00, 0x00,
					    0x55, 0x5d, 0xc3 };
	/* endbr64; push rbp; pop rbp; jmp +4 (back to the push): a loop through the push */
	static const uint8_t back_edge[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x5d, 0xeb, 0xfc, 0xc3 };
	static const uint8_t go_leaf[] = { 0x48, 0x8d, 0x04, 0x40, 0xc3 };
	static const uint8_t go_r12[] = { 0x49, 0x89, 0xe4, 0x49, 0x83, 0xec, 0x10, 0x72, 0x10,
					  0xc3 };

	expect_entry(cet_push, sizeof(cet_push), false, 4, DISASM_EMULATED,
		     "push rbp: the kernel emulates it (one trap, no single-step) "
		     "(stepped over endbr64)");
	expect_entry(push, sizeof(push), false, 0, DISASM_EMULATED, "push rbp");
	/* lea only writes rax, but what follows is the ret: nothing cheap to reach */
	expect_entry(lea_ret, sizeof(lea_ret), false, 0, DISASM_STEPPED,
		     "lea rax, [rdi + rsi]: the kernel single-steps it out of line; nothing cheaper "
		     "can be reached: ret  changes the flow of control");
	expect_entry(cet_lea_ret, sizeof(cet_lea_ret), false, 0, DISASM_STEPPED, "endbr64");
	expect_entry(xor_push, sizeof(xor_push), false, 2, DISASM_EMULATED, "push rbx");
	expect_entry(writes_arg, sizeof(writes_arg), false, 0, DISASM_STEPPED, "writes rsi");
	expect_entry(writes_mem, sizeof(writes_mem), false, 0, DISASM_STEPPED, "writes memory");
	expect_entry(moves_sp, sizeof(moves_sp), false, 0, DISASM_STEPPED,
		     "writes rsp (the stack pointer)");
	expect_entry(cet_nop5, sizeof(cet_nop5), false, 4, DISASM_OPTIMIZED, "5-byte nop");
	expect_entry(back_edge, sizeof(back_edge), false, 0, DISASM_STEPPED,
		     "a branch in the function jumps back to +4");
	/* Go: on the stack check's jbe; rax is an argument there, r12 is not */
	expect_entry(go_func, sizeof(go_func), true, 4, DISASM_EMULATED,
		     "(stepped over cmp)");
	expect_entry(go_big_frame, sizeof(go_big_frame), true, 0x0a, DISASM_EMULATED,
		     "(stepped over mov, sub)");
	expect_entry(go_leaf, sizeof(go_leaf), true, 0, DISASM_STEPPED, "writes rax");
	/* the same r12 code as C: r12 is callee-saved there, not scratch */
	expect_entry(go_r12, sizeof(go_r12), true, 7, DISASM_EMULATED, "jb");
	expect_entry(go_r12, sizeof(go_r12), false, 0, DISASM_STEPPED, "writes r12");
}


/* One instruction as messages write it, and the cost disasm__entry weighs it by. */
static void expect_insn(const uint8_t *code, size_t len, uint64_t addr, int ret, int cost,
			unsigned int size, const char *text)
{
	struct disasm_insn in;

	assert_int_equal(disasm__describe(code, len, addr, &in), ret);
	assert_int_equal(in.cost, cost);
	assert_int_equal(in.size, size);
	assert_string_equal(in.text, text);
}

static void test_describe(void **state)
{
	static const uint8_t nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0xc3 };
	static const uint8_t jbe[] = { 0x0f, 0x86, 0x10, 0x00, 0x00, 0x00 };
	static const uint8_t cet[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55 };
	static const uint8_t xchg_r8[] = { 0x49, 0x90 };
	static const uint8_t bad[] = { 0x06, 0xc3 }; /* push %es: invalid in 64-bit mode */

	expect_insn(nop5, sizeof(nop5), 0, 0, DISASM_OPTIMIZED, 5, "nop dword ptr [rax + rax]");
	expect_insn((const uint8_t[]){ 0x55 }, 1, 0, 0, DISASM_EMULATED, 1, "push rbp");
	/* a branch's target counts from the address given: here the offset in the function */
	expect_insn(jbe, sizeof(jbe), 4, 0, DISASM_EMULATED, 6, "jbe 0x1a");
	expect_insn(cet, sizeof(cet), 0, 0, DISASM_STEPPED, 4, "endbr64");
	/* what the kernel makes of it is disasm__probe_safe's to say */
	expect_insn(xchg_r8, sizeof(xchg_r8), 0, 0, DISASM_STEPPED, 2, "xchg rax, r8");
	expect_insn(bad, sizeof(bad), 0, -EINVAL, DISASM_STEPPED, 0, "(undecodable)");
	expect_insn(NULL, 0, 0, -EINVAL, DISASM_STEPPED, 0, "(undecodable)");
	/* cut short: the bytes of a whole instruction are not there */
	expect_insn(jbe, 3, 0, -EINVAL, DISASM_STEPPED, 0, "(undecodable)");
}

/*
 * disasm__probe_safe, one case per class of instruction the kernel runs
 * under a uprobe: those it emulates rightly (nops, push, relative branches),
 * those it single-steps, and the prefixed 0x90 it emulates as a nop although
 * REX.B makes it an exchange with r8.
 */
struct insn_case {
	const char *what;
	uint8_t bytes[15];
	size_t len;
	bool safe;
};

static void test_probe_safe(void **state)
{
	static const struct insn_case cases[] = {
		{ "nop", { 0x90 }, 1, true },
		{ "xchg %ax,%ax (66 90, a 2-byte nop)", { 0x66, 0x90 }, 2, true },
		{ "pause (f3 90)", { 0xf3, 0x90 }, 2, true },
		{ "REX.W nop (48 90)", { 0x48, 0x90 }, 2, true },
		{ "REX.R/X only (44 90, 42 90)", { 0x44, 0x90 }, 2, true },
		{ "xchg %rax,%r8 (49 90)", { 0x49, 0x90 }, 2, false },
		{ "xchg %eax,%r8d (41 90)", { 0x41, 0x90 }, 2, false },
		{ "xchg %ax,%r8w (66 41 90)", { 0x66, 0x41, 0x90 }, 3, false },
		{ "REX.WRXB (4f 90)", { 0x4f, 0x90 }, 2, false },
		{ "REX not last: ignored (41 66 90)", { 0x41, 0x66, 0x90 }, 3, true },
		{ "xchg %rax,%r9 (49 91), single-stepped", { 0x49, 0x91 }, 2, true },
		{ "nopl 0x0(%rax,%rax,1) (5-byte nop)", { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5, true },
		{ "push %rbp", { 0x55 }, 1, true },
		{ "push %r12 (41 54)", { 0x41, 0x54 }, 2, true },
		{ "jmp rel8", { 0xeb, 0x10 }, 2, true },
		{ "jbe rel32", { 0x0f, 0x86, 0x10, 0x00, 0x00, 0x00 }, 6, true },
		{ "call rel32", { 0xe8, 0x00, 0x00, 0x00, 0x00 }, 5, true },
		{ "ret", { 0xc3 }, 1, true },
		{ "endbr64", { 0xf3, 0x0f, 0x1e, 0xfa }, 4, true },
		{ "mov %fs:-8,%r14 (Go's g from TLS)",
		  { 0x64, 0x4c, 0x8b, 0x34, 0x25, 0xf8, 0xff, 0xff, 0xff }, 9, true },
		{ "lock prefix (the kernel refuses it)", { 0xf0, 0x48, 0x0f, 0xb1, 0x0a }, 5, true },
		{ "truncated: a REX prefix at the end", { 0x49 }, 1, true },
		{ "empty", { 0 }, 0, true },
	};
	char why[200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct insn_case *c = &cases[i];
		bool safe;

		why[0] = 0;
		safe = disasm__probe_safe(c->bytes, c->len, why, sizeof(why));
		if (safe != c->safe)
			print_error("%s: safe=%d, want %d (%s)\n", c->what, safe, c->safe, why);
		assert_int_equal(safe, c->safe);
		if (safe)
			assert_string_equal(why, "");
	}
	disasm__probe_safe((const uint8_t[]){ 0x49, 0x90 }, 2, why, sizeof(why));
	assert_string_equal(why, "49 90 (xchg with r8) is an instruction the kernel's uprobe "
				 "code emulates as a nop: a probe there would skip the exchange");
}

/* What a hit of a probe on each kind of instruction costs, as the overhead guard calibrates it. */
static void test_cost(void **state)
{
	static const struct {
		uint8_t bytes[8];
		size_t len;
		int cost;
	} cases[] = {
		{ { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5, DISASM_OPTIMIZED }, /* nopl 0(%rax,%rax) */
		{ { 0x55 }, 1, DISASM_EMULATED },			     /* push %rbp */
		{ { 0x41, 0x57 }, 2, DISASM_EMULATED },			     /* push %r15 */
		{ { 0x90 }, 1, DISASM_EMULATED },			     /* nop */
		{ { 0x76, 0x10 }, 2, DISASM_EMULATED },			     /* jbe */
		{ { 0xe8, 0, 0, 0, 0 }, 5, DISASM_EMULATED },		     /* call */
		{ { 0xf3, 0x0f, 0x1e, 0xfa }, 4, DISASM_STEPPED },	     /* endbr64 */
		{ { 0x48, 0x89, 0xf8 }, 3, DISASM_STEPPED },		     /* mov %rdi,%rax */
		{ { 0xc3 }, 1, DISASM_RET },				     /* ret */
		{ { 0xf3, 0xc3 }, 2, DISASM_RET },			     /* rep ret */
		{ { 0xc2, 0x08, 0x00 }, 3, DISASM_RET },		     /* ret $8 */
		{ { 0x0f, 0xff }, 2, DISASM_STEPPED },			     /* undecodable */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (disasm__cost(cases[i].bytes, cases[i].len) != cases[i].cost)
			fail_msg("case %zu: cost %d, want %d", i,
				 disasm__cost(cases[i].bytes, cases[i].len), cases[i].cost);
	assert_int_equal(disasm__cost(NULL, 0), DISASM_STEPPED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_func),
		cmocka_unit_test(test_probe_safe),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_go_body),
		cmocka_unit_test(test_entry_placement),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_two_rets),
		cmocka_unit_test(test_ret_imm16),
		cmocka_unit_test(test_rep_ret),
		cmocka_unit_test(test_tail_call),
		cmocka_unit_test(test_exits),
		cmocka_unit_test(test_c3_inside_insn),
		cmocka_unit_test(test_far_rets),
		cmocka_unit_test(test_undecodable),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_read_fixture),
		cmocka_unit_test(test_fixture_funcs),
		cmocka_unit_test(test_read_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
