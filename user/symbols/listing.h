/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --list's output: one line per function of the probe table, with where its
 * probes go or why it cannot be probed, from the site table. Pure (tables
 * in, a stream out), so the columns are unit-tested.
 *
 * Text: tab-separated columns, '-' where one does not apply:
 *   object  symbol  name  offset  status  entry  instruction  kind  return  why
 * object: the file as the target maps it; symbol: as in the file (what -u
 * matches); name: demangled, as spans are named; offset: the function's file
 * offset (0x...); status: ok or refused; entry: where the entry probe sits
 * in the function (+N bytes); instruction: the one it sits on; kind: what the
 * kernel does there (optimized: a 5-byte nop it turns into a call; emulated:
 * one trap; single-step: a trap and a step out of line); return: uretprobe,
 * exits=N (probes on N RETs and tail jumps, ",hidden=M" when M ways out no
 * probe sees), begin or end (a --span end: no return probe); why: where the
 * entry probe sits and why, or why the function is refused. Control
 * characters in names are written \xNN.
 *
 * JSON: one object a line with the same fields (numbers as numbers, null
 * where text has '-'; return is "exits" with "exits" and "hidden" counts).
 */
#ifndef SPANTRACE_LISTING_H
#define SPANTRACE_LISTING_H

#include <stdio.h>

#include "probe.h"
#include "sites.h"

enum listing_format { LISTING_TEXT, LISTING_JSON };

/*
 * Writes a line for every probe of pt (planned in st), sorted by object,
 * symbol and offset. 0, or -1 when out of memory; a failed write shows in
 * ferror(f).
 */
int listing__write(FILE *f, int format, const struct probe_table *pt,
		   const struct site_table *st);

#endif
