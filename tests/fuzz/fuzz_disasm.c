// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the machine-code reading behind probe placement (user/symbols/disasm.c) on
 * arbitrary bytes: where an entry probe goes (disasm__entry), where a Go
 * function's body starts (disasm__go_body), its RET sites (disasm__rets)
 * and the instruction an entry probe sits on, in words (disasm__describe).
 * The input's first byte says C (even) or Go (odd); the rest is the
 * function's code. Seeds: the start of .text of the fixtures.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "disasm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disasm_place place;
	struct disasm_rets rets;
	struct disasm_insn insn;
	uint8_t *code;
	size_t len;
	char err[256] = "";
	bool go;

	if (!size)
		return 0;
	go = data[0] & 1;
	len = size - 1;
	code = fuzz__dup(data + 1, len);

	if (disasm__entry(code, len, go, &place) == 0) {
		fuzz__check(place.off == 0 || place.off < len);
		fuzz__check(memchr(place.why, '\0', sizeof(place.why)));
	}
	fuzz__check(disasm__go_body(code, len) <= len);
	if (disasm__describe(code, len, 0, &insn) == 0)
		fuzz__check(insn.size && insn.size <= len && insn.cost >= DISASM_OPTIMIZED &&
			    insn.cost <= DISASM_STEPPED);
	else
		fuzz__check(!insn.size && !strcmp(insn.text, "(undecodable)"));
	fuzz__check(memchr(insn.text, '\0', sizeof(insn.text)) && !strchr(insn.text, '\n'));
	if (disasm__rets(code, len, 0x401000, &rets, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < rets.n; i++) {
			fuzz__check(rets.off[i] < len);
			fuzz__check(i == 0 || rets.off[i - 1] < rets.off[i]);
		}
		disasm_rets__free(&rets);
	} else {
		fuzz__check(fuzz__one_line(err));
	}
	free(code);
	return 0;
}
