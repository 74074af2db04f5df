// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The search of /proc for a pipe's readers, a slice at a time. See procscan.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipereaders.h"
#include "procscan.h"
#include "tasks.h"
#include "util.h"

void procscan__init(struct procscan *s, struct pipereaders *pr, const struct tasks *tasks)
{
	memset(s, 0, sizeof(*s));
	s->proc = -1;
	s->pr = pr;
	s->tasks = tasks;
}

/* --- the traced processes, at the start of a pass ------------------------------ */

static void add_traced(void *ctx, struct task *t)
{
	struct procscan *s = ctx;

	if (t->exited || t->tid != t->pid)
		return;
	if (s->ntraced == s->cap_traced) {
		size_t cap = s->cap_traced ? 2 * s->cap_traced : 64;
		uint32_t *v = realloc(s->traced, cap * sizeof(*v));

		if (!v)
			return; /* the rest of the host still reads them */
		s->traced = v;
		s->cap_traced = cap;
	}
	s->traced[s->ntraced++] = t->pid;
}

static int cmp_pid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void collect_traced(struct procscan *s)
{
	s->ntraced = s->next_traced = 0;
	tasks__foreach(s->tasks, add_traced, s);
	qsort(s->traced, s->ntraced, sizeof(*s->traced), cmp_pid);
}

static bool in_traced(const struct procscan *s, uint32_t pid)
{
	return s->ntraced &&
	       bsearch(&pid, s->traced, s->ntraced, sizeof(*s->traced), cmp_pid) != NULL;
}

/* --- one process's fds ------------------------------------------------------------ */

static bool open_fds(struct procscan *s, uint32_t pid, bool traced)
{
	char path[48];

	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	s->fds = opendir(path);
	s->pid = pid;
	s->pid_traced = traced;
	s->procs_read++;
	return s->fds != NULL; /* gone meanwhile, or not ours to read */
}

/* Is fd (a name in /proc/PID/fd) open for reading? From /proc/PID/fdinfo/FD. */
static bool fd_reads(uint32_t pid, const char *fd)
{
	char path[300], line[128];
	unsigned int flags = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "flags: %o", &flags) == 1;
	fclose(f);
	return found && pipereaders__reads(flags);
}

/* Reads one fd of the open process; false at its end. */
static bool read_one_fd(struct procscan *s)
{
	struct dirent *de = readdir(s->fds);
	char link[64];
	uint64_t ino;
	ssize_t n;

	if (!de)
		return false;
	if (de->d_name[0] == '.')
		return true;
	s->fds_read++;
	n = readlinkat(dirfd(s->fds), de->d_name, link, sizeof(link) - 1);
	if (n <= 0)
		return true;
	link[n] = 0;
	ino = pipereaders__link_ino(link);
	if (pipereaders__wants(s->pr, ino) && fd_reads(s->pid, de->d_name))
		pipereaders__saw(s->pr, ino, s->pid,
				 s->pid_traced || tasks__get(s->tasks, s->pid) != NULL);
	return true;
}

static void close_fds(struct procscan *s)
{
	if (s->fds)
		closedir(s->fds);
	s->fds = NULL;
}

/* --- the pass ------------------------------------------------------------------------- */

static void close_proc(struct procscan *s)
{
	if (s->proc >= 0)
		close(s->proc);
	s->proc = -1;
	s->dents_len = s->dents_at = 0;
}

static void end_pass(struct procscan *s)
{
	close_fds(s);
	close_proc(s);
	pipereaders__end(s->pr, mono_ns());
	s->phase = SCAN_IDLE;
}

/* The next entry of /proc; NULL at its end. */
static const struct dirent64 *next_proc_entry(struct procscan *s)
{
	const struct dirent64 *de;

	if (s->dents_at == s->dents_len) {
		ssize_t n = getdents64(s->proc, s->dents, sizeof(s->dents));

		if (n <= 0)
			return NULL;
		s->dents_len = (size_t)n;
		s->dents_at = 0;
	}
	de = (const struct dirent64 *)(s->dents + s->dents_at);
	s->dents_at += de->d_reclen;
	return de;
}

/* The next process of the rest of the host, not traced at the start of the pass. */
static bool next_host_process(struct procscan *s, uint32_t *pid)
{
	const struct dirent64 *de;

	while ((de = next_proc_entry(s))) {
		char *end;
		unsigned long p = strtoul(de->d_name, &end, 10);

		if (end != de->d_name && !*end && p && p <= UINT32_MAX &&
		    !in_traced(s, (uint32_t)p)) {
			*pid = (uint32_t)p;
			return true;
		}
	}
	return false;
}

static void to_host(struct procscan *s)
{
	pipereaders__host(s->pr);
	s->phase = SCAN_HOST;
	s->proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->proc < 0)
		end_pass(s); /* nothing more to read: what was not found is not there */
}

/* Opens the next process to read, moving through the phases; false when the pass is over. */
static bool next_process(struct procscan *s)
{
	uint32_t pid;

	for (;;) {
		if (!pipereaders__searching(s->pr)) {
			end_pass(s);
			return false;
		}
		if (s->phase == SCAN_TRACED) {
			if (s->next_traced == s->ntraced) {
				to_host(s);
				if (s->phase == SCAN_IDLE)
					return false;
				continue;
			}
			if (open_fds(s, s->traced[s->next_traced++], true))
				return true;
		} else if (s->phase == SCAN_HOST) {
			if (!next_host_process(s, &pid)) {
				end_pass(s);
				return false;
			}
			if (open_fds(s, pid, false))
				return true;
		} else {
			return false;
		}
	}
}

bool procscan__step(struct procscan *s, uint64_t budget_ns)
{
	uint64_t deadline = mono_ns() + budget_ns;

	do {
		if (s->phase == SCAN_IDLE) {
			if (!pipereaders__begin(s->pr, mono_ns()))
				return false;
			collect_traced(s);
			s->phase = SCAN_TRACED;
		}
		if (!s->fds && !next_process(s))
			continue; /* the pass is over: maybe another is queued */
		if (!read_one_fd(s) || !pipereaders__searching(s->pr))
			close_fds(s);
	} while (mono_ns() < deadline);
	return pipereaders__busy(s->pr);
}

void procscan__free(struct procscan *s)
{
	if (!s->pr)
		return; /* never initialised: a zeroed struct, whose fd 0 is not ours */
	close_fds(s);
	close_proc(s);
	free(s->traced);
	s->traced = NULL;
	s->phase = SCAN_IDLE;
}
