/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the ELF fixtures in unit tests: whole files, and where a section is. */
#ifndef SPANTRACE_TEST_FIXTURE_FILES_H
#define SPANTRACE_TEST_FIXTURE_FILES_H

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads a whole file into a malloc'ed buffer. */
static inline unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf;
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* File offset, address (addr may be NULL) and size of the section called name, with libelf. */
static inline void section_of(const char *path, const char *name, uint64_t *off, uint64_t *addr,
			      uint64_t *size)
{
	int fd = open(path, O_RDONLY);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	Elf *elf;

	*off = *size = 0;
	if (addr)
		*addr = 0;
	assert_true(fd >= 0);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		assert_non_null(gelf_getshdr(scn, &sh));
		if (!strcmp(elf_strptr(elf, shstrndx, sh.sh_name), name)) {
			*off = sh.sh_offset;
			if (addr)
				*addr = sh.sh_addr;
			*size = sh.sh_size;
			elf_end(elf);
			close(fd);
			return;
		}
	}
	fail_msg("no %s in %s", name, path);
}

#endif
