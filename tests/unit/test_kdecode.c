// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the kernel-event decoder (user/core/kdecode.c): hand-built
 * records of each kernel type (fork, exec, exit, fatal signal, off-CPU wait,
 * pipe write) go through decoder__record, the one dispatch, into a trace
 * writer that records every call; kernel stacks are symbolized from a
 * kallsyms fixture. The live interface is a fake (who reads a pipe, a
 * thread's name) or absent, as in replay. Then the stall reports of waits in
 * progress (stderr), the summary, and malformed records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "goroutines.h"
#include "kdecode.h"
#include "ksyms.h"
#include "ksyms_text.h"
#include "names.h"
#include "spantrace.h"
#include "stats.h"
#include "tasks.h"
#include "trace.h"
#include "trace_capture.h"

#define MS 1000000ull
#define SEC 1000000000ull

#define TASK_INTERRUPTIBLE 0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_STOPPED 0x4

/* The BPF program and the tracepoint's glue come first in a stack taken at sched_switch. */
static const char kallsyms[] = "ffffffff81001000 T bpf_trace_run4\n"
			       "ffffffff81002000 t __bpf_trace_sched_switch\n"
			       "ffffffff81003000 T __schedule\n"
			       "ffffffff81004000 T schedule\n"
			       "ffffffff81005000 t __mutex_lock.constprop.0\n"
			       "ffffffff81006000 t anon_pipe_write\n"
			       "ffffffff81007000 T vfs_write\n"
			       "ffffffff81008000 T do_nanosleep\n"
			       "ffffffffc0001000 t bpf_prog_6deef7357e7b4530_on_switch\t[bpf]\n";

/* __mutex_lock in a pipe write, as taken at switch-out, glue and all. */
static const uint64_t lock_stack[] = {
	0xffffffffc0001040, 0xffffffff81001080, 0xffffffff81002010, 0xffffffff81003628,
	0xffffffff81004023, 0xffffffff8100514c, 0xffffffff8100605a, 0xffffffff8100723e,
};
#define LOCK_FRAMES                                                                    \
	"__schedule+0x628 < schedule+0x23 < __mutex_lock.constprop.0+0x14c < "         \
	"anon_pipe_write+0x5a < vfs_write+0x23e"

/* A nanosleep, without the glue (a stack from the task iterator). */
static const uint64_t sleep_stack[] = { 0xffffffff81003628, 0xffffffff81004023,
					0xffffffff8100805e };
#define SLEEP_FRAMES "__schedule+0x628 < schedule+0x23 < do_nanosleep+0x5e"

/* --- the live system, faked ------------------------------------------------------ */

struct fake_live {
	uint32_t reader; /* what pipe_reader answers */
	bool searching;	 /* ...or that it is not known yet */
	uint64_t asked_ino;
	uint32_t asked_writer;
	unsigned int reader_calls, comm_calls;
};

static void fake_comm(void *ctx, uint32_t tid, char *buf, size_t len)
{
	struct fake_live *l = ctx;

	l->comm_calls++;
	snprintf(buf, len, "%s", tid == 103 ? "from-proc" : "");
}

static bool fake_pipe_reader(void *ctx, uint64_t ino, uint32_t writer, uint32_t *pid)
{
	struct fake_live *l = ctx;

	l->reader_calls++;
	l->asked_ino = ino;
	l->asked_writer = writer;
	if (l->searching)
		return false;
	*pid = l->reader;
	return true;
}

/* --- the decoder under test ------------------------------------------------------- */

enum { P_WORK, NPROBES };

static struct probe probe_v[NPROBES] = {
	[P_WORK] = { .name = "work", .func = "work", .object = "/bin/t", .role = SPEC_FUNC },
};

struct fx {
	struct probe_table probes;
	struct trace_writer w;
	struct decoder d;
	struct ksyms *ks;
	struct fake_live fake;
	struct decode_live live;
};

static int fx__setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->probes = (struct probe_table){ .v = probe_v, .n = NPROBES };
	f->ks = ksyms_from_text(kallsyms);
	f->live = (struct decode_live){ .comm = fake_comm, .pipe_reader = fake_pipe_reader,
					.ctx = &f->fake };
	f->d = (struct decoder){ .probes = &f->probes, .ops = &capture_ops, .w = &f->w,
				 .target_pid = 100, .live = &f->live,
				 .kev = { .ks = f->ks, .min_wait_ns = 10 * MS, .stall_ns = SEC,
					  .notices = stderr } };
	/* window 0: each event is released as it is pushed, so the order is exact */
	f->d.tree = spantree__new(0, decoder__on_span, decoder__on_task, &f->d);
	f->d.tasks = tasks__new();
	f->d.gors = gor__new();
	f->d.names = names__new();
	f->d.stats = stats__new();
	if (!f->d.tree || !f->d.tasks || !f->d.gors || !f->d.names || !f->d.stats)
		return -1;
	spantree__on_drop(f->d.tree, decoder__on_drop);
	*state = f;
	return 0;
}

