// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What decoding asks of the running system, from /proc. See live.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live.h"
#include "spantrace.h"
#include "tasks.h"
#include "util.h"

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

static void comm(void *ctx, uint32_t tid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/comm", tid);
	util__read_line(path, buf, len);
}

bool live__pipe_reader(struct live *l, uint64_t ino, uint32_t writer, uint64_t max_age,
		       uint32_t *pid)
{
	return pipereaders__ask(&l->readers, ino, writer, mono_ns(), max_age, pid);
}

bool live__step(struct live *l)
{
	return procscan__step(&l->scan, LIVE_SCAN_SLICE_NS);
}

void live__settle(struct live *l, uint64_t budget_ns)
{
	l->settle_ns = budget_ns;
}

static bool pipe_reader(void *ctx, uint64_t ino, uint32_t writer, uint32_t *pid)
{
	struct live *l = ctx;
	bool known = live__pipe_reader(l, ino, writer, 0, pid);

	/* after the stop nothing is kept waiting: search while asked, within the budget */
	while (!known && l->settle_ns) {
		uint64_t t0 = mono_ns(), dt;
		bool more = live__step(l);

		dt = mono_ns() - t0;
		l->settle_ns = dt < l->settle_ns ? l->settle_ns - dt : 0;
		known = live__pipe_reader(l, ino, writer, 0, pid);
		if (!more)
			break;
	}
	return known;
}

void live__init(struct live *l, const struct tasks *tasks)
{
	memset(l, 0, sizeof(*l));
	l->iface = (struct decode_live){ .read_string = read_string, .comm = comm,
					 .pipe_reader = pipe_reader, .ctx = l };
	l->tasks = tasks;
	procscan__init(&l->scan, &l->readers, tasks);
}

void live__free(struct live *l)
{
	procscan__free(&l->scan);
}
