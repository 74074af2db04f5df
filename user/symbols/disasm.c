// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RET sites of x86-64 function bodies by linear sweep with capstone.
 * See disasm.h.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disasm.h"
#include "errbuf.h"

static int offs_push(uint32_t **v, size_t *n, size_t *cap, uint32_t off)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		uint32_t *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = off;
	return 0;
}

/*
 * A capstone handle for x86-64 with one instruction buffer, detail on or off.
 * 0, -EIO (capstone's error in *cerr) or -ENOMEM.
 */
static int dis_open(bool detail, csh *h, cs_insn **in, cs_err *cerr)
{
	*cerr = cs_open(CS_ARCH_X86, CS_MODE_64, h);
	if (*cerr != CS_ERR_OK)
		return -EIO;
	if (detail)
		cs_option(*h, CS_OPT_DETAIL, CS_OPT_ON);
	*in = cs_malloc(*h);
	if (!*in) {
		cs_close(h);
		return -ENOMEM;
	}
	return 0;
}

static void dis_close(csh *h, cs_insn *in)
{
	cs_free(in, 1);
	cs_close(h);
}

/*
 * The next instruction of a linear sweep over *p (*left bytes, at *pc):
 * a byte that does not decode is stepped over. false at the end.
 */
static bool dis_sweep(csh h, const uint8_t **p, size_t *left, uint64_t *pc, cs_insn *in)
{
	while (*left) {
		/* cs_disasm_iter advances p, left and pc only on success. */
		if (cs_disasm_iter(h, p, left, pc, in))
			return true;
		(*p)++;
		(*left)--;
		(*pc)++;
	}
	return false;
}

static bool in_group(const cs_insn *in, uint8_t grp)
{
	for (uint8_t i = 0; i < in->detail->groups_count; i++)
		if (in->detail->groups[i] == grp)
			return true;
	return false;
}

/* The target of a direct jump or call, or false for an indirect one. */
static bool branch_target(const cs_insn *in, uint64_t *target)
{
	const cs_x86 *x = &in->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	*target = (uint64_t)x->operands[0].imm;
	return true;
}

/* A function's code: [addr, addr + len) and the other part [other, other + other_len). */
struct func_range {
	uint64_t addr, len, other, other_len;
};

static bool func_range__has(const struct func_range *f, uint64_t a)
{
	return (a >= f->addr && a - f->addr < f->len) ||
	       (a >= f->other && a - f->other < f->other_len);
}

/* Files a jump of the function f: a tail call, hidden, or inside. */
static int note_jump(const cs_insn *in, const struct func_range *f, struct disasm_rets *out,
		     size_t *tcap)
{
	uint64_t t;
	bool direct = branch_target(in, &t);

	if (direct && func_range__has(f, t))
		return 0;
	if (direct && in->id == X86_INS_JMP)
		return offs_push(&out->tail, &out->ntail, tcap, (uint32_t)(in->address - f->addr));
	/* an indirect jmp may be a switch inside the function: it is counted all the same */
	out->nhidden++;
	return 0;
}

/*
 * One capstone handle per call: no shared state, so callers on any thread
 * are fine, and opening an x86 handle costs next to nothing next to the
 * sweep itself.
 */
int disasm__rets(const uint8_t *code, size_t len, uint64_t addr, struct disasm_rets *out,
		 char *err, size_t errlen)
{
	return disasm__exits(code, len, addr, 0, 0, out, err, errlen);
}

int disasm__exits(const uint8_t *code, size_t len, uint64_t addr, uint64_t other,
		  uint64_t other_len, struct disasm_rets *out, char *err, size_t errlen)
{
	const struct func_range f = { addr, len, other, other_len };
	const uint8_t *p = code;
	size_t left = len, cap = 0, tcap = 0;
	uint64_t pc = addr;
	cs_insn *insn;
	cs_err cerr;
	csh h;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (len > DISASM_MAX_LEN) {
		errbuf__set(err, errlen, "function too large to disassemble (%zu bytes, limit %u)",
			    len, DISASM_MAX_LEN);
		return -E2BIG;
	}
	if (!len)
		return 0;
	if (!code) {
		errbuf__set(err, errlen, "no code to disassemble");
		return -EINVAL;
	}
	/* Offsets are taken from capstone's addresses: keep them from wrapping. */
	if (addr > UINT64_MAX - len) {
		errbuf__set(err, errlen, "function at 0x%llx wraps the address space",
			    (unsigned long long)addr);
		return -EINVAL;
	}
	ret = dis_open(true, &h, &insn, &cerr);
	if (ret) {
		if (ret == -EIO)
			errbuf__set(err, errlen, "capstone: %s", cs_strerror(cerr));
		else
			errbuf__set(err, errlen, "out of memory");
		return ret;
	}
	while (!ret && dis_sweep(h, &p, &left, &pc, insn)) {
		if (insn->id == X86_INS_RET)
			ret = offs_push(&out->off, &out->n, &cap, (uint32_t)(insn->address - addr));
		else if (in_group(insn, X86_GRP_JUMP))
			ret = note_jump(insn, &f, out, &tcap);
	}
	if (ret)
		errbuf__set(err, errlen, "out of memory");
	dis_close(&h, insn);
	if (ret)
		disasm_rets__free(out);
	return ret;
}

