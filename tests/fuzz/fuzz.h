/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every libFuzzer harness in tests/fuzz/ shares. A harness finds a bug
 * by crashing: ASan and UBSan abort on memory errors and undefined
 * behaviour, and fuzz__check aborts when a result breaks a documented
 * promise of the code under test.
 */
#ifndef SPANTRACE_FUZZ_H
#define SPANTRACE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts, saying which promise broke; libFuzzer then saves the input. */
#define fuzz__check(cond)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__,  \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

/*
 * A copy of the input in its own allocation of exactly size bytes (1 for an
 * empty one): writable, and ASan sees a read past its end. libFuzzer's own
 * buffer is read-only.
 */
static inline void *fuzz__dup(const uint8_t *data, size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		abort();
	memcpy(p, data, size);
	return p;
}

/* The input as a NUL-terminated string (cut at its first NUL). */
static inline char *fuzz__strdup(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	if (!p)
		abort();
	memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

/* A one-line error message, as every parser promises: not empty, no newline. */
static inline int fuzz__one_line(const char *err)
{
	return err[0] && !strchr(err, '\n');
}

#endif
