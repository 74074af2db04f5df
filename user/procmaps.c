/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Executable file mappings of a process, from /proc/PID/maps. See procmaps.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

static int mapped_objs__push(struct mapped_objs *m, size_t *cap, const char *path, size_t len,
			     uint64_t inode, uint32_t major, uint32_t minor)
{
	struct mapped_obj *o;
	size_t i;

	/*
	 * Duplicates are rare (a file mapped executable twice) and the list is
	 * short (hundreds of objects at most), so a linear scan is enough.
	 */
	for (i = 0; i < m->n; i++)
		if (strlen(m->v[i].path) == len && !memcmp(m->v[i].path, path, len))
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
	memset(o, 0, sizeof(*o));
	o->path = strndup(path, len);
	if (!o->path)
		return -ENOMEM;
	o->inode = inode;
	o->dev_major = major;
	o->dev_minor = minor;
	m->n++;
	return 0;
}

/*
 * One maps line: "start-end perms offset major:minor inode   path". The path
 * is everything after the whitespace that follows the inode, so paths with
 * spaces survive. Returns 1 for a kept mapping, 0 for a skipped one, -EINVAL
 * for a line that is not in this format.
 */
static int maps_line__parse(const char *line, size_t len, const char **path, size_t *path_len,
			    uint64_t *inode, uint32_t *major, uint32_t *minor)
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
	if (sscanf(buf, "%llx-%llx %7s %llx %x:%x %llu%n", &start, &end, perms, &off, &maj, &min,
		   &ino, &pos) != 7 ||
	    pos < 0)
		return -EINVAL;
	while ((size_t)pos < len && (line[pos] == ' ' || line[pos] == '\t'))
		pos++;
	*path = line + pos;
	*path_len = len - (size_t)pos;
	*inode = ino;
	*major = maj;
	*minor = min;
	/*
	 * Anonymous memory, [vdso], [vsyscall] and [stack] have no '/' path. A
	 * deleted file can no longer be opened to read its symbols.
	 */
	if (!strchr(perms, 'x') || !*path_len || **path != '/' ||
	    str_ends_with(*path, *path_len, DELETED_SUFFIX))
		return 0;
	return 1;
}

int mapped_objs__parse(const char *maps_text, const char *exe_path, struct mapped_objs *out)
{
	const char *p = maps_text;
	size_t cap = 0, i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	while (p && *p) {
		const char *nl = strchr(p, '\n'), *path;
		size_t len = nl ? (size_t)(nl - p) : strlen(p), path_len;
		uint32_t major, minor;
		uint64_t inode;

		if (len) {
			ret = maps_line__parse(p, len, &path, &path_len, &inode, &major, &minor);
			if (ret < 0)
				goto err;
			if (ret > 0) {
				ret = mapped_objs__push(out, &cap, path, path_len, inode, major,
							minor);
				if (ret)
					goto err;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	for (i = 0; exe_path && i < out->n; i++)
		out->v[i].is_main = !strcmp(out->v[i].path, exe_path);
	return 0;
err:
	mapped_objs__free(out);
	return ret;
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

int mapped_objs__load(pid_t pid, struct mapped_objs *out)
{
	char fname[64], exe[PATH_MAX];
	char *text = NULL;
	ssize_t n;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return -ESRCH;
	snprintf(fname, sizeof(fname), "/proc/%d/maps", (int)pid);
	fd = open(fname, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	ret = read_whole(fd, &text);
	close(fd);
	if (ret)
		return ret;

	/*
	 * The maps file was readable, so /proc/PID/exe fails with ENOENT only
	 * when the process exited meanwhile or is a kernel thread, which has
	 * no executable to trace.
	 */
	snprintf(fname, sizeof(fname), "/proc/%d/exe", (int)pid);
	n = readlink(fname, exe, sizeof(exe) - 1);
	if (n < 0) {
		ret = -errno;
		if (ret == -ENOENT) {
			snprintf(fname, sizeof(fname), "/proc/%d", (int)pid);
			if (access(fname, F_OK))
				ret = -ESRCH;
		}
		free(text);
		return ret;
	}
	exe[n] = '\0';

	ret = mapped_objs__parse(text, exe, out);
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
