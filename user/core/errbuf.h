/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One-line error messages written into a caller's buffer. */
#ifndef SPANTRACE_ERRBUF_H
#define SPANTRACE_ERRBUF_H

#include <stddef.h>

/* vsnprintf into err; a NULL or empty buffer is allowed and ignored. */
void errbuf__set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
