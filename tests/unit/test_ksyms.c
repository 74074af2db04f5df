/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ksyms: kallsyms-format fixtures written to temporary files, then the real
 * /proc/kallsyms when this machine lets us read its addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kallsyms.h"

#define HIDDEN "kernel addresses are hidden (kernel.kptr_restrict); run as root"

/*
 * Out of order on purpose (kallsyms lists modules after the core kernel, but
 * nothing promises order), with data symbols between functions, aliases at
 * one address, and module symbols in the "name\t[module]" form.
 */
static const char fixture[] =
	"ffffffff81000600 T anon_pipe_write\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000100 t local_fn\n"
	"ffffffff81000200 T schedule\n"
	"ffffffff81000300 D some_data\n"
	"ffffffff81000380 B some_bss\n"
	"ffffffff81000400 W weak_fn\n"
	"ffffffff81000500 r some_rodata\n"
	/* a local first in the file, then two globals: the first global wins */
	"ffffffff81000700 t alias_local\n"
	"ffffffff81000700 T alias_global\n"
	"ffffffff81000700 T alias_global2\n"
	/* two locals: the first in the file wins */
	"ffffffff81000800 t first_local\n"
	"ffffffff81000800 t second_local\n"
	/* one name at several addresses (static functions of different files) */
	"ffffffff81000900 t same_name\n"
	"ffffffff81000a00 T same_name\n"
	"ffffffff81000c00 t twice_local\n"
	"ffffffff81000b00 t twice_local\n"
	"ffffffffc0001000 t mod_fn\t[my_mod]\n"
	"ffffffffc0002000 T mod_export\t[my_mod]\n"
	"ffffffffc0003000 d mod_data\t[my_mod]\n"
	"ffffffffc0004000 t last_fn"; /* no newline at the end of the file */

