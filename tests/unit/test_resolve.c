/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * resolve: SPECs against the ELF fixtures built by `make fixtures`
 * (FIXTURE_DIR), seen by a fake target under other paths; the probe sets and
 * every error message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"
#include "resolve.h"
#include "spec.h"

#define FX(name) FIXTURE_DIR "/" name
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_SPECS 8

/* What the target maps: fixtures under the paths the target would see. */
static const struct target_obj std_objs[] = {
	{ .path = "/usr/lib/libfx.so.1", .open_path = FX("libfx.so") },
	{ .path = "/usr/bin/fx", .open_path = FX("fx_pie"), .is_main = true },
	{ .path = "/lib/x86_64-linux-gnu/libc.so.6", .open_path = FX("does_not_exist") },
};

struct want {
	const char *func;
	const char *object;    /* target path */
	const char *open_path; /* fixture */
};

/* Each text is a SPEC; one that starts with '!' is an exclusion (-x). */
static void parse_specs(const char *const *texts, size_t n, struct spec *specs)
{
	char err[256] = "";
	size_t i;

	assert_true(n <= MAX_SPECS);
	for (i = 0; i < n; i++) {
		bool x = texts[i][0] == '!';

		assert_int_equal(spec__parse(texts[i] + x, &specs[i], err, sizeof(err)), 0);
		assert_string_equal(err, "");
		if (x)
			specs[i].role = SPEC_EXCLUDE;
	}
}

static void free_specs(struct spec *specs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		spec__free(&specs[i]);
}

/* Runs resolve__specs on the spec texts; returns its result, err and the table filled. */
static int resolve(const char *const *texts, size_t n, const struct target_obj *objs,
		   size_t nobjs, struct probe_table *t, char *err, size_t errlen)
{
	struct spec specs[MAX_SPECS];
	int ret;

	parse_specs(texts, n, specs);
	err[0] = '\0';
	ret = resolve__specs(specs, n, objs, nobjs, t, err, errlen);
	free_specs(specs, n);
	return ret;
}

/* The function as elf_funcs__load sees it in path. */
static void lookup(const char *path, const char *func, uint64_t *addr, uint64_t *offset)
{
	struct elf_funcs fs;
	char err[256] = "";
	size_t i, hits = 0;

	assert_int_equal(elf_funcs__load(path, &fs, err, sizeof(err)), 0);
	for (i = 0; i < fs.n; i++) {
		if (strcmp(fs.v[i].name, func))
			continue;
		*addr = fs.v[i].addr;
		*offset = fs.v[i].offset;
		hits++;
	}
	elf_funcs__free(&fs);
	if (hits != 1)
		print_error("%s: %zu symbols named %s\n", path, hits, func);
	assert_int_equal(hits, 1);
}

static size_t count_funcs(const char *path)
{
	struct elf_funcs fs;
	char err[256] = "";
	size_t n;

	assert_int_equal(elf_funcs__load(path, &fs, err, sizeof(err)), 0);
	n = fs.n;
	elf_funcs__free(&fs);
	return n;
}

/* The table is exactly want[], in any order, with elf_funcs__load's offsets. */
static void assert_probes(const struct probe_table *t, const struct want *want, size_t nwant)
{
	size_t i, j;

	if (t->n != nwant) {
		for (i = 0; i < t->n; i++)
			print_error("probe %zu: %s in %s\n", i, t->v[i].func, t->v[i].object);
	}
	assert_int_equal(t->n, nwant);
	for (i = 0; i < nwant; i++) {
		const struct probe *p = NULL;
		uint64_t addr, offset;

		for (j = 0; j < t->n; j++) {
			if (!strcmp(t->v[j].func, want[i].func) &&
			    !strcmp(t->v[j].object, want[i].object)) {
				assert_null(p);
				p = &t->v[j];
			}
		}
		if (!p)
			print_error("no probe %s in %s\n", want[i].func, want[i].object);
		assert_non_null(p);
		/* C names are shown as they are. */
		assert_string_equal(p->name, want[i].func);
		assert_string_equal(p->open_path, want[i].open_path);
		lookup(want[i].open_path, want[i].func, &addr, &offset);
		assert_int_equal(p->addr, addr);
		assert_int_equal(p->offset, offset);
	}
}

