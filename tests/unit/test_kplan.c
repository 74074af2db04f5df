/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kplan: how kernel events are observed and the exact attach plan, decided
 * from kallsyms text files shaped like the kernels spantrace meets (pipe_write
 * up to 6.14; anon_pipe_write and fifo_pipe_write from 6.15; no kprobes at
 * all; with and without syscall tracepoints), so every plan is tested without
 * booting that kernel; then carrying a
 * plan out with an attacher that fails where told: kprobes falling back to
 * tracepoints, and failures that are errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kevents.h"
#include "kplan.h"
#include "ksyms.h"
#include "ksyms_text.h"

/* Linux 6.1 (Debian bookworm, the qemu test's kernel): one pipe write function. */
static const char kallsyms_6_1[] = "ffffffff81000000 T _stext\n"
				   "ffffffff81100000 T do_exit\n"
				   "ffffffff81200000 t pipe_write\n"
				   "ffffffff81200800 t pipe_read\n"
				   "ffffffff81300000 T schedule\n";

/* Linux 6.15+ (Fedora, Arch, current Ubuntu, this machine's 6.18). */
static const char kallsyms_6_15[] = "ffffffff81000000 T _stext\n"
				    "ffffffff81100000 T do_exit\n"
				    "ffffffff81200000 t anon_pipe_write\n"
				    "ffffffff81200400 t fifo_pipe_write\n"
				    "ffffffff81200800 t anon_pipe_read\n"
				    "ffffffff81300000 T schedule\n";

/* Neither pipe write function nor do_exit (renamed, or inlined away). */
static const char kallsyms_none[] = "ffffffff81000000 T _stext\n"
				    "ffffffff81300000 T schedule\n";

/* One step as a line: "[fallback ]how target program". */
static void step_line(const struct kev_step *s, char *buf, size_t len)
{
	static const char *const how[] = { [KEV_TRACEPOINT] = "tracepoint",
					   [KEV_SYSCALL_TP] = "syscall-tracepoint",
					   [KEV_KPROBE] = "kprobe",
					   [KEV_KRETPROBE] = "kretprobe" };

	snprintf(buf, len, "%s%s %s %s", s->fallback ? "fallback " : "", how[s->how], s->target,
		 kev_prog__name(s->prog));
}

static void expect_plan(const struct kplan *p, const char *const *want, size_t n)
{
	char got[128];

	for (size_t i = 0; i < p->n || i < n; i++) {
		if (i < p->n)
			step_line(&p->v[i], got, sizeof(got));
		else
			snprintf(got, sizeof(got), "(none)");
		if (strcmp(got, i < n ? want[i] : "(none)"))
			print_error("step %zu: got \"%s\", want \"%s\"\n", i, got,
				    i < n ? want[i] : "(none)");
		assert_string_equal(got, i < n ? want[i] : "(none)");
	}
}

#define EXPECT_PLAN(p, ...)                                                            \
	do {                                                                           \
		static const char *const want_[] = { __VA_ARGS__ };                    \
		expect_plan(p, want_, sizeof(want_) / sizeof(want_[0]));               \
	} while (0)

/*
 * Links a plan holds at once, at most: per event its steps, or, once one of
 * them failed (its links destroyed), its fallbacks.
 */
static size_t max_links(const struct kplan *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n;) {
		size_t prim = 0, fall = 0, j;

		for (j = i; j < p->n && p->v[j].event == p->v[i].event; j++)
			p->v[j].fallback ? fall++ : prim++;
		n += prim > fall ? prim : fall;
		i = j;
	}
	return n;
}

/* Why the raw syscall tracepoints, in the tests of a kernel without the per-syscall ones. */
#define NO_SYSCALL_TPS "no tracefs event syscalls/sys_exit_write (No such file or directory)"

static void plan_with(const char *kallsyms, bool kprobe_pmu, bool kprobes_off,
		      const char *no_syscall_tps, struct kev_features *f, struct kplan *p)
{
	struct ksyms *ks = kallsyms ? ksyms_from_text(kallsyms) : NULL;

	kev_features__decide(f, ks, kprobe_pmu, kprobes_off, no_syscall_tps);
	ksyms__free(ks); /* the features keep no pointer into it */
	kplan__build(f, p);
	/* kevents keeps a plan's links in an array of KEV_MAX_LINKS */
	assert_true(max_links(p) <= KEV_MAX_LINKS);
}

/* A kernel with syscall tracepoints, as most are (CONFIG_FTRACE_SYSCALLS). */
static void plan_for(const char *kallsyms, bool kprobe_pmu, bool kprobes_off,
		     struct kev_features *f, struct kplan *p)
{
	plan_with(kallsyms, kprobe_pmu, kprobes_off, NULL, f, p);
}

