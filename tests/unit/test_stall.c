/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * stall: task-state letters and killability from TASK_* bits, the frame a
 * sleeping task waits in, function names out of frames, when a stall is due,
 * signal names, and the one-line stall report compared whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stall.h"

/* include/linux/sched.h */
#define S_INTERRUPTIBLE 0x1
#define S_UNINTERRUPTIBLE 0x2
#define S_STOPPED 0x4
#define S_TRACED 0x8
#define S_WAKEKILL 0x100
#define S_NOLOAD 0x400
#define S_KILLABLE (S_WAKEKILL | S_UNINTERRUPTIBLE)
#define S_IDLE (S_UNINTERRUPTIBLE | S_NOLOAD)

#define NS_PER_SEC 1000000000ull

/* A task stuck on a mutex held by a pipe writer, innermost frame first. */
static const char *const mutex_stack[] = {
	"__schedule+0x618",
	"schedule+0x27",
	"schedule_preempt_disabled+0x15",
	"__mutex_lock.constprop.0+0x511",
	"anon_pipe_write+0x5a",
	"vfs_write+0x23e",
	"ksys_write+0x6f",
	"do_syscall_64+0x5b",
	"entry_SYSCALL_64_after_hwframe+0x6e",
};

#define NFRAMES(a) (sizeof(a) / sizeof((a)[0]))

static void test_state(void **state)
{
	assert_string_equal(stall__state(S_INTERRUPTIBLE), "S");
	assert_string_equal(stall__state(S_UNINTERRUPTIBLE), "D");
	assert_string_equal(stall__state(S_KILLABLE), "D");
	assert_string_equal(stall__state(0x102), "D");
	assert_string_equal(stall__state(S_IDLE), "D");
	assert_string_equal(stall__state(0x402), "D");
	assert_string_equal(stall__state(S_STOPPED), "T");
	assert_string_equal(stall__state(S_TRACED), "T");
	assert_string_equal(stall__state(S_WAKEKILL | S_STOPPED), "T"); /* TASK_STOPPED */
	assert_string_equal(stall__state(S_WAKEKILL | S_TRACED), "T");
	assert_string_equal(stall__state(0), "R");
}

static void test_killable(void **state)
{
	/* Plain D and TASK_IDLE: only the wakeup they wait for ends them. */
	assert_false(stall__killable(S_UNINTERRUPTIBLE));
	assert_false(stall__killable(S_IDLE));
	assert_true(stall__killable(S_KILLABLE));
	assert_true(stall__killable(S_INTERRUPTIBLE));
	assert_true(stall__killable(S_WAKEKILL | S_STOPPED));
	assert_false(stall__killable(S_STOPPED));

	/* Uninterruptible is the D state, killable or not. */
	assert_true(stall__uninterruptible(S_UNINTERRUPTIBLE));
	assert_true(stall__uninterruptible(S_KILLABLE));
	assert_true(stall__uninterruptible(S_IDLE));
	assert_false(stall__uninterruptible(S_INTERRUPTIBLE));
	assert_false(stall__uninterruptible(S_STOPPED));
	assert_false(stall__uninterruptible(S_TRACED));
	assert_false(stall__uninterruptible(0));
}

