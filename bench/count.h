/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A count on a bench tool's command line, with an optional decimal suffix: 10M, 5k, 1G. */
#ifndef SPANTRACE_BENCH_COUNT_H
#define SPANTRACE_BENCH_COUNT_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* 0 and *out set, or -1 for anything but digits and one suffix (k, M, G), or an overflow. */
static inline int bench__parse_count(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1000000, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1000000000, end++;
	if (*end || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

#endif