/* write's and writev's own tracepoints, exits first; as fallbacks or not */
#define SYSCALL_TPS(fb)                                                                \
	fb "syscall-tracepoint sys_exit_write on_write_exit",                          \
		fb "syscall-tracepoint sys_exit_writev on_write_exit",                 \
		fb "syscall-tracepoint sys_enter_write on_write_enter",                \
		fb "syscall-tracepoint sys_enter_writev on_write_enter"
#define RAW_SYSCALL_TPS(fb)                                                            \
	fb "tracepoint sys_exit on_sys_exit", fb "tracepoint sys_enter on_sys_enter"

#define TREE_AND_WAITS                                                                 \
	"tracepoint sched_process_fork on_fork", "tracepoint sched_process_exec on_exec", \
		"tracepoint signal_generate on_signal", "tracepoint sched_switch on_switch"

static void test_pipe_write_kernel(void **state)
{
	struct kev_features f;
	struct kplan p;

	plan_for(kallsyms_6_1, true, false, &f, &p);
	assert_true(f.kprobes && f.exit_kprobe);
	assert_int_equal(f.npipe_funcs, 1);
	assert_string_equal(f.pipe_why, "kprobe on pipe_write");
	assert_string_equal(f.exit_why, "kprobe on do_exit");
	EXPECT_PLAN(&p, TREE_AND_WAITS, "kprobe do_exit on_exit_kprobe",
		    "fallback tracepoint sched_process_exit on_exit_tp",
		    "kprobe pipe_write pipe_write_enter", "kretprobe pipe_write pipe_write_return",
		    SYSCALL_TPS("fallback "));
}

/* 6.15+: two pipe write functions, nine links when every kprobe attaches. */
static void test_split_pipe_write_kernel(void **state)
{
	struct kev_features f;
	struct kplan p;

	plan_for(kallsyms_6_15, true, false, &f, &p);
	assert_int_equal(f.npipe_funcs, 2);
	assert_string_equal(f.pipe_why, "kprobe on anon_pipe_write and fifo_pipe_write");
	EXPECT_PLAN(&p, TREE_AND_WAITS, "kprobe do_exit on_exit_kprobe",
		    "fallback tracepoint sched_process_exit on_exit_tp",
		    "kprobe anon_pipe_write pipe_write_enter",
		    "kretprobe anon_pipe_write pipe_write_return",
		    "kprobe fifo_pipe_write pipe_write_enter",
		    "kretprobe fifo_pipe_write pipe_write_return", SYSCALL_TPS("fallback "));
	/* the largest plan there is */
	assert_int_equal(p.n, KPLAN_MAX);
}

#define ALL_TRACEPOINTS                                                                \
	TREE_AND_WAITS, "tracepoint sched_process_exit on_exit_tp", SYSCALL_TPS("")

/* This machine: kallsyms names anon_pipe_write, but there is no kprobe PMU. */
static void test_no_kprobes(void **state)
{
	struct kev_features f;
	struct kplan p;

	plan_for(kallsyms_6_15, false, false, &f, &p);
	assert_false(f.kprobes || f.exit_kprobe);
	assert_int_equal(f.npipe_funcs, 0);
	assert_string_equal(f.kprobes_why, "no kprobes in this kernel");
	assert_string_equal(f.pipe_why, "no kprobes in this kernel → syscall tracepoints (write, "
					"writev on pipe fds) + stack attribution");
	assert_string_equal(f.exit_why,
			    "tracepoint sched_process_exit (no kprobes in this kernel)");
	EXPECT_PLAN(&p, ALL_TRACEPOINTS);
}

/* Tracepoints everywhere, each for its own reason. */
static void test_tracepoints_why(void **state)
{
	struct kev_features f;
	struct kplan p;

	plan_for(kallsyms_6_1, true, true, &f, &p);
	assert_string_equal(f.exit_why,
			    "tracepoint sched_process_exit (SPANTRACE_NO_KPROBES is set)");
	EXPECT_PLAN(&p, ALL_TRACEPOINTS);

	plan_for(NULL, true, false, &f, &p);
	assert_string_equal(f.kprobes_why, "kernel symbols unreadable (/proc/kallsyms)");
	EXPECT_PLAN(&p, ALL_TRACEPOINTS);

	/* kprobes, but nothing to put them on */
	plan_for(kallsyms_none, true, false, &f, &p);
	assert_true(f.kprobes);
	assert_string_equal(f.pipe_why, "no pipe write function in kallsyms → syscall tracepoints "
					"(write, writev on pipe fds) + stack attribution");
	assert_string_equal(f.exit_why, "tracepoint sched_process_exit (no do_exit in kallsyms)");
	EXPECT_PLAN(&p, ALL_TRACEPOINTS);
}

