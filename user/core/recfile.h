/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The record file of --save-records, which holds the raw ring-buffer records
 * of a run so they can be fed through the decoder again (bench/replay.c):
 *
 *   "SPANREC1"                      8 bytes, no terminator
 *   u32 target_pid                  the process given by -p or started by --:
 *                                   that of a thread no record names
 *   u32 nprobes
 *   nprobes x { u32 role, u32 pair, name NUL, func NUL, object NUL }
 *                                   the probe table in probe-index order:
 *                                   enum spec_role and --span pair number
 *                                   (what a record's span key is made of),
 *                                   display name, symbol, object ("" if none)
 *   then, to the end of the file, one entry per record as read:
 *     u32 len, len bytes            the record, starting with struct st_hdr
 *
 * Integers are in the byte order of the machine that wrote the file (x86-64:
 * little-endian); nothing is aligned, so readers copy a record out before
 * looking at it. A file cut short ends at its last whole record.
 *
 * Read and written on a stream its caller opened: this code opens nothing.
 */
#ifndef SPANTRACE_RECFILE_H
#define SPANTRACE_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe.h"

#define RECFILE_MAGIC "SPANREC1"
#define RECFILE_MAGIC_LEN 8

/*
 * Writes the header (magic, target pid and probe table) to f. Returns 0, or
 * -1 with errno set by stdio.
 */
int recfile__write_header(FILE *f, uint32_t target_pid, const struct probe_table *probes);
/* Appends one record. Returns 0 or -1 (stdio's errno). */
int recfile__write_record(FILE *f, const void *data, size_t size);

/* A record file being read, a record at a time. */
struct recfile {
	FILE *f;
	uint32_t target_pid;
	struct probe_table probes; /* name, func, object, role, pair; the rest zero */
	uint64_t nrecords;	   /* read so far */
	bool truncated;		   /* the file ended inside a record */
};

/*
 * Reads the header of the record file open on f (name, for messages). The
 * record file owns f from here: recfile__close closes it, on error too. f
 * NULL is a failed fopen, which errno explains. Returns 0, or -1 with a
 * one-line reason in err.
 */
int recfile__open(FILE *f, const char *name, struct recfile *rf, char *err, size_t errlen);
/*
 * Reads the next record: its size into *size, and its first min(size, cap)
 * bytes into buf (the rest is skipped). Returns 1; 0 at the end of the file
 * (truncated set if it ended inside a record); -1 on a read error (errno).
 */
int recfile__read(struct recfile *rf, void *buf, size_t cap, uint32_t *size);
void recfile__close(struct recfile *rf);

#endif
