/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ids of tracefs events (tracefs events/GROUP/NAME/id, the config of a
 * PERF_TYPE_TRACEPOINT perf event), read where tracefs is mounted
 * (/sys/kernel/tracing), or else from a mount of tracefs made for the purpose
 * and attached to no directory (fsopen/fsmount, Linux 5.2), gone once read:
 * the host's mounts stay as they were.
 */
#ifndef SPANTRACE_TRACEFS_H
#define SPANTRACE_TRACEFS_H

#include <stddef.h>

/*
 * Fills ids[i] with the id of event group/names[i] for each of the n names.
 * Returns 0, or -1 with why (which event, what failed) when any is missing.
 */
int tracefs__event_ids(const char *group, const char *const *names, size_t n, int *ids,
		       char *why, size_t whylen);

#endif
