/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pipereaders: who holds a pipe's read end, as a search of /proc reports it
 * piece by piece; "not known yet" until a pass settles it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>

#include "pipereaders.h"

#define SEC 1000000000ull
#define WRITER 100

/* The answer to a question at now, or -1 while not known yet. */
static long answer(struct pipereaders *pr, uint64_t ino, uint64_t now, uint64_t max_age)
{
	uint32_t pid = 12345;

	return pipereaders__ask(pr, ino, WRITER, now, max_age, &pid) ? (long)pid : -1;
}

/* A traced reader other than the writer is the best there is: settled on sight. */
static void test_traced_reader_settles_at_once(void **state)
{
	struct pipereaders pr = { 0 };

	assert_int_equal(answer(&pr, 7, SEC, 0), -1);
	assert_true(pipereaders__busy(&pr));
	assert_false(pipereaders__wants(&pr, 7)); /* queued, no pass yet */
	assert_true(pipereaders__begin(&pr, 2 * SEC));
	assert_true(pipereaders__wants(&pr, 7));
	assert_false(pipereaders__wants(&pr, 8));
	pipereaders__saw(&pr, 7, WRITER, true); /* the writer's own: something better may come */
	assert_int_equal(pipereaders__searching(&pr), 1);
	assert_int_equal(answer(&pr, 7, 2 * SEC, 0), -1);
	pipereaders__saw(&pr, 7, 300, true);
	assert_int_equal(pipereaders__searching(&pr), 0);
	assert_false(pipereaders__busy(&pr));
	assert_int_equal(answer(&pr, 7, 3 * SEC, 0), 300);
	/* asked again with any age: no new pass */
	assert_false(pipereaders__begin(&pr, 3 * SEC));
}

/* Only the writer's own process, or nobody: known once the whole host is read. */
static void test_whole_pass(void **state)
{
	struct pipereaders pr = { 0 };

	answer(&pr, 7, SEC, 0);
	answer(&pr, 8, SEC, 0);
	assert_true(pipereaders__begin(&pr, SEC));
	pipereaders__saw(&pr, 7, WRITER, true);
	pipereaders__host(&pr);
	assert_int_equal(pipereaders__searching(&pr), 2);
	assert_int_equal(answer(&pr, 7, SEC, 0), -1);
	pipereaders__end(&pr, SEC);
	assert_int_equal(answer(&pr, 7, SEC, 0), WRITER);
	assert_int_equal(answer(&pr, 8, SEC, 0), 0);
	assert_int_equal(pr.passes, 1);
}

/* Past the traced processes, any other reader is the best that can come. */
static void test_host_reader(void **state)
{
	struct pipereaders pr = { 0 };

	answer(&pr, 7, SEC, 0);
	answer(&pr, 8, SEC, 0);
	pipereaders__begin(&pr, SEC);
	/* untraced, seen among the traced (its pid was reused): settled once they are read */
	pipereaders__saw(&pr, 8, 400, false);
	assert_int_equal(pipereaders__searching(&pr), 2);
	pipereaders__host(&pr);
	assert_int_equal(pipereaders__searching(&pr), 1);
	assert_int_equal(answer(&pr, 8, SEC, 0), 400);
	pipereaders__saw(&pr, 7, 500, false);
	assert_int_equal(pipereaders__searching(&pr), 0);
	assert_int_equal(answer(&pr, 7, SEC, 0), 500);
	/* what the pass saw once it was settled changes nothing */
	pipereaders__saw(&pr, 7, 600, true);
	assert_int_equal(answer(&pr, 7, SEC, 0), 500);
}

/* A question asked while a pass is under way waits for the next one. */
static void test_asked_during_a_pass(void **state)
{
	struct pipereaders pr = { 0 };

	answer(&pr, 7, SEC, 0);
	pipereaders__begin(&pr, SEC);
	answer(&pr, 9, SEC, 0);
	assert_false(pipereaders__wants(&pr, 9));
	assert_true(pipereaders__begin(&pr, SEC)); /* the pass under way goes on */
	assert_false(pipereaders__wants(&pr, 9));
	pipereaders__saw(&pr, 9, 300, true);
	pipereaders__host(&pr);
	pipereaders__end(&pr, SEC);
	assert_int_equal(answer(&pr, 7, SEC, 0), 0);
	assert_int_equal(answer(&pr, 9, SEC, 0), -1);
	assert_true(pipereaders__begin(&pr, 2 * SEC));
	assert_true(pipereaders__wants(&pr, 9));
	assert_false(pipereaders__wants(&pr, 7));
}

