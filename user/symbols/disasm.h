/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Return sites of a function's machine code (x86-64, capstone). Go functions
 * are never probed with uretprobes (the Go runtime moves and copies stacks,
 * which a hijacked return address does not survive); their returns are
 * probed at each RET instruction instead.
 */
#ifndef SPANTRACE_DISASM_H
#define SPANTRACE_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest function body disasm__rets and disasm__read accept. */
#define DISASM_MAX_LEN (1u << 20)

struct disasm_rets {
	uint32_t *off;	/* offsets from the function start, ascending */
	size_t n;
	/*
	 * Direct jmps out of the function (tail calls): at one, the frame is
	 * gone as at a RET, and the callee returns to this function's caller.
	 */
	uint32_t *tail;
	size_t ntail;
	/*
	 * Ways out no probe can see: conditional jumps out of the function (a
	 * probe on one fires whether it is taken or not) and indirect jmps
	 * (a switch's jump table, or a tail call through a pointer).
	 */
	size_t nhidden;
};

/*
 * Offsets (relative to the function start) of every RET instruction in
 * code[0..len), found by linear-sweep disassembly (x86-64) of the function
 * body; addr is the function's address, used only as capstone's base.
 *
 * A RET is C3, C2 imm16 and their prefixed forms (F3 C3 "rep ret", F2 C3
 * "bnd ret"); far returns (RETF) and IRET are not. Direct jmps to a target
 * outside code[0..len) go to tail[], and the exits no probe can see are
 * counted in nhidden. A byte that does not
 * decode is skipped and the sweep goes on at the next byte; INT3 padding
 * after the last instruction decodes as INT3 and counts as nothing.
 *
 * Returns 0 (out->off is NULL when out->n is 0), or a negative errno with a
 * one-line reason in err: -E2BIG when len > DISASM_MAX_LEN, -EINVAL for
 * NULL code with a non-zero len, -ENOMEM, -EIO when capstone fails to open.
 */
int disasm__rets(const uint8_t *code, size_t len, uint64_t addr, struct disasm_rets *out,
		 char *err, size_t errlen);
/*
 * disasm__rets for a function whose code is in two parts: jumps to
 * [other, other + other_len), its other part (a cold part moved out of line,
 * or the hot part seen from the cold one), are not ways out.
 */
int disasm__exits(const uint8_t *code, size_t len, uint64_t addr, uint64_t other,
		  uint64_t other_len, struct disasm_rets *out, char *err, size_t errlen);
void disasm_rets__free(struct disasm_rets *r);

/*
 * Where a Go function's body starts: the offset just after its stack check
 * (cmp 0x10(%r14),%rsp or, for big frames, a check of %r12; then jbe to
 * morestack), or 0 when code does not start with one (NOSPLIT and assembly
 * functions). A function whose stack is too small calls morestack from the
 * check and then starts over from its first byte, so a probe at its first
 * byte fires twice for one call; after the check it fires once. The check
 * reads memory and writes only flags and %r12, which no argument is in.
 */
uint32_t disasm__go_body(const uint8_t *code, size_t len);

/*
 * Whether any instruction of code[0..len) writes r14, which Go's register
 * ABI reserves for the current goroutine (g): Go assembly (ABI0) uses it as
 * a scratch register, so at such a function's RETs r14 is no longer g.
 */
bool disasm__writes_r14(const uint8_t *code, size_t len);

/*
 * Where a function's entry probe costs least. A uprobe on a 5-byte nop is
 * turned into a call by the kernel; on push, a 1-byte nop or a relative
 * jmp/jcc/call it is emulated in one trap; on anything else (endbr64, lea,
 * mov, sub...) the kernel single-steps the instruction out of line, about
 * ten times the cost (../shared/docs/KERNEL.md has the figures). The probe
 * moves to the first cheap instruction reachable by stepping over only
 * instructions that change neither the argument registers (C: rdi rsi rdx
 * rcx r8 r9 and the vector registers; Go: all but r12 and r13), nor the stack
 * pointer, nor memory, nor the flow of control, and that no branch of the
 * function jumps back to; else it stays at the first byte. Arguments and the
 * stack pointer read there are those of the first byte.
 *
 * In Go, the first cheap instruction is usually the stack check's jbe: a call
 * whose stack must grow passes it twice (morestack starts the function over),
 * which the span tree recognises (same depth, no panic in between).
 *
 * why says, in words, where the probe sits and why. Returns 0, or -EINVAL
 * when the code cannot be decoded (the probe stays at the first byte).
 */
enum disasm_cost { DISASM_OPTIMIZED, DISASM_EMULATED, DISASM_STEPPED, DISASM_RET };
struct disasm_place {
	uint32_t off;
	int cost;	/* enum disasm_cost at off */
	int first_cost; /* at the first byte */
	char why[224];
};
int disasm__entry(const uint8_t *code, size_t len, bool go, struct disasm_place *out);

/*
 * What a uprobe on the instruction at code[0..len) costs, by how the kernel
 * runs it (as disasm__entry judges it): DISASM_OPTIMIZED, DISASM_EMULATED,
 * DISASM_STEPPED, or DISASM_RET for a RET (single-stepped too, but the
 * overhead guard measures it apart). Code that does not decode: stepped.
 */
int disasm__cost(const uint8_t *code, size_t len);

/*
 * The instruction at code[0..len) (its bytes, and any that follow), as
 * spantrace's messages write it ("jbe 0x186": branch targets count from addr,
 * the instruction's address, e.g. its offset in its function), and what a
 * uprobe on it costs (enum disasm_cost, the rule disasm__entry places probes
 * by). Returns 0, -ENOMEM, or -EINVAL when it does not decode (text
 * "(undecodable)", cost DISASM_STEPPED).
 */
struct disasm_insn {
	int cost;      /* enum disasm_cost */
	uint8_t size;  /* bytes, 0 if it does not decode */
	char text[64];
};
int disasm__describe(const uint8_t *code, size_t len, uint64_t addr, struct disasm_insn *out);

/*
 * Whether a uprobe on the instruction at code[0..len) leaves the program's
 * behaviour exactly as it was. The kernel runs a probed instruction in one
 * of three ways: it single-steps a copy out of line (exact), emulates it, or
 * refuses it (the attach fails). One emulation is wrong: any instruction
 * whose opcode is 0x90 is emulated as a nop, whatever its prefixes
 * (arch/x86/kernel/uprobes.c: "prefix* + nop"), yet with REX.B set 0x90 is
 * xchg of rax, eax or ax with r8: `49 90` (xchg %rax,%r8) starts Go's
 * runtime.gcWriteBarrierR8, and a probe there skips the exchange and
 * crashes the program. Every site spantrace attaches is checked here, the
 * one place this rule lives.
 *
 * Returns true if a probe may sit there; else false, with the instruction
 * and the reason in why.
 */
bool disasm__probe_safe(const uint8_t *code, size_t len, char *why, size_t whylen);

/*
 * Reads len bytes at file offset off of path into a fresh *buf (free() it).
 * len may be 0 (then *buf is a valid 1-byte allocation); len > DISASM_MAX_LEN
 * is -E2BIG. A file that ends before off + len is -EIO. On error *buf is
 * NULL and err names the path.
 */
int disasm__read(const char *path, uint64_t off, size_t len, uint8_t **buf, char *err,
		 size_t errlen);

#endif
