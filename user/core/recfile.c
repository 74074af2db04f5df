// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Record files of --save-records. See recfile.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "recfile.h"

static int put_u32(FILE *f, uint32_t v)
{
	return fwrite(&v, sizeof(v), 1, f) == 1 ? 0 : -1;
}

static int put_str(FILE *f, const char *s)
{
	if (!s)
		s = "";
	return fwrite(s, 1, strlen(s) + 1, f) == strlen(s) + 1 ? 0 : -1;
}

int recfile__write_header(FILE *f, uint32_t target_pid, const struct probe_table *probes)
{
	if (fwrite(RECFILE_MAGIC, 1, RECFILE_MAGIC_LEN, f) != RECFILE_MAGIC_LEN ||
	    put_u32(f, target_pid) || put_u32(f, (uint32_t)probes->n))
		return -1;
	for (size_t i = 0; i < probes->n; i++) {
		const struct probe *p = &probes->v[i];

		if (put_u32(f, (uint32_t)p->role) || put_u32(f, p->pair) || put_str(f, p->name) ||
		    put_str(f, p->func) || put_str(f, p->object))
			return -1;
	}
	return 0;
}

int recfile__write_record(FILE *f, const void *data, size_t size)
{
	uint32_t len = (uint32_t)size;

	if (fwrite_unlocked(&len, sizeof(len), 1, f) != 1 ||
	    fwrite_unlocked(data, 1, size, f) != size)
		return -1;
	return 0;
}

/* A u32 from f: 1, 0 at a clean end of file, -1 if it ends inside the u32 or fails. */
static int get_u32(FILE *f, uint32_t *v)
{
	size_t n = fread_unlocked(v, 1, sizeof(*v), f);

	if (n == sizeof(*v))
		return 1;
	return n == 0 && !ferror(f) ? 0 : -1;
}

/* A NUL-terminated string from f, NULL at the end or when out of memory. */
static char *get_str(FILE *f)
{
	char *s = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&s, &cap, '\0', f);

	if (n <= 0 || s[n - 1] != '\0') {
		free(s);
		return NULL;
	}
	return s;
}

/* The probe table of an open record file, after the magic. */
static int read_probes(struct recfile *rf, const char *path, char *err, size_t errlen)
{
	uint32_t n;

	if (get_u32(rf->f, &n) != 1) {
		errbuf__set(err, errlen, "%s: the probe table is cut short", path);
		return -1;
	}
	/* st_span.probe is a u32, but a table this large is a corrupt file */
	if (n > (1u << 24)) {
		errbuf__set(err, errlen, "%s: a table of %u probes cannot be right", path, n);
		return -1;
	}
	rf->probes.v = calloc(n ? n : 1, sizeof(*rf->probes.v));
	if (!rf->probes.v) {
		errbuf__set(err, errlen, "out of memory reading %s", path);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct probe *p = &rf->probes.v[i];
		uint32_t role, pair;

		rf->probes.n++;
		p->name_arg = -1;
		if (get_u32(rf->f, &role) != 1 || get_u32(rf->f, &pair) != 1 ||
		    !(p->name = get_str(rf->f)) || !(p->func = get_str(rf->f)) ||
		    !(p->object = get_str(rf->f))) {
			errbuf__set(err, errlen, "%s: the probe table is cut short", path);
			return -1;
		}
		p->role = (int)role;
		p->pair = pair;
		if (!p->object[0]) {
			free(p->object);
			p->object = NULL;
		}
	}
	return 0;
}

int recfile__open(FILE *f, const char *path, struct recfile *rf, char *err, size_t errlen)
{
	char magic[RECFILE_MAGIC_LEN];

	memset(rf, 0, sizeof(*rf));
	if (!f) {
		errbuf__set(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	rf->f = f;
	if (fread(magic, 1, sizeof(magic), rf->f) != sizeof(magic) ||
	    memcmp(magic, RECFILE_MAGIC, RECFILE_MAGIC_LEN)) {
		errbuf__set(err, errlen, "%s is not a record file (no %s header)", path,
			    RECFILE_MAGIC);
		goto fail;
	}
	if (get_u32(rf->f, &rf->target_pid) != 1) {
		errbuf__set(err, errlen, "%s: the header is cut short", path);
		goto fail;
	}
	if (read_probes(rf, path, err, errlen))
		goto fail;
	return 0;
fail:
	recfile__close(rf);
	return -1;
}

int recfile__read(struct recfile *rf, void *buf, size_t cap, uint32_t *size)
{
	size_t want;
	int r = get_u32(rf->f, size);

	if (r <= 0) {
		if (r < 0 && ferror(rf->f))
			return -1;
		rf->truncated = r < 0;
		return 0;
	}
	want = *size < cap ? *size : cap;
	if (fread_unlocked(buf, 1, want, rf->f) != want)
		goto short_read;
	/* read, not seek, past what does not fit: a seek would not see the file end */
	for (size_t left = *size - want; left;) {
		char skip[256];
		size_t n = left < sizeof(skip) ? left : sizeof(skip);

		if (fread_unlocked(skip, 1, n, rf->f) != n)
			goto short_read;
		left -= n;
	}
	rf->nrecords++;
	return 1;
short_read:
	if (ferror(rf->f))
		return -1;
	rf->truncated = true;
	return 0;
}

void recfile__close(struct recfile *rf)
{
	if (rf->f)
		fclose(rf->f);
	probe_table__free(&rf->probes);
	memset(rf, 0, sizeof(*rf));
}
