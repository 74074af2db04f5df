/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Goroutines as tasks of the trace. A goroutine is (process, goid); the trace
 * gives it a track id of its own, above any kernel tid, so its spans nest on
 * one track whichever threads it runs on. Pure: the loader feeds it.
 */
#ifndef SPANTRACE_GOROUTINES_H
#define SPANTRACE_GOROUTINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Track ids of goroutines start here; kernel tids stay below (pid_max <= 2^22). */
#define GOR_TID_BASE 0x40000000u

struct gor {
	uint32_t pid;
	uint64_t goid;
	uint32_t tid;	      /* track id, >= GOR_TID_BASE */
	bool named;	      /* its track name has been written */
	bool created;	      /* its creation was seen: parent_* and created_ts hold */
	uint64_t parent_goid;
	uint64_t created_ts;
};

struct goroutines;

struct goroutines *gor__new(void);
void gor__free(struct goroutines *g);
/* The goroutine, created (with a fresh track id) if new; NULL when out of memory. */
struct gor *gor__get(struct goroutines *g, uint32_t pid, uint64_t goid);
/* The goroutine if known, else NULL. */
struct gor *gor__find(const struct goroutines *g, uint32_t pid, uint64_t goid);
/* Forgets it (it ended: goids are never reused). */
void gor__remove(struct goroutines *g, uint32_t pid, uint64_t goid);
size_t gor__count(const struct goroutines *g);

static inline bool gor__is_tid(uint32_t tid)
{
	return tid >= GOR_TID_BASE;
}

#endif
