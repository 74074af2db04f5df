/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel function symbols from a /proc/kallsyms-format file, to turn the
 * addresses of a kernel stack into "function+0xoff" and to ask whether a
 * kernel function exists. Pure C on text already read: tests feed it fixtures.
 */
#ifndef SPANTRACE_KSYMS_H
#define SPANTRACE_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms;

/*
 * The text symbols (types t, T, w, W) of kallsyms text already read (see
 * kallsyms.h for reading the file): buf, len bytes from malloc(), which the
 * result takes over (parsed in place), freed on failure too. Data symbols
 * are skipped, and so are symbols at address 0. NULL with a one-line reason
 * in err: "out of memory", "no symbols", "no function symbols", or, when
 * every address is 0, "kernel addresses are hidden (kernel.kptr_restrict);
 * run as root".
 */
struct ksyms *ksyms__from_text(char *buf, size_t len, char *err, size_t errlen);

/*
 * The symbol containing addr: the one with the greatest start <= addr, its
 * offset into it in *off (off may be NULL). NULL if addr is below the first
 * symbol. Without symbol sizes there is no upper bound: an address past the
 * last function is attributed to it. Where several symbols share a start,
 * a global one (T, W) wins over a local one, then the first in the file.
 * The name is owned by k. k may be NULL (no symbols): NULL.
 */
const char *ksyms__lookup(const struct ksyms *k, uint64_t addr, uint64_t *off);

/*
 * Writes "function+0xoff" for addr (offset in hex, "+0x0" at a symbol's
 * start) or "0xADDR" when no symbol contains it into buf, always
 * NUL-terminated when len > 0. Module symbols keep their name only, without
 * " [module]". Returns the length the full string needs, like snprintf.
 * k may be NULL, so stacks still print, as bare addresses, without kallsyms.
 */
int ksyms__format(const struct ksyms *k, uint64_t addr, char *buf, size_t len);

/*
 * Start address of the text symbol named exactly name, 0 if there is none:
 * how the caller learns whether a kernel function exists (pipe_write vs
 * anon_pipe_write). Weak symbols (w, W) count, they are functions too. When
 * several symbols have the name (static functions of different files), a
 * global one wins, then the first in the file. k may be NULL: 0.
 */
uint64_t ksyms__addr(const struct ksyms *k, const char *name);

/* Frees k and every name it returned. NULL is allowed. */
void ksyms__free(struct ksyms *k);

#endif
