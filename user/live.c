// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What decoding asks of the running system, from /proc. See live.h. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "live.h"
#include "spantrace.h"

/*
 * A string the uprobe could not read (its page not yet touched by the process)
 * read through /proc/PID/mem, which faults it in: up to len bytes (Go), or to
 * the NUL (C, len 0), at most ST_NAME_LEN. Returns the bytes in buf; *cut when
 * longer; -1 if unreadable (the process is gone, or the pointer was bad).
 */
static ssize_t read_string(void *ctx, uint32_t pid, uint64_t ptr, size_t len, char *buf,
			   bool *cut)
{
	char path[32];
	size_t want = len ? len : ST_NAME_LEN, got = 0;
	int fd;

	if (want > ST_NAME_LEN)
		return -1;
	snprintf(path, sizeof(path), "/proc/%u/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* page by page: a C string may end just before an unmapped page */
	while (got < want) {
		size_t page_left = 4096 - ((ptr + got) & 4095);
		size_t n = want - got < page_left ? want - got : page_left;
		ssize_t r = pread(fd, buf + got, n, (off_t)(ptr + got));

		if (r <= 0)
			break;
		if (!len) {
			char *nul = memchr(buf + got, '\0', (size_t)r);

			if (nul) {
				got = (size_t)(nul - buf);
				close(fd);
				return (ssize_t)got;
			}
		}
		got += (size_t)r;
	}
	close(fd);
	if (got < want && (len || !got))
		return -1;
	if (!len) { /* no NUL in ST_NAME_LEN bytes */
		got = ST_NAME_LEN - 1;
		*cut = true;
	}
	return (ssize_t)got;
}

void live__init(struct live *l)
{
	memset(l, 0, sizeof(*l));
	l->iface = (struct decode_live){ .read_string = read_string, .ctx = l };
}
