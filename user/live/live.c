// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What decoding asks of the running system, from /proc. See live.h. */
#include <dirent.h>
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

/* Does fd link "pipe:[ino]" open for reading? */
static bool holds_read_end(int pid, const char *fd, const char *want)
{
	char path[300], link[64], info[256];
	ssize_t n;
	FILE *f;
	unsigned int flags = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	if (strcmp(link, want) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(info, sizeof(info), f))
		if (sscanf(info, "flags: %o", &flags) == 1)
			break;
	fclose(f);
	return (flags & O_ACCMODE) == O_RDONLY;
}

/* Every process's fds, for one holding want ("pipe:[ino]") open for reading. */
static uint32_t scan_readers(const struct live *l, const char *want, uint32_t writer)
{
	struct dirent *pd, *fd;
	DIR *proc, *fds;
	int best = 0, best_score = -1;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((pd = readdir(proc))) {
		int pid = atoi(pd->d_name);
		char path[64];

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fd = readdir(fds))) {
			int score;

			if (fd->d_name[0] == '.' || !holds_read_end(pid, fd->d_name, want))
				continue;
			score = ((uint32_t)pid != writer) * 2 +
				(tasks__get(l->tasks, (uint32_t)pid) != NULL);
			if (score > best_score) {
				best = pid;
				best_score = score;
			}
			break;
		}
		closedir(fds);
	}
	closedir(proc);
	return (uint32_t)best;
}

uint32_t live__pipe_reader(struct live *l, uint64_t ino, uint32_t writer, uint64_t max_age)
{
	uint64_t now = mono_ns();
	struct pipe_reader *c;
	char want[48];

	for (size_t i = 0; i < LIVE_READER_CACHE; i++)
		if (l->readers[i].ino == ino && (!max_age || now - l->readers[i].at < max_age))
			return l->readers[i].pid;
	c = &l->readers[l->next_reader++ % LIVE_READER_CACHE];
	snprintf(want, sizeof(want), "pipe:[%llu]", (unsigned long long)ino);
	*c = (struct pipe_reader){ .ino = ino, .at = now, .pid = scan_readers(l, want, writer) };
	return c->pid;
}

static uint32_t pipe_reader(void *ctx, uint64_t ino, uint32_t writer)
{
	return live__pipe_reader(ctx, ino, writer, 0);
}

void live__init(struct live *l, const struct tasks *tasks)
{
	memset(l, 0, sizeof(*l));
	l->iface = (struct decode_live){ .read_string = read_string, .comm = comm,
					 .pipe_reader = pipe_reader, .ctx = l };
	l->tasks = tasks;
}