/* An answer older than max_age is searched for again; meanwhile it stands. */
static void test_refresh(void **state)
{
	struct pipereaders pr = { 0 };

	answer(&pr, 7, SEC, SEC);
	pipereaders__begin(&pr, SEC);
	pipereaders__saw(&pr, 7, 300, true);
	assert_int_equal(answer(&pr, 7, SEC + SEC / 2, SEC), 300);
	assert_false(pipereaders__busy(&pr)); /* not stale yet */
	assert_int_equal(answer(&pr, 7, 2 * SEC, SEC), 300);
	assert_true(pipereaders__busy(&pr));
	assert_true(pipereaders__begin(&pr, 2 * SEC));
	assert_int_equal(answer(&pr, 7, 2 * SEC, 0), 300); /* the old answer stands */
	pipereaders__host(&pr);
	pipereaders__end(&pr, 2 * SEC); /* the reader has gone */
	assert_int_equal(answer(&pr, 7, 2 * SEC, 0), 0);
}

/* Renewed no sooner than PIPEREADERS_REST times the last pass took: searching rests. */
static void test_rest_between_passes(void **state)
{
	struct pipereaders pr = { 0 };

	answer(&pr, 7, SEC, SEC);
	pipereaders__begin(&pr, SEC);
	pipereaders__host(&pr);
	pipereaders__end(&pr, SEC + SEC / 2); /* a long pass: half a second */
	assert_int_equal(pr.last_pass_ns, SEC / 2);
	assert_int_equal(answer(&pr, 7, 3 * SEC, SEC), 0);
	assert_false(pipereaders__busy(&pr)); /* 2 s old: older than 1 s, not than 5 s */
	assert_int_equal(answer(&pr, 7, 6 * SEC, SEC), 0);
	assert_true(pipereaders__busy(&pr));
}

/* The table is bounded: the least recently asked pipe not searched for is forgotten. */
static void test_bounded(void **state)
{
	struct pipereaders pr = { 0 };

	for (uint64_t i = 1; i <= PIPEREADERS_MAX; i++)
		answer(&pr, i, i, 0);
	pipereaders__begin(&pr, 100);
	pipereaders__host(&pr);
	pipereaders__end(&pr, SEC);
	answer(&pr, 1, 200, 0); /* 2 is now the least recently asked */
	assert_int_equal(answer(&pr, 1000, 300, 0), -1);
	assert_int_equal(answer(&pr, 1, 300, 0), 0);
	assert_int_equal(answer(&pr, 3, 300, 0), 0);
	assert_int_equal(answer(&pr, 2, 300, 0), -1); /* forgotten: asked anew */
	assert_int_equal(answer(&pr, 0, 300, 0), -1); /* no pipe: never a question */
}

static void test_link_ino(void **state)
{
	assert_int_equal(pipereaders__link_ino("pipe:[4711]"), 4711);
	assert_int_equal(pipereaders__link_ino("pipe:[18446744073709551615]"), UINT64_MAX);
	assert_int_equal(pipereaders__link_ino("pipe:[18446744073709551616]"), 0);
	assert_int_equal(pipereaders__link_ino("pipe:[]"), 0);
	assert_int_equal(pipereaders__link_ino("pipe:[12"), 0);
	assert_int_equal(pipereaders__link_ino("pipe:[12]x"), 0);
	assert_int_equal(pipereaders__link_ino("socket:[4711]"), 0);
	assert_int_equal(pipereaders__link_ino("/tmp/fifo"), 0);
	assert_int_equal(pipereaders__link_ino(""), 0);
}

static void test_reads(void **state)
{
	assert_true(pipereaders__reads(O_RDONLY));
	assert_true(pipereaders__reads(O_RDONLY | O_CLOEXEC | O_NONBLOCK));
	assert_true(pipereaders__reads(O_RDWR));
	assert_false(pipereaders__reads(O_WRONLY | O_CLOEXEC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traced_reader_settles_at_once),
		cmocka_unit_test(test_whole_pass),
		cmocka_unit_test(test_host_reader),
		cmocka_unit_test(test_asked_during_a_pass),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_rest_between_passes),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_link_ino),
		cmocka_unit_test(test_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
