// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Whether exceptions can unwind through the target's frames. See unwind.h. */
#include <stdio.h>
#include <string.h>

#include "elfsym.h"
#include "unwind.h"

/* Libraries whose presence means an unwinder, by the start of their file name. */
static const char *const unwinder_libs[] = { "libgcc_s.so", "libstdc++.so", "libc++abi.so",
					     "libunwind.so" };

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool unwinder_lib(const char *path)
{
	for (size_t i = 0; i < sizeof(unwinder_libs) / sizeof(unwinder_libs[0]); i++)
		if (strncmp(base_name(path), unwinder_libs[i], strlen(unwinder_libs[i])) == 0)
			return true;
	return false;
}

/* The executable defines the unwinder itself (linked statically). */
static bool has_own_unwinder(const char *path)
{
	struct elf_funcs fs;
	char why[128];
	bool found = false;

	if (elf_funcs__load(path, &fs, why, sizeof(why)))
		return false;
	for (size_t i = 0; i < fs.n && !found; i++)
		found = strcmp(fs.v[i].name, "_Unwind_RaiseException") == 0;
	elf_funcs__free(&fs);
	return found;
}

static void add(struct unwind_info *u, const struct target_obj *o, const char *what)
{
	if (!u->present)
		snprintf(u->why, sizeof(u->why), "%s %s", base_name(o->path), what);
	u->present = true;
	if (o->open_path && u->nobjs < UNWIND_MAX_OBJS)
		u->objs[u->nobjs++] = o->open_path;
}

size_t unwind__candidates(const struct target_obj *objs, size_t nobjs, size_t *idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nobjs && n < max; i++)
		if (objs[i].is_main || unwinder_lib(objs[i].path))
			idx[n++] = i;
	return n;
}

void unwind__detect(const struct target_obj *objs, size_t nobjs, struct unwind_info *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nobjs; i++)
		if (unwinder_lib(objs[i].path))
			add(out, &objs[i], "is mapped");
	for (size_t i = 0; i < nobjs; i++)
		if (objs[i].is_main && objs[i].open_path && has_own_unwinder(objs[i].open_path))
			add(out, &objs[i], "has an unwinder linked in");
}