static int fx__teardown(void **state)
{
	struct fx *f = *state;

	capture__free(&f->w);
	spantree__free(f->d.tree);
	tasks__free(f->d.tasks);
	gor__free(f->d.gors);
	names__free(f->d.names);
	stats__free(f->d.stats);
	kdecode__free(&f->d.kev);
	ksyms__free(f->ks);
	free(f);
	return 0;
}

/* --- records ---------------------------------------------------------------------- */

static struct st_hdr hdr(uint8_t type, uint32_t tid, uint64_t ts)
{
	return (struct st_hdr){ .type = type, .tid = tid, .ts = ts };
}

static void fork_rec(struct fx *f, uint64_t ts, uint32_t pid, uint32_t tid, uint32_t child_pid,
		     uint32_t child_tid, const char *comm)
{
	struct st_fork r = { .hdr = hdr(ST_REC_FORK, tid, ts), .pid = pid, .child_pid = child_pid,
			     .child_tid = child_tid };

	memcpy(r.comm, comm, strnlen(comm, sizeof(r.comm)));
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

static void exit_rec(struct fx *f, uint64_t ts, uint32_t pid, uint32_t tid, int code,
		     bool group_dead, const char *comm)
{
	struct st_exit r = { .hdr = hdr(ST_REC_EXIT, tid, ts), .pid = pid, .code = code,
			     .group_dead = group_dead };

	memcpy(r.comm, comm, strnlen(comm, sizeof(r.comm)));
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

static void signal_rec(struct fx *f, uint64_t ts, uint32_t pid, uint32_t tid, int sig,
		       bool group)
{
	struct st_signal r = { .hdr = hdr(ST_REC_SIGNAL, tid, ts), .pid = pid, .sig = sig,
			       .sender_pid = 1, .sender_tid = 7, .group = group };

	memcpy(r.sender_comm, "systemd", 7);
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

static struct st_offcpu offcpu(uint32_t pid, uint64_t start, uint32_t state, const uint64_t *stack,
			       size_t n)
{
	struct st_offcpu o = { .start = start, .pid = pid, .state = state, .nstack = (uint16_t)n };

	memcpy(o.stack, stack, n * sizeof(stack[0]));
	return o;
}

static void wait_rec(struct fx *f, uint32_t tid, uint64_t end, const struct st_offcpu *o)
{
	struct st_wait r = { .hdr = hdr(ST_REC_WAIT, tid, end), .w = *o };

	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

static void pipe_rec(struct fx *f, uint32_t tid, uint64_t end, int64_t result,
		     const struct st_pwrite *pw)
{
	struct st_pipe_write r = { .hdr = hdr(ST_REC_PIPE_WRITE, tid, end), .result = result,
				   .pw = *pw };

	assert_true(decoder__record(&f->d, &r, sizeof(r)));
}

/* --- stderr, where the notices (stall reports) go here ---------------------------------- */

struct stderr_capture {
	int saved;
	char path[32];
};

static void stderr__begin(struct stderr_capture *c)
{
	int fd;

	fflush(stderr);
	strcpy(c->path, "/tmp/test_kdecode.XXXXXX");
	fd = mkstemp(c->path);
	assert_true(fd >= 0);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

/* What was written to stderr since stderr__begin; the caller frees it. */
static char *stderr__end(struct stderr_capture *c)
{
	char *text = calloc(1, 4096);
	int fd;

	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	fd = open(c->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_non_null(text);
	assert_true(read(fd, text, 4095) >= 0);
	close(fd);
	unlink(c->path);
	return text;
}

/* --- the process tree ------------------------------------------------------------- */

static void test_fork_and_thread(void **state)
{
	struct fx *f = *state;
	const struct task *t;

	fork_rec(f, 1000, 100, 100, 200, 200, "child");
	fork_rec(f, 1100, 100, 100, 100, 101, "parent");
	EXPECT(&f->w, "flow 100/100 -> 200/200 1000 fork",
	       "flow 100/100 -> 100/101 1100 thread");
	t = tasks__get(f->d.tasks, 200);
	assert_non_null(t);
	assert_int_equal(t->pid, 200);
	assert_string_equal(t->comm, "child");
	assert_true(t->in_trace && tasks__get(f->d.tasks, 100)->in_trace);
	assert_int_equal(tasks__get(f->d.tasks, 101)->pid, 100);
	assert_int_equal(f->d.kev.n.forks, 1);
	assert_int_equal(f->d.kev.n.threads, 1);

	/* a child whose tid was an exited task's: a task of its own, named afresh */
	exit_rec(f, 1200, 200, 200, 0, true, "child");
	EXPECT(&f->w, "instant 200/200 1200 exit code=0");
	fork_rec(f, 1300, 100, 100, 200, 200, "again");
	EXPECT(&f->w, "flow 100/100 -> 200/200 1300 fork");
	t = tasks__get(f->d.tasks, 200);
	assert_string_equal(t->comm, "again");
	assert_false(t->exited);
	assert_int_equal(f->d.bad_records, 0);
}

static void test_exec(void **state)
{
	struct fx *f = *state;
	struct st_exec r = { .hdr = hdr(ST_REC_EXEC, 100, 2000), .pid = 100, .old_tid = 100 };

	strcpy(r.filename, "/usr/bin/true");
	strcpy(r.comm, "true");
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
	EXPECT(&f->w, "instant 100/100 2000 exec path='/usr/bin/true' comm='true'");
	assert_string_equal(tasks__get(f->d.tasks, 100)->comm, "true");

	/* a thread that execs takes the leader's tid: the thread it was is gone */
	fork_rec(f, 2100, 100, 100, 100, 101, "t");
	f->w.seen = f->w.n;
	r.hdr.ts = 2200;
	r.old_tid = 101;
	/* a path that fills its field has no NUL: cut there, never read past */
	memset(r.filename, 'a', sizeof(r.filename));
	memcpy(r.comm, "sixteen-chars-xx", ST_COMM_LEN);
	assert_true(decoder__record(&f->d, &r, sizeof(r)));
	{
		char want[512];

		snprintf(want, sizeof(want),
			 "instant 100/100 2200 exec path='%.*s' comm='sixteen-chars-xx'",
			 ST_PATH_LEN,
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		assert_int_equal(f->w.n - f->w.seen, 1);
		assert_string_equal(f->w.lines[f->w.seen], want);
		f->w.seen = f->w.n;
	}
	assert_true(tasks__get(f->d.tasks, 101)->exited);
	assert_int_equal(f->d.kev.n.execs, 2);
}

/* Exits: code or signal (a wait(2) status), thread or process; they end open spans. */
static void test_exit(void **state)
{
	struct fx *f = *state;
	struct st_span b = { .hdr = hdr(ST_REC_SPAN_BEGIN, 101, 2500), .pid = 100,
			     .probe = P_WORK };
	const struct task *t;

	assert_true(decoder__record(&f->d, &b, sizeof(b)));
	exit_rec(f, 3000, 100, 101, 3 << 8, false, "renamed");
	EXPECT(&f->w, "span 100/101 work 2500+500 id=1 parent=0 depth=0 "
		      "func=work object=/bin/t unfinished",
	       "instant 100/101 3000 thread_exit code=3");
	t = tasks__get(f->d.tasks, 101);
	assert_true(t->exited);
	assert_string_equal(t->comm, "renamed");

	exit_rec(f, 3100, 100, 102, SIGKILL, false, "");
	exit_rec(f, 3200, 100, 100, SIGSEGV | 0x80, true, "main");
	EXPECT(&f->w, "instant 100/102 3100 thread_exit signal='SIGKILL'",
	       "instant 100/100 3200 exit signal='SIGSEGV' core_dumped=1");
	assert_int_equal(f->d.kev.n.exits, 1);
	assert_int_equal(f->d.kev.n.thread_exits, 2);
}

/* A fatal signal: an instant, and pending on the task until it exits. */
static void test_signal(void **state)
{
	struct fx *f = *state;
	struct st_offcpu o = offcpu(100, 4 * SEC, TASK_UNINTERRUPTIBLE, sleep_stack, 3);

	fork_rec(f, 1000, 100, 100, 100, 101, "t");
	f->w.seen = f->w.n;
	signal_rec(f, 4500 * MS, 100, 100, SIGKILL, true);
	EXPECT(&f->w, "instant 100/100 4500000000 fatal_signal signal='SIGKILL' "
		      "sender_pid=1 sender_tid=7 sender_comm='systemd' group=1");
	assert_int_equal(tasks__get(f->d.tasks, 101)->fatal_sig, SIGKILL);
	assert_int_equal(f->d.kev.n.signals, 1);

	/* the other thread's wait, which the signal (sent for the process) found it in */
	wait_rec(f, 101, 5 * SEC, &o);
	EXPECT(&f->w, "wait 100/101 in=do_nanosleep 4000000000+1000000000 D "
		      "[" SLEEP_FRAMES "] fatal=SIGKILL");

	/* its exit ends what was pending */
	exit_rec(f, 6 * SEC, 100, 101, SIGKILL, false, "t");
	assert_int_equal(tasks__get(f->d.tasks, 101)->fatal_sig, 0);
}

/* --- waits ------------------------------------------------------------------------- */

static void test_wait(void **state)
{
	struct fx *f = *state;
	struct st_offcpu o = offcpu(100, 4 * SEC, TASK_UNINTERRUPTIBLE, lock_stack, 8);

	o.blocker = ST_BLK_PIPE_LOCK;
	o.blocked_by = 102;
	o.pipe_ino = 777;
	o.flags = ST_WAIT_F_ESTIMATED;
	wait_rec(f, 101, 5 * SEC, &o);
	EXPECT(&f->w, "wait 100/101 in=__mutex_lock 4000000000+1000000000 D "
		      "[" LOCK_FRAMES "] blocked_by=102 reason='holds the pipe lock' estimated",
	       "  pipe 777");
	assert_true(tasks__get(f->d.tasks, 101)->in_trace);

	/* interruptible, killable, nothing but the scheduler in its stack */
	o = offcpu(100, 6 * SEC, TASK_INTERRUPTIBLE, sleep_stack, 2);
	wait_rec(f, 101, 6 * SEC + 20 * MS, &o);
	/* stopped (not killable: no TASK_WAKEKILL here); a stack that begins with a
	 * zero is empty; an end before the start lasts 0 */
	o = offcpu(100, 7 * SEC, TASK_STOPPED, (const uint64_t[]){ 0, 0xffffffff81004023 }, 2);
	wait_rec(f, 101, 7 * SEC - 1, &o);
	EXPECT(&f->w, "wait 100/101 in=- 6000000000+20000000 S killable "
		      "[__schedule+0x628 < schedule+0x23]",
	       "wait 100/101 in=- 7000000000+0 T []");
	assert_int_equal(f->d.kev.n.waits, 3);
	assert_int_equal(f->d.kev.n.dwaits, 1);

	/* a stack deeper than a record holds is read to ST_MAX_STACK frames */
	o = offcpu(100, 8 * SEC, TASK_INTERRUPTIBLE, sleep_stack, 3);
	o.nstack = 0xffff;
	wait_rec(f, 101, 9 * SEC, &o);
	EXPECT(&f->w, "wait 100/101 in=do_nanosleep 8000000000+1000000000 S killable "
		      "[" SLEEP_FRAMES "]");

	/* without kernel symbols: addresses, the wait named after the first; still
	 * going on at the stop */
	f->d.kev.ks = NULL;
	o = offcpu(100, 10 * SEC, TASK_INTERRUPTIBLE, sleep_stack, 3);
	kdecode__wait(&f->d, 101, &o, 11 * SEC, true);
	EXPECT(&f->w, "wait 100/101 in=0xffffffff81003628 10000000000+1000000000 S killable "
		      "[0xffffffff81003628 < 0xffffffff81004023 < 0xffffffff8100805e] unfinished");
}

/* Each kind of blocker, in words; a pipe's reader from the live system, if any. */
static void test_blockers(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint8_t kind;
		uint32_t by, reader;
		const char *words;
	} cases[] = {
		{ ST_BLK_MUTEX, 102, 0, " blocked_by=102 reason='owns the mutex'" },
		{ ST_BLK_MUTEX, 0, 0, "" },
		{ ST_BLK_SEM, 102, 0, " blocked_by=102 reason='took the semaphore last'" },
		{ ST_BLK_SEM, 0, 0, "" },
		{ ST_BLK_PIPE_HELD, 101,
		  0, " reason='holds the pipe lock itself while it sleeps here'" },
		{ ST_BLK_PIPE_SPACE, 0, 300,
		  " blocked_by=300 reason='the pipe is full; holds the read end and does not "
		  "read'" },
		{ ST_BLK_PIPE_SPACE, 0, 100,
		  " blocked_by=100 reason='the pipe is full; only the writer's own process holds "
		  "its read end'" },
		{ ST_BLK_PIPE_SPACE, 0, 0,
		  " reason='the pipe is full and no process holds its read end'" },
		{ 99, 102, 0, " blocked_by=102" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct st_offcpu o = offcpu(100, SEC, TASK_INTERRUPTIBLE, sleep_stack, 3);
		char want[300];

		o.blocker = cases[i].kind;
		o.blocked_by = cases[i].by;
		o.pipe_ino = 55;
		f->fake.reader = cases[i].reader;
		wait_rec(f, 101, 2 * SEC, &o);
		snprintf(want, sizeof(want),
			 "wait 100/101 in=do_nanosleep 1000000000+1000000000 S killable "
			 "[" SLEEP_FRAMES "]%s", cases[i].words);
		assert_int_equal(f->w.n - f->w.seen, 2);
		assert_string_equal(f->w.lines[f->w.seen], want);
		assert_string_equal(f->w.lines[f->w.seen + 1], "  pipe 55");
		f->w.seen = f->w.n;
	}
	/* the reader was asked about the pipe and the writer's process */
	assert_int_equal(f->fake.reader_calls, 3);
	assert_int_equal(f->fake.asked_ino, 55);
	assert_int_equal(f->fake.asked_writer, 100);

	/* still being searched for: not known yet, never "nobody" */
	f->fake.searching = true;
	{
		struct st_offcpu o = offcpu(100, SEC, TASK_INTERRUPTIBLE, sleep_stack, 3);

		o.blocker = ST_BLK_PIPE_SPACE;
		wait_rec(f, 101, 2 * SEC, &o);
	}
	EXPECT(&f->w, "wait 100/101 in=do_nanosleep 1000000000+1000000000 S killable "
		      "[" SLEEP_FRAMES "] reason='the pipe is full; its readers are not known "
		      "yet (/proc was still being searched)'");
	assert_int_equal(f->fake.reader_calls, 4);
	f->fake.searching = false;

	/* nothing live to ask (replay): the readers are unknown, never "nobody" */
	f->d.live = NULL;
	{
		struct st_offcpu o = offcpu(100, SEC, TASK_INTERRUPTIBLE, sleep_stack, 3);

		o.blocker = ST_BLK_PIPE_SPACE;
		wait_rec(f, 101, 2 * SEC, &o);
	}
	EXPECT(&f->w, "wait 100/101 in=do_nanosleep 1000000000+1000000000 S killable "
		      "[" SLEEP_FRAMES "] reason='the pipe is full; its readers are not known "
		      "here'");
	assert_int_equal(f->fake.reader_calls, 4);
}

/* --- pipe writes -------------------------------------------------------------------- */

static void test_pipe_writes(void **state)
{
	struct fx *f = *state;
	struct st_pwrite quick = { .start = 1000, .ino = 11, .requested = 40, .pid = 200 };
	struct st_pwrite blocked = { .start = 10 * MS, .ino = 12, .requested = 1 << 20,
				     .blocked_ns = 50 * MS, .pid = 200,
				     .blocker = ST_BLK_PIPE_SPACE };
	struct st_pwrite died = { .start = 100 * MS, .ino = 11, .requested = 8, .pid = 200,
				  .flags = ST_PW_F_EXITED };

	/* counted, but too short to draw */
	pipe_rec(f, 201, 2000, 40, &quick);
	EXPECT_NOTHING(&f->w);
	assert_true(tasks__get(f->d.tasks, 201)->in_trace);

	f->fake.reader = 300;
	pipe_rec(f, 201, 70 * MS, 65536, &blocked);
	/* the writer died inside it: its result means nothing, the write is cut short */
	pipe_rec(f, 201, 101 * MS, -32, &died);
	/* still going on at the stop (kevents__finish reads it from the map) */
	kdecode__pipe_write(&f->d, 202, &quick, 0, 3000, true);
	EXPECT(&f->w, "pipe_write 200/201 10000000+60000000 pipe=12 result=65536 "
		      "requested=1048576 blocked=50000000 blocked_by=300 reason='the pipe is full; "
		      "holds the read end and does not read'",
	       "pipe_write 200/201 100000000+1000000 pipe=11 result=-32 requested=8 blocked=0 "
	       "unfinished",
	       "pipe_write 200/202 1000+2000 pipe=11 result=0 requested=40 blocked=0 unfinished");
	assert_int_equal(f->d.kev.n.pipe_writes, 4);
	assert_int_equal(f->d.kev.n.pipe_bytes, 40 + 65536);
	assert_int_equal(f->d.kev.n.pipe_blocked, 1);
	assert_int_equal(f->d.kev.pipes.counted, 2);
}

/* --- stalls and the summary ------------------------------------------------------------ */

static void test_stalls(void **state)
{
	struct fx *f = *state;
	struct st_offcpu o = offcpu(100, 10 * SEC, TASK_UNINTERRUPTIBLE, lock_stack, 8);
	struct stderr_capture c;
	char *text;

	fork_rec(f, 1000, 100, 100, 100, 101, "stuck");
	fork_rec(f, 1100, 100, 100, 100, 102, "holder");
	signal_rec(f, 10500 * MS, 100, 101, SIGKILL, false);
	f->w.seen = f->w.n;
	o.blocker = ST_BLK_PIPE_LOCK;
	o.blocked_by = 102;
	o.pipe_ino = 777;

	stderr__begin(&c);
	kdecode__stall(&f->d, 101, &o, 10 * SEC + 500 * MS); /* not yet --stall (1 s) */
	kdecode__stall(&f->d, 101, &o, 11 * SEC + 200 * MS);
	kdecode__stall(&f->d, 101, &o, 15 * SEC);		/* not yet ten times as long */
	kdecode__stall(&f->d, 101, &o, 22 * SEC + 500 * MS);
	/* a task no record named: its name from the live system */
	kdecode__stall(&f->d, 103, &o, 11 * SEC + 200 * MS);
	/* the wait ends */
	wait_rec(f, 101, 23 * SEC, &o);
	text = stderr__end(&c);
	assert_string_equal(
		text,
		"spantrace: stall: pid 100 tid 101 (stuck) uninterruptible for 1.2 s in "
		"__mutex_lock [__mutex_lock.constprop.0+0x14c < anon_pipe_write+0x5a < "
		"vfs_write+0x23e]; SIGKILL pending 0.7 s: not killable; blocked by tid 102 "
		"(holder): holds the pipe lock; pipe 777\n"
		"spantrace: stall: pid 100 tid 101 (stuck) uninterruptible for 12.5 s in "
		"__mutex_lock [__mutex_lock.constprop.0+0x14c < anon_pipe_write+0x5a < "
		"vfs_write+0x23e]; SIGKILL pending 12.0 s: not killable; blocked by tid 102 "
		"(holder): holds the pipe lock; pipe 777\n"
		"spantrace: stall: pid 100 tid 103 (from-proc) uninterruptible for 1.2 s in "
		"__mutex_lock [__mutex_lock.constprop.0+0x14c < anon_pipe_write+0x5a < "
		"vfs_write+0x23e]; blocked by tid 102 (holder): holds the pipe lock; pipe 777\n"
		"spantrace: stall over: pid 100 tid 101 (stuck) after 13.0 s\n");
	free(text);
	assert_int_equal(f->d.kev.n.stalls, 3);
	assert_int_equal(tasks__get(f->d.tasks, 101)->stall_said, 0);
	/* the wait itself went to the trace as usual */
	assert_int_equal(f->w.n - f->w.seen, 2);
	f->w.seen = f->w.n;

	/* without the live system, a task no record named has no name */
	f->d.live = NULL;
	stderr__begin(&c);
	kdecode__stall(&f->d, 104, &o, 11 * SEC + 200 * MS);
	text = stderr__end(&c);
	assert_non_null(strstr(text, "stall: pid 100 tid 104 (?) uninterruptible for 1.2 s"));
	free(text);
}

/* Without a stream for notices (replay), stalls are counted and said nowhere. */
static void test_stalls_without_notices(void **state)
{
	struct fx *f = *state;
	struct st_offcpu o = offcpu(100, 10 * SEC, TASK_UNINTERRUPTIBLE, lock_stack, 8);
	struct stderr_capture c;
	char *text;

	f->d.kev.notices = NULL;
	fork_rec(f, 1000, 100, 100, 100, 101, "stuck");
	f->w.seen = f->w.n;
	stderr__begin(&c);
	kdecode__stall(&f->d, 101, &o, 11 * SEC + 200 * MS);
	kdecode__stall(&f->d, 101, &o, 22 * SEC + 500 * MS);
	wait_rec(f, 101, 23 * SEC, &o);
	text = stderr__end(&c);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(f->d.kev.n.stalls, 2);
	assert_int_equal(tasks__get(f->d.tasks, 101)->stall_said, 0);
	assert_int_equal(f->w.n - f->w.seen, 1); /* the wait, in the trace as usual */
}

static void test_summary(void **state)
{
	struct fx *f = *state;
	struct st_offcpu o = offcpu(100, SEC, TASK_UNINTERRUPTIBLE, sleep_stack, 3);
	struct st_pwrite pw = { .start = 1000, .ino = 11, .requested = 40, .pid = 100 };
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	fork_rec(f, 1000, 100, 100, 200, 200, "c");
	fork_rec(f, 1000, 100, 100, 100, 101, "t");
	exit_rec(f, 2000, 200, 200, 0, true, "c");
	signal_rec(f, 2500, 100, 101, SIGTERM, false);
	wait_rec(f, 101, 2 * SEC, &o);
	pipe_rec(f, 101, 3000, 40, &pw);
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	kdecode__summary(&f->d.kev, m);
	fclose(m);
	assert_string_equal(buf,
			    "processes: 1 forks, 1 threads created, 0 execs\n"
			    "exits: 1 processes (+0 threads); fatal signals: 1\n"
			    "pipe writes: 1 (40 bytes) on 1 pipe, 0 blocked\n"
			    "off-CPU waits >= 10 ms: 1 (1 uninterruptible); stalls reported: 0\n");
	free(buf);
}

/* --- malformed records ------------------------------------------------------------- */

static void test_malformed(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint8_t type;
		size_t size;
	} types[] = {
		{ ST_REC_FORK, sizeof(struct st_fork) },
		{ ST_REC_EXEC, sizeof(struct st_exec) },
		{ ST_REC_EXIT, sizeof(struct st_exit) },
		{ ST_REC_SIGNAL, sizeof(struct st_signal) },
		{ ST_REC_WAIT, sizeof(struct st_wait) },
		{ ST_REC_PIPE_WRITE, sizeof(struct st_pipe_write) },
	};
	static union {
		struct st_hdr h;
		struct st_exec exec;
		struct st_wait wait;
	} r;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.h = hdr(types[i].type, 101, 1000);
		/* one byte short of its type's struct */
		assert_false(decoder__record(&f->d, &r, types[i].size - 1));
		assert_int_equal(f->d.bad_records, i + 1);
		/* kdecode__record alone says no, and counts nothing */
		assert_false(kdecode__record(&f->d, &r, types[i].size - 1));
	}
	/* a span record is not a kernel event */
	r.h = hdr(ST_REC_SPAN_BEGIN, 101, 1000);
	assert_false(kdecode__record(&f->d, &r, sizeof(struct st_span)));
	assert_int_equal(f->d.bad_records, 6);
	EXPECT_NOTHING(&f->w);
	assert_int_equal(tasks__count(f->d.tasks), 0);
	assert_int_equal(spantree__stats(f->d.tree)->events, 0);
}

/*
 * The names at the end: each task in the trace by its last name, the live
 * system's for one alive (renamed since its record), "tid N" for one never
 * named; a task without events is not named; a main thread names its
 * process too; in (pid, tid) order.
 */
static void test_name_tasks(void **state)
{
	struct fx *f = *state;
	struct task *t;

	tasks__set_comm(tasks__touch(f->d.tasks, 100, 100), "main");
	tasks__set_comm(tasks__touch(f->d.tasks, 100, 103), "old-name");
	t = tasks__touch(f->d.tasks, 100, 104);
	t->exited = true;
	tasks__add(f->d.tasks, 100, 105); /* no events */
	decoder__name_tasks(&f->d);
	EXPECT(&f->w, "thread_name 100/100 main", "process_name 100 main",
	       "thread_name 100/103 from-proc", "thread_name 100/104 tid 104");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fork_and_thread, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_name_tasks, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_exec, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_exit, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_signal, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_wait, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_blockers, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_pipe_writes, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_stalls, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_stalls_without_notices, fx__setup,
						fx__teardown),
		cmocka_unit_test_setup_teardown(test_summary, fx__setup, fx__teardown),
		cmocka_unit_test_setup_teardown(test_malformed, fx__setup, fx__teardown),
	};

	return cmocka_run_group_tests_name("kdecode", tests, NULL, NULL);
}