/*
 * A kernel without syscall tracepoints (no CONFIG_FTRACE_SYSCALLS, or tracefs out
 * of reach): the raw sys_enter and sys_exit, which every syscall on the host
 * pays for, and -v says so and why.
 */
static void test_no_syscall_tracepoints(void **state)
{
	struct kev_features f;
	struct kplan p;

	plan_with(kallsyms_6_15, false, false, NO_SYSCALL_TPS, &f, &p);
	assert_false(f.syscall_tps);
	assert_string_equal(f.pipe_tps, "raw tracepoints sys_enter/sys_exit, which every syscall "
					"on the host pays for (write, writev on pipe fds; no "
					"syscall tracepoints: " NO_SYSCALL_TPS ")");
	assert_string_equal(f.pipe_why, "no kprobes in this kernel → raw tracepoints "
					"sys_enter/sys_exit, which every syscall on the host pays "
					"for (write, writev on pipe fds; no syscall tracepoints: "
					NO_SYSCALL_TPS ") + stack attribution");
	EXPECT_PLAN(&p, TREE_AND_WAITS, "tracepoint sched_process_exit on_exit_tp",
		    RAW_SYSCALL_TPS(""));

	/* the kprobes' fallbacks are the raw ones too */
	plan_with(kallsyms_6_1, true, false, NO_SYSCALL_TPS, &f, &p);
	assert_string_equal(f.pipe_why, "kprobe on pipe_write");
	EXPECT_PLAN(&p, TREE_AND_WAITS, "kprobe do_exit on_exit_kprobe",
		    "fallback tracepoint sched_process_exit on_exit_tp",
		    "kprobe pipe_write pipe_write_enter", "kretprobe pipe_write pipe_write_return",
		    RAW_SYSCALL_TPS("fallback "));
}

/* --- carrying a plan out ------------------------------------------------------------ */

/* An attacher that fails the steps on one target, and logs what it is asked to do. */
struct fake_attach {
	const char *fail_target; /* steps on this target fail */
	enum kev_how fail_how;
	size_t links, max_links;
	char log[2048];
};

static void fake__log(struct fake_attach *a, const char *what, const struct kev_step *st)
{
	size_t at = strlen(a->log);
	char line[128];

	step_line(st, line, sizeof(line));
	snprintf(a->log + at, sizeof(a->log) - at, "%s%s %s", at ? "; " : "", what, line);
}

static int fake__attach(void *ctx, const struct kev_step *st)
{
	struct fake_attach *a = ctx;

	if (a->fail_target && !strcmp(st->target, a->fail_target) && st->how == a->fail_how) {
		fake__log(a, "FAIL", st);
		return -95; /* EOPNOTSUPP */
	}
	fake__log(a, "+", st);
	if (++a->links > a->max_links)
		a->max_links = a->links;
	return 0;
}

static void fake__detach_last(void *ctx)
{
	struct fake_attach *a = ctx;
	size_t at = strlen(a->log);

	assert_true(a->links > 0);
	a->links--;
	snprintf(a->log + at, sizeof(a->log) - at, "; -");
}

static void fake__falling_back(void *ctx, const struct kev_step *st, int err)
{
	assert_int_equal(err, -95);
	fake__log(ctx, "fallback after", st);
}

static int run_with(const char *kallsyms, struct fake_attach *a, struct kplan_exec *x)
{
	struct kev_features f;
	struct kplan p;

	plan_for(kallsyms, true, false, &f, &p);
	*x = (struct kplan_exec){ .attach = fake__attach, .detach_last = fake__detach_last,
				  .falling_back = fake__falling_back, .ctx = a };
	return kplan__run(&p, x);
}

#define TREE_AND_WAITS_ATTACHED                                                          \
	"+ tracepoint sched_process_fork on_fork; + tracepoint sched_process_exec on_exec; " \
	"+ tracepoint signal_generate on_signal; + tracepoint sched_switch on_switch; "

static void test_run_all_attach(void **state)
{
	struct fake_attach a = { 0 };
	struct kplan_exec x;

	assert_int_equal(run_with(kallsyms_6_15, &a, &x), 0);
	assert_string_equal(a.log, TREE_AND_WAITS_ATTACHED
			    "+ kprobe do_exit on_exit_kprobe; "
			    "+ kprobe anon_pipe_write pipe_write_enter; "
			    "+ kretprobe anon_pipe_write pipe_write_return; "
			    "+ kprobe fifo_pipe_write pipe_write_enter; "
			    "+ kretprobe fifo_pipe_write pipe_write_return");
	assert_int_equal(a.links, 9);
	assert_false(x.fell_back[KEV_EV_EXITS] || x.fell_back[KEV_EV_PIPES]);
}

