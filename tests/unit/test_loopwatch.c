/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* loopwatch: the event loop's longest stretch away from the ring buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "loopwatch.h"

/* Time blocked in epoll_wait is no delay; work between two looks is. */
static void test_worst_stretch(void **state)
{
	struct loopwatch w = { 0 };

	loopwatch__look(&w, 1000, 10); /* the first look: nothing before it */
	assert_int_equal(w.worst, 0);
	loopwatch__look(&w, 1300, 310); /* 300 reading records */
	loopwatch__wait(&w, 1500, 510); /* 200 of other work, then waiting */
	assert_int_equal(w.worst, 300);
	assert_int_equal(w.worst_cpu, 300);
	loopwatch__look(&w, 100000, 520); /* woken up: the wait is not counted */
	assert_int_equal(w.worst, 300);
	/* 900 after the read, of which 100 on a CPU: the rest waiting for one */
	loopwatch__wait(&w, 100900, 620);
	assert_int_equal(w.worst, 900);
	assert_int_equal(w.worst_cpu, 300);
	loopwatch__look(&w, 100900, 620);
	loopwatch__wait(&w, 101000, 720);
	assert_int_equal(w.worst, 900);
	assert_int_equal(w.rounds, 3);
}

/* A clock that does not move (or a look before the first) never counts. */
static void test_same_time(void **state)
{
	struct loopwatch w = { 0 };

	loopwatch__wait(&w, 5, 1);
	loopwatch__look(&w, 5, 1);
	loopwatch__look(&w, 5, 1);
	assert_int_equal(w.worst, 0);
	assert_int_equal(w.worst_cpu, 0);
}

/* After the loop, the stop is not measured: detaching takes what it takes. */
static void test_stopped(void **state)
{
	struct loopwatch w = { 0 };

	loopwatch__look(&w, 1000, 10);
	loopwatch__wait(&w, 1100, 110);
	loopwatch__look(&w, 5000, 120);
	loopwatch__stop(&w);
	loopwatch__look(&w, 900000, 800000);
	assert_int_equal(w.worst, 100);
	assert_int_equal(w.worst_cpu, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worst_stretch),
		cmocka_unit_test(test_same_time),
		cmocka_unit_test(test_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