static void resolve_ok(const char *const *texts, size_t n, const struct target_obj *objs,
		       size_t nobjs, const struct want *want, size_t nwant)
{
	struct probe_table t = { 0 };
	char err[1024];
	int ret = resolve(texts, n, objs, nobjs, &t, err, sizeof(err));

	if (ret)
		print_error("resolve__specs: %s\n", err);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
	assert_probes(&t, want, nwant);
	probe_table__free(&t);
	assert_null(t.v);
	assert_int_equal(t.n, 0);
}

/* Fails with exactly msg; the table may hold earlier specs' probes and is freed. */
static void resolve_err(const char *const *texts, size_t n, const struct target_obj *objs,
			size_t nobjs, const char *msg)
{
	struct probe_table t = { 0 };
	char err[1024];

	assert_int_equal(resolve(texts, n, objs, nobjs, &t, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
	assert_null(strchr(err, '\n'));
	probe_table__free(&t);
}

#define MAIN(f) { f, "/usr/bin/fx", FX("fx_pie") }
#define LIB(f) { f, "/usr/lib/libfx.so.1", FX("libfx.so") }

static void test_plain_name(void **state)
{
	static const char *const s[] = { "fx_alpha" };
	static const struct want w[] = { MAIN("fx_alpha") };

	resolve_ok(s, 1, std_objs, ARRAY_SIZE(std_objs), w, ARRAY_SIZE(w));
}

static void test_glob(void **state)
{
	static const char *const s[] = { "fx_*" };
	/* fx_local_static is static: still in .symtab. */
	static const struct want w[] = {
		MAIN("fx_alpha"), MAIN("fx_beta"), MAIN("fx_gamma"), MAIN("fx_local_static"),
	};
	static const char *const s2[] = { "fx_?eta" };
	static const struct want w2[] = { MAIN("fx_beta") };

	resolve_ok(s, 1, std_objs, ARRAY_SIZE(std_objs), w, ARRAY_SIZE(w));
	resolve_ok(s2, 1, std_objs, ARRAY_SIZE(std_objs), w2, ARRAY_SIZE(w2));
}

static void test_overlapping_specs(void **state)
{
	static const char *const s[] = { "fx_a*", "fx_[ab]*", "fx_alpha" };
	static const struct want w[] = { MAIN("fx_alpha"), MAIN("fx_beta") };
	static const char *const s2[] = { "fx_*", "fx_gamma", "libfx:fxlib_t*", "libfx.so:*two" };
	static const struct want w2[] = {
		MAIN("fx_alpha"), MAIN("fx_beta"), MAIN("fx_gamma"), MAIN("fx_local_static"),
		LIB("fxlib_two"),
	};

	resolve_ok(s, ARRAY_SIZE(s), std_objs, ARRAY_SIZE(std_objs), w, ARRAY_SIZE(w));
	resolve_ok(s2, ARRAY_SIZE(s2), std_objs, ARRAY_SIZE(std_objs), w2, ARRAY_SIZE(w2));
}

/* A second call appends to the table, still without duplicates. */
static void test_append(void **state)
{
	static const char *const s1[] = { "fx_alpha", "libfx:fxlib_one" };
	static const char *const s2[] = { "fx_[ab]*" };
	static const struct want w[] = {
		MAIN("fx_alpha"), LIB("fxlib_one"), MAIN("fx_beta"),
	};
	struct probe_table t = { 0 };
	char err[1024];

	assert_int_equal(resolve(s1, 2, std_objs, ARRAY_SIZE(std_objs), &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(resolve(s2, 1, std_objs, ARRAY_SIZE(std_objs), &t, err, sizeof(err)), 0);
	assert_probes(&t, w, ARRAY_SIZE(w));
	/* Order of discovery is kept. */
	assert_string_equal(t.v[0].func, "fx_alpha");
	assert_string_equal(t.v[1].func, "fxlib_one");
	assert_string_equal(t.v[2].func, "fx_beta");
	probe_table__free(&t);
}

static void test_library_by_prefix(void **state)
{
	static const char *const s[] = { "libfx:fxlib_*" };
	/* fxlib_hidden is a local .symtab symbol of the unstripped library. */
	static const struct want w[] = {
		LIB("fxlib_hidden"), LIB("fxlib_one"), LIB("fxlib_two"),
	};
	static const char *const s2[] = { "libf:fxlib_one", "libfx.so.1:fxlib_two" };
	static const struct want w2[] = { LIB("fxlib_one"), LIB("fxlib_two") };

	resolve_ok(s, 1, std_objs, ARRAY_SIZE(std_objs), w, ARRAY_SIZE(w));
	resolve_ok(s2, 2, std_objs, ARRAY_SIZE(std_objs), w2, ARRAY_SIZE(w2));
}

static void test_library_by_path(void **state)
{
	static const char *const s[] = { "/usr/lib/libfx.so.1:fxlib_one" };
	static const struct want w[] = { LIB("fxlib_one") };
	/* The main executable named explicitly, by prefix and by path. */
	static const char *const s2[] = { "fx:fx_beta", "/usr/bin/fx:fx_gamma" };
	static const struct want w2[] = { MAIN("fx_beta"), MAIN("fx_gamma") };

	resolve_ok(s, 1, std_objs, ARRAY_SIZE(std_objs), w, ARRAY_SIZE(w));
	resolve_ok(s2, 2, std_objs, ARRAY_SIZE(std_objs), w2, ARRAY_SIZE(w2));
}

static void test_main_without_object(void **state)
{
	/* The main executable is not first; non-PIE this time. */
	static const struct target_obj objs[] = {
		{ .path = "/opt/lib/libfx.so", .open_path = FX("libfx.so") },
		{ .path = "/opt/bin/fx_nopie", .open_path = FX("fx_nopie"), .is_main = true },
	};
	static const char *const s[] = { "fx_*", "main" };
	static const struct want w[] = {
		{ "fx_alpha", "/opt/bin/fx_nopie", FX("fx_nopie") },
		{ "fx_beta", "/opt/bin/fx_nopie", FX("fx_nopie") },
		{ "fx_gamma", "/opt/bin/fx_nopie", FX("fx_nopie") },
		{ "fx_local_static", "/opt/bin/fx_nopie", FX("fx_nopie") },
		{ "main", "/opt/bin/fx_nopie", FX("fx_nopie") },
	};
	uint64_t addr, offset;

	resolve_ok(s, 2, objs, ARRAY_SIZE(objs), w, ARRAY_SIZE(w));
	/* Non-PIE: the uprobe offset is a file offset, not the virtual address. */
	lookup(FX("fx_nopie"), "fx_alpha", &addr, &offset);
	assert_true(addr != offset);
}

/*
 * A deleted object (a daemon's executable replaced by an upgrade) is matched
 * by its path and named "PATH (deleted)" in its probes, as the kernel names
 * it; an object not opened (no open_path) cannot be read.
 */
static void test_deleted_and_unopened(void **state)
{
	static const struct target_obj objs[] = {
		{ .path = "/usr/lib/libfx.so.1", .open_path = FX("libfx.so"), .deleted = true },
		{ .path = "/usr/bin/fx", .open_path = FX("fx_pie"), .is_main = true,
		  .deleted = true },
		{ .path = "/usr/lib/libother.so" },
	};
	static const char *const s[] = { "fx_alpha", "/usr/lib/libfx.so.1:fxlib_one" };
	static const struct want w[] = {
		{ "fx_alpha", "/usr/bin/fx (deleted)", FX("fx_pie") },
		{ "fxlib_one", "/usr/lib/libfx.so.1 (deleted)", FX("libfx.so") },
	};
	static const char *const other[] = { "libother:f" };

	resolve_ok(s, 2, objs, ARRAY_SIZE(objs), w, ARRAY_SIZE(w));
	resolve_err(other, 1, objs, ARRAY_SIZE(objs),
		    "cannot read symbols of /usr/lib/libother.so: it was not opened");
}

static void test_stripped(void **state)
{
	static const struct target_obj objs[] = {
		{ .path = "/usr/bin/fx", .open_path = FX("fx_pie_stripped"), .is_main = true },
		{ .path = "/usr/lib/libfx.so.1", .open_path = FX("libfx_stripped.so") },
	};
	static const char *const s[] = { "fx_*", "libfx:fxlib_*" };
	/* Only the exported (.dynsym) names are left. */
	static const struct want w[] = {
		{ "fx_alpha", "/usr/bin/fx", FX("fx_pie_stripped") },
		{ "fx_beta", "/usr/bin/fx", FX("fx_pie_stripped") },
		{ "fx_gamma", "/usr/bin/fx", FX("fx_pie_stripped") },
		{ "fxlib_one", "/usr/lib/libfx.so.1", FX("libfx_stripped.so") },
		{ "fxlib_two", "/usr/lib/libfx.so.1", FX("libfx_stripped.so") },
	};
	static const char *const hidden[] = { "libfx:fxlib_hidden" };
	static const char *const local[] = { "fx_local_static" };
	uint64_t a1, o1, a2, o2;
	char msg[512];

	resolve_ok(s, 2, objs, ARRAY_SIZE(objs), w, ARRAY_SIZE(w));
	/* Stripping keeps the code where it was. */
	lookup(FX("fx_pie_stripped"), "fx_gamma", &a1, &o1);
	lookup(FX("fx_pie"), "fx_gamma", &a2, &o2);
	assert_int_equal(o1, o2);

	snprintf(msg, sizeof(msg),
		 "'fxlib_hidden' matches no function in /usr/lib/libfx.so.1 (searched .dynsym: "
		 "%zu functions)",
		 count_funcs(FX("libfx_stripped.so")));
	resolve_err(hidden, 1, objs, ARRAY_SIZE(objs), msg);

	snprintf(msg, sizeof(msg),
		 "'fx_local_static' matches no function in /usr/bin/fx (searched .dynsym: "
		 "%zu functions)",
		 count_funcs(FX("fx_pie_stripped")));
	resolve_err(local, 1, objs, ARRAY_SIZE(objs), msg);
}

static void test_no_match(void **state)
{
	static const char *const s[] = { "fx_alpah" };
	static const char *const s2[] = { "fx_alpha", "libfx:zzqqxxyyww*" };
	static const char *const s3[] = { "libfx:fxlib_" };
	char msg[512];

	snprintf(msg, sizeof(msg),
		 "'fx_alpah' matches no function in /usr/bin/fx (searched .symtab and .dynsym: "
		 "%zu functions); did you mean fx_alpha?",
		 count_funcs(FX("fx_pie")));
	resolve_err(s, 1, std_objs, ARRAY_SIZE(std_objs), msg);

	/* Several suggestions: closest first, ties by name, at most three. */
	snprintf(msg, sizeof(msg),
		 "'fxlib_' matches no function in /usr/lib/libfx.so.1 (searched .symtab and "
		 ".dynsym: %zu functions); did you mean fxlib_one, fxlib_two, fxlib_hidden?",
		 count_funcs(FX("libfx.so")));
	resolve_err(s3, 1, std_objs, ARRAY_SIZE(std_objs), msg);

	/* Nothing close: no suggestion. The first spec's probes are freed too. */
	snprintf(msg, sizeof(msg),
		 "'zzqqxxyyww*' matches no function in /usr/lib/libfx.so.1 (searched .symtab and "
		 ".dynsym: %zu functions)",
		 count_funcs(FX("libfx.so")));
	resolve_err(s2, 2, std_objs, ARRAY_SIZE(std_objs), msg);
}

/*
 * -x leaves out what it names from the others' matches: without OBJECT in
 * every object, with one in that object only; leaving out everything is an
 * error that says so.
 */
static void test_exclusions(void **state)
{
	static const char *const s[] = { "fx_*", "libfx:fxlib_*", "!fx_[bg]*", "!libfx:fxlib_one",
					 "!libfx:fxlib_hidden" };
	static const struct want w[] = {
		MAIN("fx_alpha"), MAIN("fx_local_static"), LIB("fxlib_two"),
	};
	static const char *const s2[] = { "fx_*", "libfx:fxlib_*", "!fxlib_*" };
	static const struct want w2[] = {
		MAIN("fx_alpha"), MAIN("fx_beta"), MAIN("fx_gamma"), MAIN("fx_local_static"),
	};
	static const char *const s3[] = { "fx_beta", "!fx_*" };

	resolve_ok(s, 5, std_objs, ARRAY_SIZE(std_objs), w, ARRAY_SIZE(w));
	resolve_ok(s2, 3, std_objs, ARRAY_SIZE(std_objs), w2, ARRAY_SIZE(w2));
	resolve_err(s3, 2, std_objs, ARRAY_SIZE(std_objs),
		    "every function the SPECs match is left out by -x; narrow the exclusions");
}

static void test_object_not_mapped(void **state)
{
	static const char *const s[] = { "libz:deflate" };
	static const char *const s2[] = { "fx_alpha", "/usr/lib/libfx.so:fxlib_one" };
	/* Prefixes match the basename only, not directories. */
	static const char *const s3[] = { "usr:fx_alpha" };

	resolve_err(s, 1, std_objs, ARRAY_SIZE(std_objs),
		    "no object matching 'libz' is mapped in the target (mapped: libfx.so.1, fx, "
		    "libc.so.6); use a prefix of one of these names or an absolute path");
	resolve_err(s2, 2, std_objs, ARRAY_SIZE(std_objs),
		    "no object at '/usr/lib/libfx.so' is mapped in the target (mapped: "
		    "/usr/lib/libfx.so.1, /usr/bin/fx, /lib/x86_64-linux-gnu/libc.so.6); give one of "
		    "these paths, or a prefix of its file name");
	resolve_err(s3, 1, std_objs, ARRAY_SIZE(std_objs),
		    "no object matching 'usr' is mapped in the target (mapped: libfx.so.1, fx, "
		    "libc.so.6); use a prefix of one of these names or an absolute path");
}

static void test_no_main(void **state)
{
	static const struct target_obj none[] = {
		{ .path = "/usr/lib/libfx.so.1", .open_path = FX("libfx.so") },
	};
	static const struct target_obj two[] = {
		{ .path = "/a/fx", .open_path = FX("fx_pie"), .is_main = true },
		{ .path = "/b/fx", .open_path = FX("fx_nopie"), .is_main = true },
	};
	static const char *const s[] = { "fx_alpha" };

	resolve_err(s, 1, none, ARRAY_SIZE(none),
		    "cannot tell the target's main executable for 'fx_alpha'");
	resolve_err(s, 1, two, ARRAY_SIZE(two),
		    "cannot tell the target's main executable for 'fx_alpha'");
	resolve_err(s, 1, NULL, 0, "cannot tell the target's main executable for 'fx_alpha'");
}

static void test_ambiguous_object(void **state)
{
	static const struct target_obj objs[] = {
		{ .path = "/usr/bin/fx", .open_path = FX("fx_pie"), .is_main = true },
		{ .path = "/a/libfx.so", .open_path = FX("libfx.so") },
		{ .path = "/b/libfx.so.2", .open_path = FX("libfx_stripped.so") },
	};
	/* Neither ends at a name boundary: still ambiguous. */
	static const struct target_obj nobound[] = {
		{ .path = "/a/libfxa.so", .open_path = FX("libfx.so") },
		{ .path = "/b/libfxb.so", .open_path = FX("libfx.so") },
	};
	static const char *const s[] = { "libfx:fxlib_one" };
	static const char *const s2[] = { "libfx.so.2:fxlib_one", "/a/libfx.so:fxlib_one" };
	static const struct want w2[] = {
		{ "fxlib_one", "/b/libfx.so.2", FX("libfx_stripped.so") },
		{ "fxlib_one", "/a/libfx.so", FX("libfx.so") },
	};

	resolve_err(s, 1, objs, ARRAY_SIZE(objs),
		    "object 'libfx' is ambiguous, it matches /a/libfx.so /b/libfx.so.2; use a "
		    "longer prefix or an absolute path");
	resolve_err(s, 1, nobound, ARRAY_SIZE(nobound),
		    "object 'libfx' is ambiguous, it matches /a/libfxa.so /b/libfxb.so; use a "
		    "longer prefix or an absolute path");
	/* A longer prefix or the path resolves it. */
	resolve_ok(s2, 2, objs, ARRAY_SIZE(objs), w2, ARRAY_SIZE(w2));
}

static void test_boundary_preference(void **state)
{
	static const struct target_obj objs[] = {
		{ .path = "/usr/lib/libfxextra.so", .open_path = FX("libfx_stripped.so") },
		{ .path = "/usr/lib/libfx.so", .open_path = FX("libfx.so") },
	};
	static const char *const s[] = { "libfx:fxlib_*" };
	static const struct want w[] = {
		{ "fxlib_hidden", "/usr/lib/libfx.so", FX("libfx.so") },
		{ "fxlib_one", "/usr/lib/libfx.so", FX("libfx.so") },
		{ "fxlib_two", "/usr/lib/libfx.so", FX("libfx.so") },
	};
	static const char *const s2[] = { "libfxe:fxlib_*" };
	static const struct want w2[] = {
		{ "fxlib_one", "/usr/lib/libfxextra.so", FX("libfx_stripped.so") },
		{ "fxlib_two", "/usr/lib/libfxextra.so", FX("libfx_stripped.so") },
	};
	/* One prefix match that is not at a boundary is still taken. */
	static const char *const s3[] = { "libfxext:fxlib_one" };
	static const struct want w3[] = {
		{ "fxlib_one", "/usr/lib/libfxextra.so", FX("libfx_stripped.so") },
	};

	resolve_ok(s, 1, objs, ARRAY_SIZE(objs), w, ARRAY_SIZE(w));
	resolve_ok(s2, 1, objs, ARRAY_SIZE(objs), w2, ARRAY_SIZE(w2));
	resolve_ok(s3, 1, objs, ARRAY_SIZE(objs), w3, ARRAY_SIZE(w3));
}

static void test_unreadable_object(void **state)
{
	static const struct target_obj objs[] = {
		{ .path = "/usr/bin/fx", .open_path = FX("fx_pie"), .is_main = true },
		{ .path = "/usr/lib/libbad.so", .open_path = FX("fx_notelf") },
		{ .path = "/usr/lib/libgone.so", .open_path = FX("does_not_exist") },
		{ .path = "/usr/lib/libdir.so", .open_path = FIXTURE_DIR },
	};
	static const char *const s[] = { "fx_alpha", "libbad:f" };
	static const char *const s2[] = { "libgone:f" };
	static const char *const s3[] = { "libdir:f" };

	resolve_err(s, 2, objs, ARRAY_SIZE(objs),
		    "cannot read symbols of /usr/lib/libbad.so: not an ELF file");
	resolve_err(s2, 1, objs, ARRAY_SIZE(objs),
		    "cannot read symbols of /usr/lib/libgone.so: cannot open: No such file or "
		    "directory");
	resolve_err(s3, 1, objs, ARRAY_SIZE(objs),
		    "cannot read symbols of /usr/lib/libdir.so: not an ELF file (a directory)");
}

static void test_error_truncated(void **state)
{
	static const char *const s[] = { "libz:deflate" };
	static const char *const s2[] = { "fx_alpah" };
	struct probe_table t = { 0 };
	char err[16];

	/* A short buffer gets a truncated, terminated message. */
	assert_int_equal(resolve(s, 1, std_objs, ARRAY_SIZE(std_objs), &t, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "no object match");
	assert_int_equal(resolve(s2, 1, std_objs, ARRAY_SIZE(std_objs), &t, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "'fx_alpah' matc");
	probe_table__free(&t);
}

static void assert_display(const char *sym, const char *want)
{
	char *d = resolve__display_name(sym);

	assert_non_null(d);
	assert_string_equal(d, want);
	assert_ptr_not_equal(d, sym);
	free(d);
}

static void test_display_name(void **state)
{
	/* DMGL_ANSI without DMGL_PARAMS: the parameters are left out. */
	assert_display("_ZN2ns3fooEi", "ns::foo");
	assert_display("_ZN2ns3fooEv", "ns::foo");
	assert_display("_Z3barv", "bar");
	assert_display("_ZN1a1b1cEPKc", "a::b::c");
	/* Rust: the v0 scheme, and the legacy one (Itanium with a hash, which is dropped). */
	assert_display("_RNvNtCseYD096oPNRi_2wc5count11split_words", "wc::count::split_words");
	assert_display("_ZN2wc5count11split_words17h5095c6b0adb2886bE", "wc::count::split_words");
	assert_display("_Rnotmangled", "_Rnotmangled");
	/* C names, and what does not demangle, are copied unchanged. */
	assert_display("fx_alpha", "fx_alpha");
	assert_display("main", "main");
	assert_display("_Znotmangled", "_Znotmangled");
	assert_display("_Z", "_Z");
	assert_display("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_name),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_overlapping_specs),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_library_by_prefix),
		cmocka_unit_test(test_library_by_path),
		cmocka_unit_test(test_main_without_object),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_no_match),
		cmocka_unit_test(test_exclusions),
		cmocka_unit_test(test_object_not_mapped),
		cmocka_unit_test(test_no_main),
		cmocka_unit_test(test_ambiguous_object),
		cmocka_unit_test(test_boundary_preference),
		cmocka_unit_test(test_unreadable_object),
		cmocka_unit_test(test_error_truncated),
		cmocka_unit_test(test_display_name),
		cmocka_unit_test(test_deleted_and_unopened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