static void test_wait_frame(void **state)
{
	static const char *const all_sched[] = {
		"__schedule+0x618",
		"schedule+0x27",
		"schedule_timeout+0x9e",
		"io_schedule+0x42",
		"io_schedule_timeout+0x51",
		"preempt_schedule_common+0x1a",
		"schedule_hrtimeout_range_clock+0xa0",
		"schedule_hrtimeout_range+0x13",
		"__cond_resched+0x1c",
		"preempt_schedule+0x10",
		"schedule_preempt_disabled+0x15",
	};
	static const char *const timeout[] = {
		"__schedule+0x34a",
		"schedule+0x5d",
		"schedule_timeout+0x9e",
		"__wait_for_common+0x8d",
		"wait_for_completion+0x24",
	};
	static const char *const first[] = {
		"pipe_read+0x31d",
		"__schedule+0x618",
	};
	/* A stack the tracepoint took: its glue, then the scheduler, then the wait. */
	static const char *const traced[] = {
		"bpf_prog_6deef7357e7b4530_on_switch+0x143",
		"bpf_trace_run4+0x72",
		"__traceiter_sched_switch+0x3a",
		"__schedule+0x618",
		"schedule+0x27",
		"pipe_wait_writable+0x91",
	};
	/* A name that only begins like a scheduler one is not one. */
	static const char *const prefix[] = {
		"schedule+0x27",
		"schedule_work+0x10",
	};

	assert_int_equal(stall__wait_frame(mutex_stack, NFRAMES(mutex_stack)), 3);
	assert_int_equal(stall__wait_frame(timeout, NFRAMES(timeout)), 3);
	assert_int_equal(stall__wait_frame(first, NFRAMES(first)), 0);
	assert_int_equal(stall__wait_frame(prefix, NFRAMES(prefix)), 1);
	assert_int_equal(stall__wait_frame(all_sched, NFRAMES(all_sched)), NFRAMES(all_sched));
	assert_int_equal(stall__wait_frame(traced, NFRAMES(traced)), 5);
	assert_true(stall__tracing_frame("__traceiter_sched_switch+0x3a"));
	assert_false(stall__tracing_frame("traceiter+0x1"));
	/* Only the first n frames count. */
	assert_int_equal(stall__wait_frame(mutex_stack, 3), 3);
	assert_int_equal(stall__wait_frame(mutex_stack, 0), 0);
	assert_int_equal(stall__wait_frame(NULL, 0), 0);
}

static void func_is(const char *frame, size_t len, const char *want)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	stall__func(frame, buf, len);
	assert_string_equal(buf, want);
}

static void test_func(void **state)
{
	char buf[4] = "abc";

	func_is("__mutex_lock.constprop.0+0x511", 64, "__mutex_lock");
	func_is("do_sys_poll.isra.0+0x2b1", 64, "do_sys_poll");
	func_is("vfs_write+0x23e", 64, "vfs_write");
	func_is("vfs_write", 64, "vfs_write");
	func_is("vfs_write.cold", 64, "vfs_write");
	func_is("", 64, "");
	/* A dot after the offset is not the function's. */
	func_is("zfs_read+0x10 [zfs.ko]", 64, "zfs_read");
	/* A leading dot is the name itself. */
	func_is(".Ltmp+0x4", 64, ".Ltmp");

	/* Truncated to the buffer, always terminated. */
	func_is("__mutex_lock.constprop.0+0x511", 5, "__mu");
	func_is("vfs_write+0x23e", 10, "vfs_write");
	func_is("vfs_write+0x23e", 9, "vfs_writ");
	func_is("vfs_write+0x23e", 1, "");

	/* No room at all: nothing written. */
	stall__func("vfs_write+0x23e", buf, 0);
	assert_string_equal(buf, "abc");
}

static void test_due(void **state)
{
	const uint64_t th = NS_PER_SEC;

	/* First report at the threshold, not before. */
	assert_false(stall__due(0, 0, th));
	assert_false(stall__due(th - 1, 0, th));
	assert_true(stall__due(th, 0, th));
	assert_true(stall__due(5 * th, 0, th));

	/* Then once it has grown tenfold from what was said. */
	assert_false(stall__due(th, th, th));
	assert_false(stall__due(10 * th - 1, th, th));
	assert_true(stall__due(10 * th, th, th));
	assert_false(stall__due(10 * th, 10 * th, th));
	assert_false(stall__due(100 * th - 1, 10 * th, th));
	assert_true(stall__due(100 * th, 10 * th, th));

	/* From a late first report, tenfold that, not of the threshold. */
	assert_false(stall__due(10 * th, 3 * th, th));
	assert_false(stall__due(30 * th - 1, 3 * th, th));
	assert_true(stall__due(30 * th, 3 * th, th));

	/* Below the threshold nothing is due, whatever was said. */
	assert_false(stall__due(th - 1, 1, th));
	assert_true(stall__due(0, 0, 0)); /* a zero threshold: due at once */

	/* The largest durations do not overflow. */
	assert_true(stall__due(UINT64_MAX, UINT64_MAX / 10, th));
	assert_false(stall__due(UINT64_MAX, UINT64_MAX / 10 + 1, th));
}

