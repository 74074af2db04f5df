/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One-line messages written into a caller's buffer (err, errlen): every
 * error, and every reason handed back to a caller, is written with these.
 */
#ifndef SPANTRACE_ERRBUF_H
#define SPANTRACE_ERRBUF_H

#include <stddef.h>

/* vsnprintf into err; a NULL or empty buffer is allowed and ignored. */
void errbuf__set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Appends to the message in err (a list being built), cut to fit as
 * errbuf__set cuts; once the buffer is full, nothing more is added.
 */
void errbuf__add(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
