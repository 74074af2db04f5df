/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading a kallsyms file into the kernel symbol table of ksyms.h. */
#ifndef SPANTRACE_KALLSYMS_H
#define SPANTRACE_KALLSYMS_H

#include <stddef.h>

#include "ksyms.h"

/*
 * Loads the text symbols (types t, T, w, W) of a kallsyms-format file, path
 * normally "/proc/kallsyms"; data symbols are skipped, and so are symbols at
 * address 0. Returns NULL with a one-line reason in err: "cannot open: <errno
 * text>", "cannot read: <errno text>", or one of ksyms__from_text's.
 */
struct ksyms *ksyms__load(const char *path, char *err, size_t errlen);

#endif
