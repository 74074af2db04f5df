/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ELF objects mapped into a process, from /proc/PID/maps: one entry per file
 * with an executable mapping.
 */
#ifndef SPANTRACE_PROCMAPS_H
#define SPANTRACE_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mapped_obj {
	char *path;	/* as the process sees it (its mount namespace) */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	int is_main;	/* the process's executable (/proc/PID/exe) */
};

struct mapped_objs {
	struct mapped_obj *v;
	size_t n;
};

/*
 * Parses maps text (the contents of /proc/PID/maps) into the list of
 * executable file mappings, deduplicated by path, in the order they appear.
 * exe_path, if not NULL, marks the entry whose path equals it as is_main.
 */
int mapped_objs__parse(const char *maps_text, const char *exe_path, struct mapped_objs *out);
/* Reads /proc/PID/maps and /proc/PID/exe. Returns 0 or a negative errno. */
int mapped_objs__load(pid_t pid, struct mapped_objs *out);
void mapped_objs__free(struct mapped_objs *m);

#endif
