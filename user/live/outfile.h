/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An output file that appears whole or not at all: the trace (-o) and the
 * records (--save-records). spantrace runs as root, so the rules of what it
 * may write to live here, once:
 *
 * - a new path or a regular file: written to an unnamed file (O_TMPFILE) in
 *   the same directory, mode 0600, linked in and renamed over the path at
 *   commit; a crash or a failure leaves nothing. Where the filesystem has no
 *   O_TMPFILE, a hidden ".NAME.XXXXXX" beside it instead (removed on
 *   failure; only a SIGKILL can leave it behind);
 * - "-": standard output, written as it goes;
 * - a FIFO with a reader, a terminal, /dev/null or /dev/full: opened without
 *   creating or truncating anything and written as it goes;
 * - anything else is refused before a byte is written: a symbolic link
 *   (never followed: another user may have planted it), a directory, a
 *   block device (a disk), any other character device (a write may act on
 *   hardware: /dev/watchdog, /dev/mem), a socket, and a FIFO of another user
 *   in a sticky world-writable directory (they would read the output).
 *
 * Writes go through a stdio stream; the errno of the first failed write is
 * kept where it happened, so the caller can stop at once and name the cause.
 */
#ifndef SPANTRACE_OUTFILE_H
#define SPANTRACE_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What is being written, for messages: "failed to write <what> to PATH; ... with <option>". */
struct outfile_use {
	const char *what;    /* "the trace" */
	const char *option;  /* "-o" */
	const char *example; /* a file name to suggest inside a directory: "spantrace.json" */
};

enum outfile_kind {
	OUTFILE_NEW,	 /* nothing at the path: the file appears at commit */
	OUTFILE_REPLACE, /* a regular file: replaced whole at commit */
	OUTFILE_STDOUT,	 /* "-": standard output, written as it goes */
	OUTFILE_STREAM,	 /* FIFO, terminal, /dev/null, /dev/full: written as it goes */
	OUTFILE_REFUSED,
};

struct outfile {
	const char *path;  /* as given */
	const char *name;  /* for messages: path, or "standard output" */
	const struct outfile_use *use;
	enum outfile_kind kind;
	FILE *f;	   /* write here; NULL before open and after commit or discard */
	int fd;
	int dirfd;	   /* the path's directory (O_PATH), NEW and REPLACE */
	char *base;	   /* the last component of the path */
	char *tmpname;	   /* a name of ours in dirfd while the file has one, else NULL */
	bool unnamed;	   /* written through O_TMPFILE */
	bool open;	   /* from outfile__open to outfile__commit or outfile__discard */
	bool discarding;   /* drop what stdio still holds */
	int write_errno;   /* the first failed write, 0 if none */
};

/*
 * What to do with path, from lstat() of it (st NULL: no such file) and stat()
 * of its directory (dir), for a writer of effective uid euid. Pure. REFUSED
 * writes "<option> <path> is ...; <fix>" into err.
 */
enum outfile_kind outfile__classify(const char *path, const struct stat *st, const struct stat *dir,
				    uid_t euid, const struct outfile_use *use, char *err,
				    size_t errlen);

/*
 * Opens path for writing as described above. Returns 0, or -1 with one line
 * in err (nothing is left behind). SPANTRACE_NO_TMPFILE=1 forces the hidden
 * file where O_TMPFILE would do. The stream points back to of: of must stay
 * where it is until it is committed or discarded.
 */
int outfile__open(struct outfile *of, const char *path, const struct outfile_use *use, char *err,
		  size_t errlen);
/*
 * Do a and b end at the same place, where one would overwrite the other: the
 * same entry of the same directory, or both standard output.
 */
bool outfile__same_place(const struct outfile *a, const struct outfile *b);
/* errno of the first failed write (0 if none): cheap, for a check per loop turn. */
static inline int outfile__error(const struct outfile *of)
{
	return of->write_errno;
}
/* The one-line message for a failed write: "failed to write <what> to <name>: <cause>; <fix>". */
void outfile__write_error(const struct outfile *of, char *err, size_t errlen);
/*
 * Flushes, syncs and puts the file in place (a rename for NEW and REPLACE,
 * after checking the path is still nothing or a regular file). Returns 0, or
 * -1 with one line in err and nothing left. Closes of either way.
 */
int outfile__commit(struct outfile *of, char *err, size_t errlen);
/*
 * Every write from now on, and what stdio still holds, goes nowhere: for a
 * failed run whose writer must still be closed, so that a FIFO or standard
 * output never receives an end that makes a failed trace look whole.
 */
static inline void outfile__stop_writing(struct outfile *of)
{
	of->discarding = true;
}
/* Drops everything: nothing appears at the path. Idempotent; safe on a zeroed or closed of. */
void outfile__discard(struct outfile *of);

#endif