void disasm_rets__free(struct disasm_rets *r)
{
	if (!r)
		return;
	free(r->off);
	free(r->tail);
	memset(r, 0, sizeof(*r));
}

int disasm__read(const char *path, uint64_t off, size_t len, uint8_t **buf, char *err,
		 size_t errlen)
{
	size_t got = 0;
	uint8_t *b;
	ssize_t n;
	int fd, ret;

	*buf = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > DISASM_MAX_LEN) {
		errbuf__set(err, errlen, "%s: %zu bytes at 0x%llx: too large (limit %u)", path,
			    len, (unsigned long long)off, DISASM_MAX_LEN);
		return -E2BIG;
	}
	if (off > (uint64_t)INT64_MAX - len) {
		errbuf__set(err, errlen, "%s: offset 0x%llx out of range", path,
			    (unsigned long long)off);
		return -EINVAL;
	}
	b = malloc(len ? len : 1);
	if (!b) {
		errbuf__set(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		errbuf__set(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		free(b);
		return ret;
	}
	while (got < len) {
		n = pread(fd, b + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			errbuf__set(err, errlen, "%s: cannot read %zu bytes at 0x%llx: %s", path,
				    len, (unsigned long long)off, strerror(-ret));
			goto fail;
		}
		if (n == 0) {
			ret = -EIO;
			errbuf__set(err, errlen,
				    "%s: cannot read %zu bytes at 0x%llx: file ends after %zu",
				    path, len, (unsigned long long)off, got);
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = b;
	return 0;
fail:
	close(fd);
	free(b);
	return ret;
}

/* --- instructions the kernel emulates wrongly ------------------------------------ */

/* x86 legacy prefixes: operand/address size, segments, lock, rep. */
static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x66: case 0x67: case 0x26: case 0x2e: case 0x36: case 0x3e:
	case 0x64: case 0x65: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

/*
 * Read from the bytes rather than from capstone's view of them: the kernel
 * decides by the opcode byte alone, and so must this. A REX prefix (0x40 to
 * 0x4f) counts only right before the opcode.
 */
bool disasm__probe_safe(const uint8_t *code, size_t len, char *why, size_t whylen)
{
	size_t i = 0, n;
	uint8_t rex = 0;
	char hex[3 * 15 + 1] = "";

	while (i < len && i < 14 && legacy_prefix(code[i]))
		i++;
	if (i < len && (code[i] & 0xf0) == 0x40)
		rex = code[i++];
	if (i >= len || code[i] != 0x90 || !(rex & 0x01))
		return true;
	for (n = 0; n <= i; n++)
		snprintf(hex + 3 * n, sizeof(hex) - 3 * n, "%02x ", code[n]);
	hex[3 * i + 2] = 0;
	errbuf__set(why, whylen,
		    "%s (xchg with %s) is an instruction the kernel's uprobe code emulates as a "
		    "nop: a probe there would skip the exchange",
		    hex, rex & 0x08 ? "r8" : "r8d or r8w");
	return false;
}

/* cmp against 0x10(%r14): g.stackguard0, the goroutine's stack limit. */
static bool is_stackguard_cmp(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (in->id != X86_INS_CMP || x->op_count != 2)
		return false;
	for (int i = 0; i < 2; i++) {
		const cs_x86_op *o = &x->operands[i];

		if (o->type == X86_OP_MEM && o->mem.base == X86_REG_R14 &&
		    o->mem.index == X86_REG_INVALID && o->mem.disp == 0x10)
			return true;
	}
	return false;
}

/* Writes only r12 (the scratch register Go computes a big frame's new sp in). */
static bool writes_only_r12(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	return (in->id == X86_INS_LEA || in->id == X86_INS_MOV || in->id == X86_INS_SUB) &&
	       x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	       x->operands[0].reg == X86_REG_R12;
}

uint32_t disasm__go_body(const uint8_t *code, size_t len)
{
	const uint8_t *p = code;
	size_t left = len > 64 ? 64 : len;
	uint64_t pc = 0;
	bool cmp_seen = false;
	uint32_t off = 0;
	cs_insn *insn;
	cs_err cerr;
	csh h;
	int n = 0;

	if (!code || dis_open(true, &h, &insn, &cerr))
		return 0;
	/* the prologue is at most: mov/lea, sub, jb, cmp, jbe */
	while (n++ < 6 && cs_disasm_iter(h, &p, &left, &pc, insn)) {
		if (is_stackguard_cmp(insn)) {
			cmp_seen = true;
		} else if (cmp_seen && (insn->id == X86_INS_JBE || insn->id == X86_INS_JB)) {
			off = (uint32_t)pc; /* the instruction after the check */
			break;
		} else if (insn->id != X86_INS_JB && !writes_only_r12(insn)) {
			break;
		}
	}
	dis_close(&h, insn);
	return off;
}

bool disasm__writes_r14(const uint8_t *code, size_t len)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t pc = 0;
	bool found = false;
	cs_regs rd, wr;
	uint8_t nrd, nwr;
	cs_insn *in;
	cs_err cerr;
	csh h;

	if (!code || !len || dis_open(true, &h, &in, &cerr))
		return false;
	while (!found && dis_sweep(h, &p, &left, &pc, in)) {
		if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
			continue;
		for (uint8_t i = 0; i < nwr && !found; i++)
			found = wr[i] == X86_REG_R14 || wr[i] == X86_REG_R14D ||
				wr[i] == X86_REG_R14W || wr[i] == X86_REG_R14B;
	}
	dis_close(&h, in);
	return found;
}

/* --- where an entry probe costs least ------------------------------------------ */

#define COST_OPTIMIZED DISASM_OPTIMIZED
#define COST_EMULATED DISASM_EMULATED
#define COST_STEPPED DISASM_STEPPED
typedef enum disasm_cost cost_t;

static const char *const cost_words[] = {
	[COST_OPTIMIZED] = "a 5-byte nop, which the kernel turns into a call (no trap)",
	[COST_EMULATED] = "the kernel emulates it (one trap, no single-step)",
	[COST_STEPPED] = "the kernel single-steps it out of line",
};


/* "mnemonic operands", as every message of spantrace writes an instruction. */
static void insn_text(const cs_insn *in, char *buf, size_t len)
{
	snprintf(buf, len, "%.12s%s%.44s", in->mnemonic, in->op_str[0] ? " " : "", in->op_str);
}

/* A direct (relative) jmp, jcc or call: the kernel emulates those. */
static bool is_direct_branch(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	return (in_group(in, X86_GRP_JUMP) || in_group(in, X86_GRP_CALL)) && x->op_count == 1 &&
	       x->operands[0].type == X86_OP_IMM && in->id != X86_INS_JRCXZ &&
	       in->id != X86_INS_JECXZ && in->id != X86_INS_JCXZ && in->id != X86_INS_LOOP &&
	       in->id != X86_INS_LOOPE && in->id != X86_INS_LOOPNE;
}

/* What a uprobe on this instruction costs (arch/x86/kernel/uprobes.c, 6.18). */
static cost_t insn_cost(const cs_insn *in)
{
	static const uint8_t nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	const cs_x86 *x = &in->detail->x86;

	if (in->size == 5 && !memcmp(in->bytes, nop5, 5))
		return COST_OPTIMIZED;
	if (in->size == 1 && in->bytes[0] == 0x90)
		return COST_EMULATED;
	if (in->id == X86_INS_PUSH && x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
	    x->operands[0].size == 8)
		return COST_EMULATED;
	if (is_direct_branch(in))
		return COST_EMULATED;
	return COST_STEPPED;
}

int disasm__cost(const uint8_t *code, size_t len)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t pc = 0;
	int c = COST_STEPPED;
	cs_insn *in;
	cs_err cerr;
	csh h;

	if (!code || !len || dis_open(true, &h, &in, &cerr))
		return c;
	if (cs_disasm_iter(h, &p, &left, &pc, in))
		c = in_group(in, X86_GRP_RET) ? DISASM_RET : insn_cost(in);
	dis_close(&h, in);
	return c;
}

static bool reg_is(x86_reg r, x86_reg r64, x86_reg r32, x86_reg r16, x86_reg r8)
{
	return r == r64 || r == r32 || r == r16 || r == r8;
}

/*
 * Registers an instruction may write and still be stepped over before the
 * probe: no argument is in them. C (SysV): rax (it only counts vector
 * arguments of a variadic call, which a name is never read from), r10, r11.
 * Go's register ABI passes arguments in nearly everything: r12 and r13 only.
 */
static bool scratch_reg(x86_reg r, bool go)
{
	if (r == X86_REG_EFLAGS || r == X86_REG_RIP)
		return true;
	if (go)
		return reg_is(r, X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B) ||
		       reg_is(r, X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B);
	return reg_is(r, X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL) || r == X86_REG_AH ||
	       reg_is(r, X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B) ||
	       reg_is(r, X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B);
}

/*
 * Whether the probe may sit after this instruction: it does not branch, and
 * leaves argument registers, the stack pointer and memory as they were.
 * Otherwise *why says what it changes.
 */
static bool skippable(csh h, const cs_insn *in, bool go, char *why, size_t whylen)
{
	const cs_x86 *x = &in->detail->x86;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	if (in_group(in, X86_GRP_JUMP) || in_group(in, X86_GRP_CALL) ||
	    in_group(in, X86_GRP_RET) || in_group(in, X86_GRP_INT) ||
	    in_group(in, X86_GRP_IRET)) {
		errbuf__set(why, whylen, "%s %.48s changes the flow of control", in->mnemonic,
			    in->op_str);
		return false;
	}
	for (uint8_t i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE)) {
			errbuf__set(why, whylen, "%s %.48s writes memory", in->mnemonic,
				    in->op_str);
			return false;
		}
	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK) {
		errbuf__set(why, whylen, "%s %.48s is not understood", in->mnemonic, in->op_str);
		return false;
	}
	for (uint8_t i = 0; i < nwr; i++)
		if (!scratch_reg(wr[i], go)) {
			errbuf__set(why, whylen, "%s %.48s writes %s%s", in->mnemonic, in->op_str,
				    cs_reg_name(h, wr[i]),
				    wr[i] == X86_REG_RSP ? " (the stack pointer)" : "");
			return false;
		}
	return true;
}

