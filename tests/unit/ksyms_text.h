/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel symbols for unit tests, from kallsyms-format text. Include after cmocka.h. */
#ifndef SPANTRACE_TEST_KSYMS_TEXT_H
#define SPANTRACE_TEST_KSYMS_TEXT_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kallsyms.h"

/* The symbols of text, loaded through a temporary file as from /proc/kallsyms. */
static inline struct ksyms *ksyms_from_text(const char *text)
{
	char path[] = "/tmp/test_ksyms_text.XXXXXX", err[256] = "";
	size_t len = strlen(text);
	struct ksyms *k;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	k = ksyms__load(path, err, sizeof(err));
	unlink(path);
	if (!k)
		print_error("ksyms__load: %s\n", err);
	assert_non_null(k);
	return k;
}

#endif
