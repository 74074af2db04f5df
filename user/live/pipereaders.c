// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Who holds a pipe's read end, as a search of /proc finds out. See pipereaders.h. */

#include <fcntl.h>

#include "pipereaders.h"

static struct pipe_readers *find(const struct pipereaders *pr, uint64_t ino)
{
	for (size_t i = 0; i < PIPEREADERS_MAX; i++)
		if (pr->v[i].ino == ino)
			return (struct pipe_readers *)&pr->v[i];
	return NULL;
}

/* A free slot, else the least recently asked, not searched for if there is one. */
static struct pipe_readers *slot_for(struct pipereaders *pr)
{
	struct pipe_readers *idle = NULL, *any = NULL;

	for (size_t i = 0; i < PIPEREADERS_MAX; i++) {
		struct pipe_readers *e = &pr->v[i];

		if (!e->ino)
			return e;
		if (!any || e->asked < any->asked)
			any = e;
		if (e->search == PIPE_IDLE && (!idle || e->asked < idle->asked))
			idle = e;
	}
	return idle ? idle : any;
}

bool pipereaders__ask(struct pipereaders *pr, uint64_t ino, uint32_t writer, uint64_t now,
		      uint64_t max_age, uint32_t *pid)
{
	struct pipe_readers *e = find(pr, ino);
	bool stale;

	if (!ino)
		return false;
	if (!e) {
		e = slot_for(pr);
		*e = (struct pipe_readers){ .ino = ino };
	}
	e->writer = writer;
	e->asked = now;
	stale = !e->known || (max_age && now - e->found_at >= max_age &&
			      now - e->found_at >= PIPEREADERS_REST * pr->last_pass_ns);
	if (stale && e->search == PIPE_IDLE)
		e->search = PIPE_QUEUED;
	if (e->known)
		*pid = e->pid;
	return e->known;
}

bool pipereaders__begin(struct pipereaders *pr, uint64_t now)
{
	bool any = false;

	if (pipereaders__searching(pr))
		return true;
	for (size_t i = 0; i < PIPEREADERS_MAX; i++) {
		struct pipe_readers *e = &pr->v[i];

		if (e->ino && e->search == PIPE_QUEUED) {
			e->search = PIPE_SEARCHING;
			e->best = 0;
			e->best_score = -1;
			any = true;
		}
	}
	if (any) {
		pr->host = false;
		pr->pass_start = now;
	}
	return any;
}

bool pipereaders__wants(const struct pipereaders *pr, uint64_t ino)
{
	const struct pipe_readers *e = ino ? find(pr, ino) : NULL;

	return e && e->search == PIPE_SEARCHING;
}

static void settle(struct pipereaders *pr, struct pipe_readers *e)
{
	e->known = true;
	e->pid = e->best_score >= 0 ? e->best : 0;
	e->found_at = pr->pass_start;
	e->search = PIPE_IDLE;
}

void pipereaders__saw(struct pipereaders *pr, uint64_t ino, uint32_t pid, bool traced)
{
	struct pipe_readers *e = ino ? find(pr, ino) : NULL;
	int score;

	if (!e || e->search != PIPE_SEARCHING)
		return;
	score = (pid != e->writer) * 2 + traced;
	if (score > e->best_score) {
		e->best = pid;
		e->best_score = score;
	}
	/* nothing better can come: a traced reader, or past the traced processes any other */
	if (e->best_score == 3 || (pr->host && e->best_score == 2))
		settle(pr, e);
}

void pipereaders__host(struct pipereaders *pr)
{
	pr->host = true;
	/* an untraced reader seen among the traced ones (a pid reused meanwhile) is as good */
	for (size_t i = 0; i < PIPEREADERS_MAX; i++)
		if (pr->v[i].search == PIPE_SEARCHING && pr->v[i].best_score == 2)
			settle(pr, &pr->v[i]);
}

size_t pipereaders__searching(const struct pipereaders *pr)
{
	size_t n = 0;

	for (size_t i = 0; i < PIPEREADERS_MAX; i++)
		n += pr->v[i].ino && pr->v[i].search == PIPE_SEARCHING;
	return n;
}

void pipereaders__end(struct pipereaders *pr, uint64_t now)
{
	pr->last_pass_ns = now > pr->pass_start ? now - pr->pass_start : 0;
	for (size_t i = 0; i < PIPEREADERS_MAX; i++)
		if (pr->v[i].ino && pr->v[i].search == PIPE_SEARCHING)
			settle(pr, &pr->v[i]);
	pr->host = false;
	pr->passes++;
}

bool pipereaders__busy(const struct pipereaders *pr)
{
	for (size_t i = 0; i < PIPEREADERS_MAX; i++)
		if (pr->v[i].ino && pr->v[i].search != PIPE_IDLE)
			return true;
	return false;
}

uint64_t pipereaders__link_ino(const char *link)
{
	static const char prefix[] = "pipe:[";
	uint64_t ino = 0;
	const char *p;

	for (size_t i = 0; i < sizeof(prefix) - 1; i++)
		if (link[i] != prefix[i])
			return 0;
	for (p = link + sizeof(prefix) - 1; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (ino > (UINT64_MAX - digit) / 10)
			return 0;
		ino = ino * 10 + digit;
	}
	return p[0] == ']' && !p[1] ? ino : 0;
}

bool pipereaders__reads(unsigned int flags)
{
	/* O_RDWR too: the kernel counts such an opener among the pipe's readers */
	return (flags & O_ACCMODE) == O_RDONLY || (flags & O_ACCMODE) == O_RDWR;
}
