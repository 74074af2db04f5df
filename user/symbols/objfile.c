// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Opening the files a traced process maps. See objfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "objfile.h"

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "not a regular file";
	}
}

int objfile__open(const char *path, unsigned int flags, char *why, size_t whylen)
{
	int nofollow = flags & OBJFILE_MAGIC_LINK ? 0 : O_NOFOLLOW;
	int opath = open(path, O_PATH | O_CLOEXEC | nofollow), fd, e;
	char self[32];
	struct stat st;

	if (opath < 0) {
		e = errno;
		errbuf__set(why, whylen, "%s", strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(opath, &st)) {
		e = errno;
		errbuf__set(why, whylen, "cannot stat it: %s", strerror(e));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		errbuf__set(why, whylen, "it is %s, not a regular file", file_kind(st.st_mode));
		goto fail;
	}
	/* The O_PATH fd pins the inode: this reopens that file, whatever its path is now. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", opath);
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		errbuf__set(why, whylen, "%s", strerror(e));
		goto fail;
	}
	close(opath);
	return fd;
fail:
	close(opath);
	errno = e;
	return -1;
}

int objfile__maps_id(int fd, struct maps_file_id *id, char *why, size_t whylen)
{
	long page = sysconf(_SC_PAGESIZE);
	void *at = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, fd, 0);
	char *text = NULL;
	int r;

	if (at == MAP_FAILED) {
		errbuf__set(why, whylen, "cannot map it: %s", strerror(errno));
		return -1;
	}
	r = procfs__read("/proc/self/maps", &text);
	if (!r)
		r = maps__file_at(text, (uint64_t)(unsigned long)at, id);
	munmap(at, (size_t)page);
	free(text);
	if (r) {
		errbuf__set(why, whylen, "cannot find how /proc/self/maps names it: %s",
			    strerror(-r));
		return -1;
	}
	return 0;
}

int objfile__check(int fd, const struct maps_file_id *want, char *why, size_t whylen)
{
	struct maps_file_id got;

	if (objfile__maps_id(fd, &got, why, whylen))
		return -1;
	if (got.major == want->major && got.minor == want->minor && got.ino == want->ino)
		return 0;
	errbuf__set(why, whylen,
		    "it is device %02x:%02x inode %llu, not %02x:%02x inode %llu as its maps line "
		    "says",
		    got.major, got.minor, (unsigned long long)got.ino, want->major, want->minor,
		    (unsigned long long)want->ino);
	return -1;
}

char *objfile__fd_path(int fd)
{
	char *p;

	return asprintf(&p, "/proc/self/fd/%d", fd) < 0 ? NULL : p;
}
