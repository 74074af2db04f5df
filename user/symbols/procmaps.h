/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ELF objects mapped into a process, from /proc/PID/maps: one entry per file
 * with an executable mapping.
 */
#ifndef SPANTRACE_PROCMAPS_H
#define SPANTRACE_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A file as /proc/PID/maps names it. The kernel prints its superblock's
 * device, which stat() does not always report (btrfs subvolumes, overlayfs):
 * compare it only with another maps line.
 */
struct maps_file_id {
	uint32_t major, minor;
	uint64_t ino;
};

struct mapped_obj {
	char *path;	     /* as the maps file shows it, without " (deleted)" */
	bool deleted;	     /* maps says " (deleted)": unlinked since it was mapped */
	uint64_t start, end; /* its first executable mapping: /proc/PID/map_files/START-END */
	struct maps_file_id id;
};

struct mapped_objs {
	struct mapped_obj *v;
	size_t n;
};

/*
 * Parses maps text (the contents of /proc/PID/maps) into the list of
 * executable file mappings, one per file (device and inode), in the order
 * they appear.
 */
int mapped_objs__parse(const char *maps_text, struct mapped_objs *out);
/* Reads /proc/PID/maps. Returns 0 or a negative errno (-ESRCH: no such process). */
int mapped_objs__load(pid_t pid, struct mapped_objs *out);
void mapped_objs__free(struct mapped_objs *m);

/* The mapping of maps text that starts at start: 0 and its file's id, or -ENOENT. */
int maps__file_at(const char *maps_text, uint64_t start, struct maps_file_id *id);

/*
 * The flags field (the 9th) of /proc/PID/stat text: after the command name,
 * which may itself hold spaces and parentheses, so read from its last ')'.
 * 0, or -EINVAL for text not in that format.
 */
int procstat__flags(const char *stat_text, unsigned long *flags);
/* Set in those flags for a kernel thread (include/linux/sched.h). */
#define PROCSTAT_PF_KTHREAD 0x00200000ul

/* Reads a whole procfs file (they report size 0) into a NUL-terminated buffer. */
int procfs__read(const char *path, char **text);

#endif
