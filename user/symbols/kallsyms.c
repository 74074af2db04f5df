// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading a kallsyms file. See kallsyms.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "kallsyms.h"

/*
 * Reads all of fd into a malloc'd buffer. /proc files report a size of 0,
 * so the buffer grows as it fills; large reads let seq_file hand over many
 * lines per call. Returns 0 with *out and *outlen set, or -errno.
 */
static int file__slurp(int fd, char **out, size_t *outlen)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t n;
	int ret;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			free(buf);
			return ret;
		}
		if (n == 0)
			break;
		len += n;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

struct ksyms *ksyms__load(const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errbuf__set(err, errlen, "cannot open: %s", strerror(errno));
		return NULL;
	}
	ret = file__slurp(fd, &buf, &len);
	close(fd);
	if (ret == -ENOMEM) {
		errbuf__set(err, errlen, "out of memory");
		return NULL;
	}
	if (ret) {
		errbuf__set(err, errlen, "cannot read: %s", strerror(-ret));
		return NULL;
	}
	return ksyms__from_text(buf, len, err, errlen);
}
