// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracefs.h"

#define TRACEFS_MAGIC 0x74726163 /* include/uapi/linux/magic.h */

/*
 * A directory fd on tracefs where it is mounted, /sys/kernel/tracing, or -1
 * (an empty mount point is not tracefs). Not debugfs's tracing directory: a
 * look there can mount tracefs on the host (it is an automount point).
 */
static int mounted_tracefs(void)
{
	int fd = open("/sys/kernel/tracing", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs st;

	if (fd >= 0 && (fstatfs(fd, &st) || st.f_type != TRACEFS_MAGIC)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A tracefs mount attached nowhere: an fd on its root, or -errno. */
static int detached_tracefs(void)
{
	int fs, mnt, err;

	fs = (int)syscall(SYS_fsopen, "tracefs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		err = -errno;
		close(fs);
		return err;
	}
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	err = -errno;
	close(fs);
	return mnt < 0 ? err : mnt;
}

/* The id of event group/name under the tracefs root dir: > 0, or -errno. */
static int read_id(int dir, const char *group, const char *name)
{
	char path[256], buf[32], *end;
	ssize_t len;
	long id;
	int fd;

	snprintf(path, sizeof(path), "events/%s/%s/id", group, name);
	fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return len < 0 ? -errno : -ENODATA;
	buf[len] = '\0';
	id = strtol(buf, &end, 10);
	return id > 0 && id < 1L << 30 && (*end == '\n' || !*end) ? (int)id : -EINVAL;
}

int tracefs__event_ids(const char *group, const char *const *names, size_t n, int *ids,
		       char *why, size_t whylen)
{
	int dir = mounted_tracefs(), r = 0;

	if (dir < 0)
		dir = detached_tracefs();
	if (dir < 0) {
		snprintf(why, whylen, "tracefs is not mounted and could not be: %s",
			 strerror(-dir));
		return -1;
	}
	for (size_t i = 0; i < n && !r; i++) {
		ids[i] = read_id(dir, group, names[i]);
		if (ids[i] < 0) {
			snprintf(why, whylen, "no tracefs event %s/%s (%s)%s", group, names[i],
				 strerror(-ids[i]),
				 ids[i] == -ENOENT && !strcmp(group, "syscalls") ?
					 ": the kernel needs CONFIG_FTRACE_SYSCALLS" :
					 "");
			r = -1;
		}
	}
	close(dir);
	return r;
}