/* A kprobe of the pipe writes fails: what the event attached is undone, its tracepoints
 * attached, and no more kprobes tried for it. */
static void test_run_pipe_kprobe_falls_back(void **state)
{
	struct fake_attach a = { .fail_target = "anon_pipe_write", .fail_how = KEV_KRETPROBE };
	struct kplan_exec x;

	assert_int_equal(run_with(kallsyms_6_15, &a, &x), 0);
	assert_string_equal(a.log, TREE_AND_WAITS_ATTACHED
			    "+ kprobe do_exit on_exit_kprobe; "
			    "+ kprobe anon_pipe_write pipe_write_enter; "
			    "FAIL kretprobe anon_pipe_write pipe_write_return; "
			    "fallback after kretprobe anon_pipe_write pipe_write_return; -; "
			    "+ fallback syscall-tracepoint sys_exit_write on_write_exit; "
			    "+ fallback syscall-tracepoint sys_exit_writev on_write_exit; "
			    "+ fallback syscall-tracepoint sys_enter_write on_write_enter; "
			    "+ fallback syscall-tracepoint sys_enter_writev on_write_enter");
	assert_int_equal(a.links, 9);
	assert_true(x.fell_back[KEV_EV_PIPES]);
	assert_false(x.fell_back[KEV_EV_EXITS]);
	assert_true(a.max_links <= KEV_MAX_LINKS);

	/* the second function's kprobe: both of the first's are undone */
	a = (struct fake_attach){ .fail_target = "fifo_pipe_write", .fail_how = KEV_KPROBE };
	assert_int_equal(run_with(kallsyms_6_15, &a, &x), 0);
	assert_non_null(strstr(a.log, "fallback after kprobe fifo_pipe_write pipe_write_enter; "
				      "-; -; + fallback syscall-tracepoint sys_exit_write"));
	assert_int_equal(a.links, 9);
}

static void test_run_exit_kprobe_falls_back(void **state)
{
	struct fake_attach a = { .fail_target = "do_exit", .fail_how = KEV_KPROBE };
	struct kplan_exec x;

	assert_int_equal(run_with(kallsyms_6_1, &a, &x), 0);
	assert_string_equal(a.log, TREE_AND_WAITS_ATTACHED
			    "FAIL kprobe do_exit on_exit_kprobe; "
			    "fallback after kprobe do_exit on_exit_kprobe; "
			    "+ fallback tracepoint sched_process_exit on_exit_tp; "
			    "+ kprobe pipe_write pipe_write_enter; "
			    "+ kretprobe pipe_write pipe_write_return");
	assert_true(x.fell_back[KEV_EV_EXITS]);
	assert_false(x.fell_back[KEV_EV_PIPES]);
}

/* A tracepoint, or a fallback, that fails is an error: it is named, and nothing more tried. */
static void test_run_errors(void **state)
{
	struct fake_attach a = { .fail_target = "sched_switch", .fail_how = KEV_TRACEPOINT };
	struct kplan_exec x;

	assert_int_equal(run_with(kallsyms_6_1, &a, &x), -1);
	assert_non_null(x.failed);
	assert_string_equal(x.failed->target, "sched_switch");
	assert_int_equal(x.error, -95);
	assert_int_equal(a.links, 3); /* the caller undoes them */
	assert_null(strstr(a.log, "do_exit"));

	a = (struct fake_attach){ .fail_target = "sys_enter_writev", .fail_how = KEV_SYSCALL_TP };
	assert_int_equal(run_with(kallsyms_none, &a, &x), -1);
	assert_string_equal(x.failed->target, "sys_enter_writev");
	assert_int_equal(x.failed->how, KEV_SYSCALL_TP);
}

static void test_prog_names(void **state)
{
	assert_string_equal(kev_prog__name(KEV_PROG_PIPE_RETURN), "pipe_write_return");
	assert_string_equal(kev_prog__name(KEV_PROG_WRITE_ENTER), "on_write_enter");
	assert_string_equal(kev_prog__name(KEV_PROG_WRITE_EXIT), "on_write_exit");
	assert_string_equal(kev_prog__name(KEV_NPROGS), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_write_kernel),
		cmocka_unit_test(test_split_pipe_write_kernel),
		cmocka_unit_test(test_no_kprobes),
		cmocka_unit_test(test_tracepoints_why),
		cmocka_unit_test(test_no_syscall_tracepoints),
		cmocka_unit_test(test_run_all_attach),
		cmocka_unit_test(test_run_pipe_kprobe_falls_back),
		cmocka_unit_test(test_run_exit_kprobe_falls_back),
		cmocka_unit_test(test_run_errors),
		cmocka_unit_test(test_prog_names),
	};

	return cmocka_run_group_tests_name("kplan", tests, NULL, NULL);
}