static void test_signame(void **state)
{
	char buf[32];

	assert_string_equal(stall__signame(9, buf, sizeof(buf)), "SIGKILL");
	assert_string_equal(buf, "SIGKILL");
	assert_ptr_equal(stall__signame(15, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "SIGTERM");
	assert_string_equal(stall__signame(2, buf, sizeof(buf)), "SIGINT");
	assert_string_equal(stall__signame(6, buf, sizeof(buf)), "SIGABRT");
	/* real-time signals as glibc numbers them: SIGRTMIN is 34 */
	assert_string_equal(stall__signame(31, buf, sizeof(buf)), "SIGSYS");
	assert_string_equal(stall__signame(32, buf, sizeof(buf)), "signal 32");
	assert_string_equal(stall__signame(33, buf, sizeof(buf)), "signal 33");
	assert_string_equal(stall__signame(34, buf, sizeof(buf)), "SIGRTMIN");
	assert_string_equal(stall__signame(35, buf, sizeof(buf)), "SIGRTMIN+1");
	assert_string_equal(stall__signame(63, buf, sizeof(buf)), "SIGRTMIN+29");
	assert_string_equal(stall__signame(64, buf, sizeof(buf)), "SIGRTMAX");
	assert_string_equal(stall__signame(65, buf, sizeof(buf)), "signal 65");
	assert_string_equal(stall__signame(0, buf, sizeof(buf)), "signal 0");
	assert_string_equal(stall__signame(200, buf, sizeof(buf)), "signal 200");
	assert_string_equal(stall__signame(-3, buf, sizeof(buf)), "signal -3");
	/* Truncated, terminated. */
	assert_string_equal(stall__signame(9, buf, 5), "SIGK");
	assert_string_equal(stall__signame(200, buf, 8), "signal ");
}

static void format_is(const struct stall_report *r, const char *want)
{
	char buf[1024];
	int n;

	memset(buf, 'x', sizeof(buf));
	n = stall__format(buf, sizeof(buf), r);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* A D wait on a mutex, SIGKILL pending, the holder named, the pipe given. */
static void test_format_full(void **state)
{
	struct stall_report r = {
		.pid = 7,
		.tid = 8,
		.comm = "zfs",
		.state = S_UNINTERRUPTIBLE,
		.dur_ns = 3200 * 1000000ull,
		.kstack = mutex_stack,
		.nkstack = NFRAMES(mutex_stack),
		.fatal_sig = 9,
		.fatal_ns = 3 * NS_PER_SEC,
		.blocked_by = 6,
		.blocked_comm = "holder",
		.blocked_reason = "holds the pipe lock",
		.pipe_ino = 31337,
	};

	format_is(&r, "stall: pid 7 tid 8 (zfs) uninterruptible for 3.2 s in __mutex_lock "
		      "[__mutex_lock.constprop.0+0x511 < anon_pipe_write+0x5a < vfs_write+0x23e "
		      "< ksys_write+0x6f]; SIGKILL pending 3.0 s: not killable; blocked by tid 6 "
		      "(holder): holds the pipe lock; pipe 31337");

	/* Fewer frames than shown at most; the holder's name unknown. */
	r.nkstack = 5;
	r.blocked_comm = NULL;
	r.comm = NULL;
	format_is(&r, "stall: pid 7 tid 8 (?) uninterruptible for 3.2 s in __mutex_lock "
		      "[__mutex_lock.constprop.0+0x511 < anon_pipe_write+0x5a]; SIGKILL pending "
		      "3.0 s: not killable; blocked by tid 6: holds the pipe lock; pipe 31337");

	/* No reason either. */
	r.blocked_reason = NULL;
	r.pipe_ino = 0;
	r.fatal_sig = 0;
	format_is(&r, "stall: pid 7 tid 8 (?) uninterruptible for 3.2 s in __mutex_lock "
		      "[__mutex_lock.constprop.0+0x511 < anon_pipe_write+0x5a]; blocked by tid 6");
}

/* Began before tracing: the length is estimated; nothing else known. */
static void test_format_estimated(void **state)
{
	const struct stall_report r = {
		.pid = 100,
		.tid = 100,
		.comm = "sleeper",
		.state = S_INTERRUPTIBLE,
		.dur_ns = 12 * NS_PER_SEC,
		.estimated = true,
	};

	format_is(&r, "stall: pid 100 tid 100 (sleeper) sleeping for about 12.0 s");
}

/* The stack is all scheduler: no "in", no frames. */
static void test_format_sched_only_stack(void **state)
{
	static const char *const ks[] = { "__schedule+0x618", "schedule+0x27" };
	const struct stall_report r = {
		.pid = 1,
		.tid = 2,
		.comm = "a",
		.state = S_UNINTERRUPTIBLE,
		.dur_ns = 1500 * 1000000ull,
		.kstack = ks,
		.nkstack = NFRAMES(ks),
	};

	format_is(&r, "stall: pid 1 tid 2 (a) uninterruptible for 1.5 s");
}

/* TASK_KILLABLE: the pending signal will end the wait. */
static void test_format_killable(void **state)
{
	static const char *const ks[] = {
		"__schedule+0x618",
		"schedule+0x27",
		"schedule_timeout+0x9e",
		"__wait_for_common.isra.0+0x8d",
		"wait_for_completion_killable+0x20",
	};
	struct stall_report r = {
		.pid = 40,
		.tid = 41,
		.comm = "worker",
		.state = S_KILLABLE,
		.dur_ns = 2 * NS_PER_SEC,
		.kstack = ks,
		.nkstack = NFRAMES(ks),
		.fatal_sig = 15,
		.fatal_ns = 500 * 1000000ull,
	};

	format_is(&r, "stall: pid 40 tid 41 (worker) uninterruptible for 2.0 s in "
		      "__wait_for_common [__wait_for_common.isra.0+0x8d < "
		      "wait_for_completion_killable+0x20]; SIGTERM pending 0.5 s: killable");

	/* Interruptible sleep with an unnamed signal. */
	r.state = S_INTERRUPTIBLE;
	r.fatal_sig = 200;
	format_is(&r, "stall: pid 40 tid 41 (worker) sleeping for 2.0 s in "
		      "__wait_for_common [__wait_for_common.isra.0+0x8d < "
		      "wait_for_completion_killable+0x20]; signal 200 pending 0.5 s: killable");
}

/* A reason without a holder, e.g. waiting for a pipe reader. */
static void test_format_reason_only(void **state)
{
	static const char *const ks[] = {
		"__schedule+0x618",
		"schedule+0x27",
		"pipe_write+0x3b6",
		"vfs_write+0x23e",
	};
	const struct stall_report r = {
		.pid = 5,
		.tid = 5,
		.comm = "writer",
		.state = S_INTERRUPTIBLE,
		.dur_ns = 4 * NS_PER_SEC,
		.kstack = ks,
		.nkstack = NFRAMES(ks),
		.blocked_reason = "pipe full, no reader reading",
		.pipe_ino = 77,
	};

	format_is(&r, "stall: pid 5 tid 5 (writer) sleeping for 4.0 s in pipe_write "
		      "[pipe_write+0x3b6 < vfs_write+0x23e]; pipe full, no reader reading; "
		      "pipe 77");
}

/* A small buffer: a terminated prefix, and the length the whole line needs. */
static void test_format_truncated(void **state)
{
	const struct stall_report r = {
		.pid = 7,
		.tid = 8,
		.comm = "zfs",
		.state = S_UNINTERRUPTIBLE,
		.dur_ns = 3200 * 1000000ull,
		.kstack = mutex_stack,
		.nkstack = NFRAMES(mutex_stack),
		.fatal_sig = 9,
		.fatal_ns = 3 * NS_PER_SEC,
		.blocked_by = 6,
		.blocked_comm = "holder",
		.blocked_reason = "holds the pipe lock",
		.pipe_ino = 31337,
	};
	char full[1024], buf[1024];
	int n = stall__format(full, sizeof(full), &r);
	size_t len;

	assert_int_equal(n, strlen(full));
	assert_int_equal(n, 255);
	/* Every size from nothing to one past the line. */
	for (len = 0; len <= (size_t)n + 1; len++) {
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(stall__format(buf, len, &r), n);
		if (len == 0) {
			assert_int_equal(buf[0], 'x');
			continue;
		}
		if (strlen(buf) != len - 1 || memcmp(buf, full, len - 1) != 0)
			fail_msg("len %zu: got '%s'", len, buf);
		/* Nothing written past the buffer. */
		if (buf[len] != 'x')
			fail_msg("len %zu: wrote past the end", len);
	}
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(stall__format(buf, 20, &r), n);
	assert_string_equal(buf, "stall: pid 7 tid 8 ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_killable),
		cmocka_unit_test(test_wait_frame),
		cmocka_unit_test(test_func),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_signame),
		cmocka_unit_test(test_format_full),
		cmocka_unit_test(test_format_estimated),
		cmocka_unit_test(test_format_sched_only_stack),
		cmocka_unit_test(test_format_killable),
		cmocka_unit_test(test_format_reason_only),
		cmocka_unit_test(test_format_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
