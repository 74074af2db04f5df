/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Executable file mappings of a process, from /proc/PID/maps. See procmaps.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procmaps.h"

#define DELETED_SUFFIX " (deleted)"

static bool str_ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static int mapped_objs__push(struct mapped_objs *m, size_t *cap, const struct mapped_obj *line,
			     size_t path_len)
{
	struct mapped_obj *o;
	size_t i;

	/*
	 * One entry per file: its first executable mapping. Duplicates are rare
	 * (a file mapped executable twice) and the list is short (hundreds of
	 * objects at most), so a linear scan is enough.
	 */
	for (i = 0; i < m->n; i++)
		if (!memcmp(&m->v[i].id, &line->id, sizeof(line->id)))
			return 0;
	if (m->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct mapped_obj *nv = realloc(m->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		m->v = nv;
		*cap = ncap;
	}
	o = &m->v[m->n];
	*o = *line;
	o->path = strndup(line->path, path_len);
	if (!o->path)
		return -ENOMEM;
	m->n++;
	return 0;
}

/*
 * One maps line: "start-end perms offset major:minor inode   path". The path
 * is everything after the whitespace that follows the inode, so paths with
 * spaces survive. Fills out (path pointing into line, path_len its length,
 * without " (deleted)"). Returns 1 for an executable file mapping, 0 for
 * another, -EINVAL for a line that is not in this format.
 */
static int maps_line__parse(const char *line, size_t len, struct mapped_obj *out,
			    size_t *path_len)
{
	char buf[256], perms[8];
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	size_t head;
	int pos = -1;

	/* The fixed fields fit in buf; only the path can be long. */
	head = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	memcpy(buf, line, head);
	buf[head] = '\0';
	/* a mapping covers at least a byte: start-end with start < end, or the text is not maps */
	if (sscanf(buf, "%llx-%llx %7s %llx %x:%x %llu%n", &start, &end, perms, &off, &maj, &min,
		   &ino, &pos) != 7 ||
	    pos < 0 || start >= end)
		return -EINVAL;
	while ((size_t)pos < len && (line[pos] == ' ' || line[pos] == '\t'))
		pos++;
	memset(out, 0, sizeof(*out));
	out->path = (char *)line + pos;
	*path_len = len - (size_t)pos;
	out->start = start;
	out->end = end;
	out->id = (struct maps_file_id){ .major = maj, .minor = min, .ino = ino };
	/*
	 * The kernel appends " (deleted)" to a file unlinked since it was mapped:
	 * it is still the file the process runs, and still readable through
	 * /proc/PID/map_files.
	 */
	if (str_ends_with(out->path, *path_len, DELETED_SUFFIX)) {
		out->deleted = true;
		*path_len -= strlen(DELETED_SUFFIX);
	}
	/* Anonymous memory, [vdso], [vsyscall] and [stack] have no '/' path. */
	if (!strchr(perms, 'x') || !*path_len || out->path[0] != '/')
		return 0;
	return 1;
}

int mapped_objs__parse(const char *maps_text, struct mapped_objs *out)
{
	const char *p = maps_text;
	size_t cap = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p), path_len;
		struct mapped_obj line;

		if (len) {
			ret = maps_line__parse(p, len, &line, &path_len);
			if (ret < 0)
				goto err;
			if (ret > 0) {
				ret = mapped_objs__push(out, &cap, &line, path_len);
				if (ret)
					goto err;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	return 0;
err:
	mapped_objs__free(out);
	return ret;
}

int maps__file_at(const char *maps_text, uint64_t start, struct maps_file_id *id)
{
	const char *p = maps_text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p), path_len;
		struct mapped_obj line;

		if (len && maps_line__parse(p, len, &line, &path_len) >= 0 && line.start == start) {
			*id = line.id;
			return 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

/* procfs files report size 0, so read until EOF into a growing buffer. */
static int read_whole(int fd, char **text)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - len < 4096) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

int procfs__read(const char *path, char **text)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = read_whole(fd, text);
	close(fd);
	return ret;
}

int mapped_objs__load(pid_t pid, struct mapped_objs *out)
{
	char fname[64];
	char *text = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return -ESRCH;
	snprintf(fname, sizeof(fname), "/proc/%d/maps", (int)pid);
	ret = procfs__read(fname, &text);
	if (ret)
		return ret == -ENOENT ? -ESRCH : ret;
	ret = mapped_objs__parse(text, out);
	free(text);
	return ret;
}

void mapped_objs__free(struct mapped_objs *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

int procstat__flags(const char *stat_text, unsigned long *flags)
{
	const char *p = strrchr(stat_text, ')');
	char state;
	int ppid, pgrp, session, tty, tpgid;

	if (!p || sscanf(p + 1, " %c %d %d %d %d %d %lu", &state, &ppid, &pgrp, &session, &tty,
			 &tpgid, flags) != 7)
		return -EINVAL;
	return 0;
}
