// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RET sites of x86-64 function bodies by linear sweep with capstone.
 * See disasm.h.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disasm.h"
#include "errbuf.h"

static int disasm_rets__push(struct disasm_rets *r, size_t *cap, uint32_t off)
{
	if (r->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		uint32_t *nv = realloc(r->off, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		r->off = nv;
		*cap = ncap;
	}
	r->off[r->n++] = off;
	return 0;
}

/*
 * One capstone handle per call: no shared state, so callers on any thread
 * are fine, and opening an x86 handle costs next to nothing next to the
 * sweep itself. Detail stays off: the instruction id is all we look at.
 */
int disasm__rets(const uint8_t *code, size_t len, uint64_t addr, struct disasm_rets *out,
		 char *err, size_t errlen)
{
	const uint8_t *p = code;
	size_t left = len, cap = 0;
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
	cerr = cs_open(CS_ARCH_X86, CS_MODE_64, &h);
	if (cerr != CS_ERR_OK) {
		errbuf__set(err, errlen, "capstone: %s", cs_strerror(cerr));
		return -EIO;
	}
	insn = cs_malloc(h);
	if (!insn) {
		errbuf__set(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	while (left) {
		/* cs_disasm_iter advances p, left and pc only on success. */
		if (!cs_disasm_iter(h, &p, &left, &pc, insn)) {
			p++;
			left--;
			pc++;
			continue;
		}
		if (insn->id != X86_INS_RET)
			continue;
		ret = disasm_rets__push(out, &cap, (uint32_t)(insn->address - addr));
		if (ret) {
			errbuf__set(err, errlen, "out of memory");
			goto out;
		}
	}
out:
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	if (ret)
		disasm_rets__free(out);
	return ret;
}

void disasm_rets__free(struct disasm_rets *r)
{
	if (!r)
		return;
	free(r->off);
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
	csh h;
	int n = 0;

	if (!code || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(h);
	/* the prologue is at most: mov/lea, sub, jb, cmp, jbe */
	while (insn && n++ < 6 && cs_disasm_iter(h, &p, &left, &pc, insn)) {
		if (is_stackguard_cmp(insn)) {
			cmp_seen = true;
		} else if (cmp_seen && (insn->id == X86_INS_JBE || insn->id == X86_INS_JB)) {
			off = (uint32_t)pc; /* the instruction after the check */
			break;
		} else if (insn->id != X86_INS_JB && !writes_only_r12(insn)) {
			break;
		}
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return off;
}