/* Writes text to a new temporary file; path must hold 32 bytes. */
static void fixture__write(char *path, const char *text)
{
	size_t len = strlen(text);
	int fd;

	strcpy(path, "/tmp/test_ksyms.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static struct ksyms *load_text(const char *text)
{
	char path[32], err[256] = "";
	struct ksyms *k;

	fixture__write(path, text);
	k = ksyms__load(path, err, sizeof(err));
	unlink(path);
	if (!k)
		print_error("ksyms__load: %s\n", err);
	assert_non_null(k);
	assert_string_equal(err, "");
	return k;
}

static void load_fails(const char *text, const char *want)
{
	char path[32], err[256] = "";

	fixture__write(path, text);
	assert_null(ksyms__load(path, err, sizeof(err)));
	unlink(path);
	assert_string_equal(err, want);
}

static int setup(void **state)
{
	*state = load_text(fixture);
	return 0;
}

static int teardown(void **state)
{
	ksyms__free(*state);
	return 0;
}

static void assert_lookup(const struct ksyms *k, uint64_t addr, const char *name, uint64_t off)
{
	uint64_t got_off = 0xdead;
	const char *got = ksyms__lookup(k, addr, &got_off);

	assert_non_null(got);
	assert_string_equal(got, name);
	assert_int_equal(got_off, off);
}

static void assert_format(const struct ksyms *k, uint64_t addr, const char *want)
{
	char buf[128];

	assert_int_equal(ksyms__format(k, addr, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

static void test_lookup_inside(void **state)
{
	assert_lookup(*state, 0xffffffff81000250, "schedule", 0x50);
	assert_lookup(*state, 0xffffffff810001ff, "local_fn", 0xff);
	assert_lookup(*state, 0xffffffff81000001, "_stext", 1);
}

static void test_lookup_at_start(void **state)
{
	assert_lookup(*state, 0xffffffff81000000, "_stext", 0);
	assert_lookup(*state, 0xffffffff81000200, "schedule", 0);
	assert_lookup(*state, 0xffffffff81000600, "anon_pipe_write", 0);
	/* the offset pointer is optional */
	assert_string_equal(ksyms__lookup(*state, 0xffffffff81000210, NULL), "schedule");
}

static void test_lookup_below_first(void **state)
{
	uint64_t off = 0xdead;

	assert_null(ksyms__lookup(*state, 0xffffffff80ffffff, &off));
	assert_null(ksyms__lookup(*state, 0, &off));
	assert_int_equal(off, 0xdead);
}

static void test_lookup_past_last(void **state)
{
	/* no sizes in kallsyms: the last function extends to the end of the address space */
	assert_lookup(*state, UINT64_MAX, "last_fn", UINT64_MAX - 0xffffffffc0004000);
}

static void test_format(void **state)
{
	assert_format(*state, 0xffffffff81000250, "schedule+0x50");
	assert_format(*state, 0xffffffff81000200, "schedule+0x0");
	assert_format(*state, 0xffffffff81000abc, "same_name+0xbc");
	assert_format(*state, 0xffffffff80000000, "0xffffffff80000000");
	assert_format(*state, 0x10, "0x10");
	assert_format(*state, 0, "0x0");
}

static void test_format_truncates_like_snprintf(void **state)
{
	char buf[6];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ksyms__format(*state, 0xffffffff81000250, buf, sizeof(buf)),
			 strlen("schedule+0x50"));
	assert_string_equal(buf, "sched");
	assert_int_equal(ksyms__format(*state, 0xffffffff81000250, NULL, 0),
			 strlen("schedule+0x50"));
	assert_int_equal(ksyms__format(*state, 0x1234, NULL, 0), strlen("0x1234"));
}

static void test_duplicate_addresses(void **state)
{
	assert_lookup(*state, 0xffffffff81000700, "alias_global", 0);
	assert_lookup(*state, 0xffffffff81000710, "alias_global", 0x10);
	assert_lookup(*state, 0xffffffff81000808, "first_local", 8);
	/* the aliases that lose the lookup are still there by name */
	assert_int_equal(ksyms__addr(*state, "alias_local"), 0xffffffff81000700);
	assert_int_equal(ksyms__addr(*state, "alias_global2"), 0xffffffff81000700);
	assert_int_equal(ksyms__addr(*state, "second_local"), 0xffffffff81000800);
}

static void test_duplicate_order_does_not_depend_on_the_file(void **state)
{
	/* the same aliases listed the other way round still give the global one */
	struct ksyms *k = load_text("ffffffff81000000 T b_global\n"
				    "ffffffff81000000 t a_local\n");

	assert_lookup(k, 0xffffffff81000004, "b_global", 4);
	ksyms__free(k);
	k = load_text("ffffffff81000000 t a_local\n"
		      "ffffffff81000000 T b_global\n");
	assert_lookup(k, 0xffffffff81000004, "b_global", 4);
	ksyms__free(k);
}

static void test_module_symbols(void **state)
{
	assert_lookup(*state, 0xffffffffc0001010, "mod_fn", 0x10);
	assert_format(*state, 0xffffffffc0002001, "mod_export+0x1");
	assert_int_equal(ksyms__addr(*state, "mod_fn"), 0xffffffffc0001000);
	assert_int_equal(ksyms__addr(*state, "mod_fn\t[my_mod]"), 0);
	/* the module's data symbol is skipped like the kernel's */
	assert_lookup(*state, 0xffffffffc0003000, "mod_export", 0x1000);
}

static void test_data_symbols_ignored(void **state)
{
	/* D, B and r between functions do not end the function before them */
	assert_lookup(*state, 0xffffffff81000350, "schedule", 0x150);
	assert_lookup(*state, 0xffffffff81000390, "schedule", 0x190);
	assert_lookup(*state, 0xffffffff81000510, "weak_fn", 0x110);
	assert_int_equal(ksyms__addr(*state, "some_data"), 0);
	assert_int_equal(ksyms__addr(*state, "some_bss"), 0);
	assert_int_equal(ksyms__addr(*state, "some_rodata"), 0);
	assert_int_equal(ksyms__addr(*state, "mod_data"), 0);
}

static void test_addr_hit_and_miss(void **state)
{
	assert_int_equal(ksyms__addr(*state, "schedule"), 0xffffffff81000200);
	assert_int_equal(ksyms__addr(*state, "local_fn"), 0xffffffff81000100);
	assert_int_equal(ksyms__addr(*state, "weak_fn"), 0xffffffff81000400);
	assert_int_equal(ksyms__addr(*state, "anon_pipe_write"), 0xffffffff81000600);
	assert_int_equal(ksyms__addr(*state, "last_fn"), 0xffffffffc0004000);
	/* exact names only */
	assert_int_equal(ksyms__addr(*state, "pipe_write"), 0);
	assert_int_equal(ksyms__addr(*state, "sched"), 0);
	assert_int_equal(ksyms__addr(*state, "schedule2"), 0);
	assert_int_equal(ksyms__addr(*state, ""), 0);
}

static void test_addr_same_name_twice(void **state)
{
	/* a global over a local, else the first in the file */
	assert_int_equal(ksyms__addr(*state, "same_name"), 0xffffffff81000a00);
	assert_int_equal(ksyms__addr(*state, "twice_local"), 0xffffffff81000c00);
}

static void test_long_names_and_odd_lines(void **state)
{
	char name[1001], text[1200];
	struct ksyms *k;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "\n"
		 "not a symbol line\n"
		 "ffffffff81000000 T\n"
		 "1111111111111111f T seventeen_digits\n"
		 "ffffffff81000000 T %s\n"
		 "ffffffff81000100 t tab_mod\t[m]\n"
		 "ffffffff81000200 t space_mod [m]\n",
		 name);
	k = load_text(text);
	assert_lookup(k, 0xffffffff81000010, name, 0x10);
	assert_lookup(k, 0xffffffff81000101, "tab_mod", 1);
	assert_lookup(k, 0xffffffff81000202, "space_mod", 2);
	assert_int_equal(ksyms__addr(k, "seventeen_digits"), 0);
	ksyms__free(k);
}

/* Hex digits in any case (the kernel writes lower case; replay --kallsyms FILE may not). */
static void test_hex_any_case(void **state)
{
	struct ksyms *k = load_text("FFFFFFFF81000000 T upper\n"
				    "ffffffff81000100 T lower\n"
				    "ffffffff8100aBc0 t mixed\n");

	assert_int_equal(ksyms__addr(k, "upper"), 0xffffffff81000000);
	assert_int_equal(ksyms__addr(k, "lower"), 0xffffffff81000100);
	assert_int_equal(ksyms__addr(k, "mixed"), 0xffffffff8100abc0);
	assert_lookup(k, 0xffffffff810000ff, "upper", 0xff);
	ksyms__free(k);
}

static void test_all_zero_addresses(void **state)
{
	/* what an unprivileged reader sees with kernel.kptr_restrict set */
	load_fails("0000000000000000 T _stext\n"
		   "0000000000000000 t local_fn\n"
		   "0000000000000000 D some_data\n"
		   "0000000000000000 t mod_fn\t[my_mod]\n",
		   HIDDEN);
}

/* From text in memory (what the fuzz harness reads): what the file gives. */
static void test_from_text(void **state)
{
	static const uint64_t addrs[] = { 0, 0xffffffff81000000, 0xffffffff81000123,
					  0xffffffff81000700, 0xffffffffc0001001, UINT64_MAX };
	char err[256] = "", *text = strdup(fixture), a[64], b[64];
	struct ksyms *file = load_text(fixture), *mem;
	size_t i;

	assert_non_null(text);
	mem = ksyms__from_text(text, strlen(text), err, sizeof(err));
	assert_non_null(mem);
	assert_string_equal(err, "");
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		ksyms__format(file, addrs[i], a, sizeof(a));
		ksyms__format(mem, addrs[i], b, sizeof(b));
		assert_string_equal(b, a);
	}
	assert_int_equal(ksyms__addr(mem, "same_name"), ksyms__addr(file, "same_name"));
	ksyms__free(mem);
	ksyms__free(file);

	/* a failure frees the text (ASan's leak check watches) */
	text = strdup("ffffffff82000000 D only_data\n");
	assert_non_null(text);
	assert_null(ksyms__from_text(text, strlen(text), err, sizeof(err)));
	assert_string_equal(err, "no function symbols");
}

/*
 * A NUL ends a name (found by fuzzing: a name of NUL bytes was kept as "",
 * so an address in it printed as "+0x50"); a line whose name starts with
 * one names nothing.
 */
static void test_nul_in_name(void **state)
{
	static const char text[] = "ffffffff81000000 T _stext\n"
				   "ffffffff81000100 T \0\0hidden\n"
				   "ffffffff81000200 T ab\0cd\n";
	char err[256] = "", *buf = malloc(sizeof(text) - 1);
	struct ksyms *k;
	uint64_t off;

	assert_non_null(buf);
	memcpy(buf, text, sizeof(text) - 1);
	k = ksyms__from_text(buf, sizeof(text) - 1, err, sizeof(err));
	assert_non_null(k);
	assert_string_equal(ksyms__lookup(k, 0xffffffff81000150, &off), "_stext");
	assert_int_equal(off, 0x150);
	assert_string_equal(ksyms__lookup(k, 0xffffffff81000200, &off), "ab");
	assert_int_equal(off, 0);
	ksyms__free(k);
}

static void test_no_symbols(void **state)
{
	load_fails("", "no symbols");
	load_fails("\x7f" "ELF\x02\x01\x01 this is not kallsyms\n", "no symbols");
	load_fails("ffffffff82000000 D only_data\nffffffff82000100 B only_bss\n",
		   "no function symbols");
}

static void test_missing_file(void **state)
{
	char err[256] = "";

	assert_null(ksyms__load("/nonexistent/kallsyms", err, sizeof(err)));
	assert_string_equal(err, "cannot open: No such file or directory");
	/* a NULL error buffer is allowed */
	assert_null(ksyms__load("/nonexistent/kallsyms", NULL, 0));
}

static void test_directory_is_a_read_error(void **state)
{
	char err[256] = "";

	assert_null(ksyms__load("/", err, sizeof(err)));
	assert_string_equal(err, "cannot read: Is a directory");
}

static void test_null_table(void **state)
{
	char buf[32];

	/* no kallsyms (hidden addresses): stacks still print, as bare addresses */
	assert_null(ksyms__lookup(NULL, 0xffffffff81000000, NULL));
	assert_int_equal(ksyms__format(NULL, 0xffffffff81000000, buf, sizeof(buf)), 18);
	assert_string_equal(buf, "0xffffffff81000000");
	assert_int_equal(ksyms__addr(NULL, "schedule"), 0);
	ksyms__free(NULL);
}

/* Whether this process sees real kernel addresses in /proc/kallsyms. */
static const char *kallsyms__unusable(void)
{
	char line[256];
	unsigned long long addr = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return "cannot read /proc/kallsyms";
	while (!addr && fgets(line, sizeof(line), f))
		addr = strtoull(line, NULL, 16);
	fclose(f);
	return addr ? NULL : "/proc/kallsyms hides addresses (kernel.kptr_restrict)";
}

static void test_real_kallsyms(void **state)
{
	const char *why = kallsyms__unusable();
	char err[256] = "", buf[256];
	struct ksyms *k;
	uint64_t addr;

	if (why) {
		print_message("%s, not loading the real kernel symbols\n", why);
		skip();
	}
	k = ksyms__load("/proc/kallsyms", err, sizeof(err));
	if (!k)
		print_error("ksyms__load(/proc/kallsyms): %s\n", err);
	assert_non_null(k);
	addr = ksyms__addr(k, "schedule");
	assert_true(addr != 0);
	assert_lookup(k, addr, "schedule", 0);
	assert_lookup(k, addr + 1, "schedule", 1);
	ksyms__format(k, addr + 0x10, buf, sizeof(buf));
	assert_string_equal(buf, "schedule+0x10");
	/* the pipe write path has one of its two names on every kernel */
	assert_true(ksyms__addr(k, "pipe_write") || ksyms__addr(k, "anon_pipe_write"));
	ksyms__free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_below_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_past_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_truncates_like_snprintf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_addresses, setup, teardown),
		cmocka_unit_test(test_duplicate_order_does_not_depend_on_the_file),
		cmocka_unit_test_setup_teardown(test_module_symbols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_symbols_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr_hit_and_miss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr_same_name_twice, setup, teardown),
		cmocka_unit_test(test_long_names_and_odd_lines),
		cmocka_unit_test(test_hex_any_case),
		cmocka_unit_test(test_all_zero_addresses),
		cmocka_unit_test(test_from_text),
		cmocka_unit_test(test_nul_in_name),
		cmocka_unit_test(test_no_symbols),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory_is_a_read_error),
		cmocka_unit_test(test_null_table),
		cmocka_unit_test(test_real_kallsyms),
	};

	return cmocka_run_group_tests_name("ksyms", tests, NULL, NULL);
}