/* The lowest target in (0, len) of a direct branch of the function, or len. */
static uint32_t first_back_target(csh h, const uint8_t *code, size_t len, cs_insn *in)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t pc = 0;
	uint32_t low = (uint32_t)len;

	while (dis_sweep(h, &p, &left, &pc, in)) {
		if (is_direct_branch(in)) {
			uint64_t t = (uint64_t)in->detail->x86.operands[0].imm;

			if (t > 0 && t < low)
				low = (uint32_t)t;
		}
	}
	return low;
}

int disasm__entry(const uint8_t *code, size_t len, bool go, struct disasm_place *out)
{
	const uint8_t *p = code;
	size_t left = len > 64 ? 64 : len;
	uint64_t pc = 0;
	char stop[128] = "", skipped[96] = "", first[64] = "";
	size_t nskip = 0;
	uint32_t back;
	cs_insn *in;
	cs_err cerr;
	csh h;
	int r;

	memset(out, 0, sizeof(*out));
	out->cost = out->first_cost = COST_STEPPED;
	r = code && len ? dis_open(true, &h, &in, &cerr) : -EINVAL;
	if (r == -ENOMEM)
		return r;
	if (r) {
		snprintf(out->why, sizeof(out->why), "first byte: its code could not be decoded");
		return -EINVAL;
	}
	back = first_back_target(h, code, len, in);
	for (int n = 0; n < 8 && cs_disasm_iter(h, &p, &left, &pc, in); n++) {
		uint32_t at = (uint32_t)in->address;
		cost_t c = insn_cost(in);

		if (n == 0) {
			out->first_cost = c;
			insn_text(in, first, sizeof(first));
		}
		if (at && at >= back) {
			snprintf(stop, sizeof(stop), "a branch in the function jumps back to +%u", back);
			break;
		}
		if (c != COST_STEPPED) {
			char text[64];

			out->off = at;
			out->cost = c;
			insn_text(in, text, sizeof(text));
			snprintf(out->why, sizeof(out->why), "%s: %s%s%s%s", text, cost_words[c],
				 at ? " (stepped over " : "", at ? skipped : "", at ? ")" : "");
			goto done;
		}
		if (!skippable(h, in, go, stop, sizeof(stop)))
			break;
		snprintf(skipped + strlen(skipped), sizeof(skipped) - strlen(skipped), "%s%.12s",
			 nskip++ ? ", " : "", in->mnemonic);
	}
	/* nothing cheaper within reach: the first byte (every stepped one costs the same) */
	snprintf(out->why, sizeof(out->why), "%s: %s; nothing cheaper can be reached: %.80s",
		 first, cost_words[COST_STEPPED], stop[0] ? stop : "none in the prologue");
done:
	dis_close(&h, in);
	return 0;
}

int disasm__describe(const uint8_t *code, size_t len, uint64_t addr, struct disasm_insn *out)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t pc = addr;
	cs_insn *in;
	cs_err cerr;
	csh h;
	int r;

	memset(out, 0, sizeof(*out));
	out->cost = COST_STEPPED;
	snprintf(out->text, sizeof(out->text), "(undecodable)");
	r = code && len ? dis_open(true, &h, &in, &cerr) : -EINVAL;
	if (r)
		return r == -ENOMEM ? r : -EINVAL;
	if (cs_disasm_iter(h, &p, &left, &pc, in)) {
		out->cost = insn_cost(in);
		out->size = in->size;
		insn_text(in, out->text, sizeof(out->text));
	} else {
		r = -EINVAL;
	}
	dis_close(&h, in);
	return r;
}
