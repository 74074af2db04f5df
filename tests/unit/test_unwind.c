/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * unwind: whether exceptions can unwind through a target's frames, from its
 * mapped objects (libstdc++, libgcc_s) or an unwinder linked into its
 * executable (the fixture libfx_asm.so defines _Unwind_RaiseException).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "unwind.h"

#define FX(name) FIXTURE_DIR "/" name

static void test_unwinder_libraries(void **state)
{
	const struct target_obj objs[] = {
		{ .path = "/usr/bin/app", .open_path = FX("fx_pie"), .is_main = true },
		{ .path = "/usr/lib/x86_64-linux-gnu/libc.so.6", .open_path = "/c" },
		{ .path = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", .open_path = "/cxx" },
		{ .path = "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1", .open_path = "/gcc" },
	};
	struct unwind_info u;

	unwind__detect(objs, 2, &u);
	assert_false(u.present);
	assert_int_equal(u.nobjs, 0);
	unwind__detect(objs, 4, &u);
	assert_true(u.present);
	assert_string_equal(u.why, "libstdc++.so.6.0.30 is mapped");
	assert_int_equal(u.nobjs, 2);
	assert_string_equal(u.objs[0], "/cxx");
	assert_string_equal(u.objs[1], "/gcc");
}

static void test_unwinder_linked_in(void **state)
{
	const struct target_obj objs[] = {
		{ .path = "/srv/static-app", .open_path = FX("libfx_asm.so"), .is_main = true },
	};
	struct unwind_info u;

	unwind__detect(objs, 1, &u);
	assert_true(u.present);
	assert_string_equal(u.why, "static-app has an unwinder linked in");
	assert_int_equal(u.nobjs, 1);
	assert_string_equal(u.objs[0], FX("libfx_asm.so"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwinder_libraries),
		cmocka_unit_test(test_unwinder_linked_in),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
