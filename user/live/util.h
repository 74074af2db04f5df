/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small things the loader's modules share: messages, the clock, one-line files. */
#ifndef SPANTRACE_UTIL_H
#define SPANTRACE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One line on stderr, prefixed "spantrace: ". Lines only -v asks for: the
 * loader reads -v from the options and hands it, as a verbose argument, to
 * each call that may say such lines; no module keeps a copy of it.
 */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(), so BPF timestamps compare. */
uint64_t mono_ns(void);
/* The CPU time the calling thread has used, in ns. */
uint64_t thread_cpu_ns(void);
/* The first line of a file (e.g. /proc/PID/comm) without its newline; "" if unreadable. */
void util__read_line(const char *path, char *buf, size_t len);

/* An environment knob: set, non-empty and not "0". */
bool util__env_set(const char *name);

#endif
