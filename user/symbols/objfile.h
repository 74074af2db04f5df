/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Opening the files a traced process maps, so that what spantrace reads and
 * probes is that very file. spantrace runs as root and the target may control
 * the paths (its own root, its own mount namespace, files it plants): a path
 * is never trusted to lead to the file the process runs.
 *
 * A file is opened once with O_PATH, which calls no driver's open and cannot
 * block on a FIFO; it must be a regular file; it is then reopened for reading
 * through /proc/self/fd, and kept open for the session. Its name
 * "/proc/self/fd/N" reaches that same inode for every later open (ELF symbols,
 * code bytes) and for the kernel's uprobe attach, which follows magic links.
 */
#ifndef SPANTRACE_OBJFILE_H
#define SPANTRACE_OBJFILE_H

#include <stddef.h>

#include "procmaps.h"

/*
 * path is a /proc magic link (/proc/PID/map_files/START-END, /proc/PID/exe):
 * the kernel resolves it to the file the process maps, with no lookup of the
 * target's path names, so it is followed. Otherwise a symlink at the end of
 * path is not followed: it is refused.
 */
#define OBJFILE_MAGIC_LINK 1u

/* An fd open for reading on the regular file at path, or -1 with why (and errno). */
int objfile__open(const char *path, unsigned int flags, char *why, size_t whylen);

/*
 * How /proc/PID/maps names fd's file: the kernel's own device and inode, found
 * by mapping one page of it read-only in this process for a moment (nothing is
 * read). stat() may report another device for the same file (btrfs
 * subvolumes, overlayfs), so a maps line is only ever compared with a maps
 * line. 0, or -1 with why.
 */
int objfile__maps_id(int fd, struct maps_file_id *id, char *why, size_t whylen);

/* 0 if fd's file is want (as maps names it); else -1 with why saying what it is instead. */
int objfile__check(int fd, const struct maps_file_id *want, char *why, size_t whylen);

/* "/proc/self/fd/N": a name for fd's inode that this process can open or attach to. */
char *objfile__fd_path(int fd);

#endif
