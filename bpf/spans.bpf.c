// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Span probes: one entry program and one return program serve every traced
 * function (C, C++, Rust, Go): the attach cookie carries the loader's probe
 * index and what to read there, so the number of functions is not bounded by
 * the number of programs. Goroutines: their creation, exit and panics. C++
 * exceptions: the unwinder's entry points, which end the spans they unwind.
 */
#include "common.bpf.h"
#include "guard.bpf.h"

/*
 * Names a thread the first time it produces a record. False if its name
 * could not be sent (the ring was full): then it is not marked named, and
 * its next record tries again.
 */
static __always_inline bool note_task(__u32 pid, __u32 tid)
{
	struct st_task *t;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&seen_tids, &tid))
		return true;
	t = reserve(sizeof(*t));
	if (!t)
		return false;
	fill_hdr(&t->hdr, ST_REC_TASK, tid);
	t->pid = pid;
	t->_pad = 0;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
	submit(t);
	/* Unchecked: harmless. If it fails (an LRU map only fails when no CPU has a free
	 * node), the thread is named again with its next record, and a name twice is
	 * still its name. */
	bpf_map_update_elem(&seen_tids, &tid, &one, BPF_ANY);
	return true;
}

/* --- span streams, and what was lost of them (common.bpf.h: a thread's) ----- */

/* A goroutine whose records were lost, until its next record is sent. */
struct gor_key {
	__u64 goid;
	__u32 pid;
	__u32 _pad;
};

struct gor_stream {
	__u32 lost;
	__u32 sdepth; /* the lowest stack depth among its records lost */
	__u32 flags;  /* ST_LOST_F_NODEPTH */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_LOSSY_GOROUTINES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct gor_key);
	__type(value, struct gor_stream);
} gor_streams SEC(".maps");

/* Entries in gor_streams: while there are none, a goroutine's record looks up nothing. */
__u64 gor_streams_pending = 0;

/* The stream a record belongs to: its thread's own (goid 0), or its goroutine's. */
struct stream {
	struct thread_stream *t; /* goid 0: the thread's state, NULL if none could be had */
	__u64 goid;
	__u32 pid, tid;
};

static __always_inline void stream_open(struct stream *st, __u64 id, __u64 goid)
{
	st->pid = id >> 32;
	st->tid = (__u32)id;
	st->goid = goid;
	st->t = goid ? NULL :
		       bpf_task_storage_get(&thread_streams, bpf_get_current_task_btf(), 0,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
}


static __always_inline void gor_forget(struct gor_key *k)
{
	if (!bpf_map_delete_elem(&gor_streams, k))
		__sync_fetch_and_add(&gor_streams_pending, -1);
}

/*
 * Whether a record of stream st may be sent: only once what the stream lost
 * before it has been told (ST_REC_LOST); false when the ring had no room for that.
 */
static __always_inline bool stream_told(struct stream *st, struct cpu_state *c)
{
	struct gor_key k = { .goid = st->goid, .pid = st->pid };
	struct gor_stream *g;
	struct st_lost *r;

	if (!st->goid)
		return thread_told(st->t, c, st->pid, st->tid);
	if (!gor_streams_pending || !(g = bpf_map_lookup_elem(&gor_streams, &k)))
		return true;
	r = lost_record(st->pid, st->tid, st->goid);
	if (!r)
		return false;
	r->lost = g->lost;
	r->sdepth = g->sdepth;
	r->flags = g->flags;
	submit_on(c, r, sizeof(*r));
	gor_forget(&k);
	return true;
}

/* A goroutine's record at sdepth (0: none) was lost. */
static __always_inline void gor_lost(struct stream *st, __u32 sdepth)
{
	struct gor_key k = { .goid = st->goid, .pid = st->pid };
	struct gor_stream *g = bpf_map_lookup_elem(&gor_streams, &k);
	struct gor_stream n = { .lost = 1, .sdepth = sdepth };

	__sync_fetch_and_add(&stream_lost, 1);
	if (g) {
		g->lost++;
		if (!sdepth)
			g->flags |= ST_LOST_F_NODEPTH;
		else if (sdepth < g->sdepth)
			g->sdepth = sdepth;
		return;
	}
	n.flags = sdepth ? 0 : ST_LOST_F_NODEPTH;
	if (bpf_map_update_elem(&gor_streams, &k, &n, BPF_NOEXIST)) {
		__sync_fetch_and_add(&lost_untracked, 1); /* the map is full */
		return;
	}
	__sync_fetch_and_add(&gor_streams_pending, 1);
}

/*
 * A record of stream st was sent, or lost: frames is what it does to the
 * thread's count (BEGIN 1, END -1, else 0), sp its stack pointer and sdepth
 * its Go stack depth (0: none).
 */
static __always_inline void stream_note(struct stream *st, bool sent, __s32 frames, __u64 sp,
					__u32 sdepth)
{
	struct thread_stream *t = st->t;

	if (st->goid) {
		if (!sent)
			gor_lost(st, sdepth);
		return;
	}
	if (!t) {
		if (!sent) {
			__sync_fetch_and_add(&stream_lost, 1);
			__sync_fetch_and_add(&lost_untracked, 1);
		}
		return;
	}
	t->frames += frames;
	if (sent) {
		t->sent = t->low = t->frames;
		return;
	}
	__sync_fetch_and_add(&stream_lost, 1);
	t->lost++;
	if (t->frames < t->low)
		t->low = t->frames;
	if (sp > t->sp)
		t->sp = sp;
	if (!sp && frames)
		t->flags |= ST_LOST_F_KEYED;
}

/* Room for a record of stream st, after what it lost is told; NULL: lost, noted and counted. */
static __always_inline void *stream_reserve(struct stream *st, struct cpu_state *c, __u64 size,
					    __s32 frames, __u64 sp, __u32 sdepth)
{
	void *r = NULL;

	if (stream_told(st, c))
		r = bpf_ringbuf_reserve(&events, size, 0);
	if (!r)
		count_dropped();
	stream_note(st, r != NULL, frames, sp, sdepth);
	return r;
}

/* Go runtime layout, from the binary's DWARF or its Go version (user/symbols/gobin.c). */
const volatile __u32 go_goid_off = 152;
const volatile __u32 go_stack_hi_off = 8;

/* runtime.newproc's goroutine, per thread, until newproc1 returns the new one. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} go_parent SEC(".maps");

/*
 * Per thread: the g's last seen at the entry of a function that overwrites
 * r14 (assembly, whose RETs cannot read g from r14), the latest first. Such a
 * function does not switch goroutines, so the g at its RET is one seen at its
 * entry; the stack check in g_runs_here picks it and makes a stale one
 * harmless. More than one, because a signal can arrive while such a function
 * runs (the runtime preempts a goroutine that runs long with SIGURG) and the
 * handler's own assembly, on the signal stack, saves its g too.
 */
#define GO_SAVED_GS 3

struct go_saved {
	__u64 g[GO_SAVED_GS];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ST_MAX_SEEN_TIDS);
	__type(key, __u32);
	__type(value, struct go_saved);
} go_cur SEC(".maps");

/* Is g the goroutine running on this stack? Its stack [lo, hi) holds sp. Sets *hi. */
static __always_inline bool g_runs_here(__u64 g, __u64 sp, __u64 *hi)
{
	__u64 stack[2]; /* runtime.g.stack: lo, hi */

	if (!g || bpf_probe_read_user(stack, sizeof(stack), (void *)(g + go_stack_hi_off - 8)))
		return false;
	*hi = stack[1];
	return stack[0] <= sp && sp < stack[1];
}

/* Puts g first among the thread's saved g's. */
static __always_inline void save_g(__u32 tid, __u64 g)
{
	struct go_saved *sv = bpf_map_lookup_elem(&go_cur, &tid), fresh = { .g = { g } };

	if (!sv) {
		bpf_map_update_elem(&go_cur, &tid, &fresh, BPF_ANY);
		return;
	}
	if (sv->g[0] == g)
		return;
	if (sv->g[1] != g)
		sv->g[2] = sv->g[1];
	sv->g[1] = sv->g[0];
	sv->g[0] = g;
}

/* The saved g whose stack holds sp (setting *hi), or 0. */
static __always_inline __u64 saved_g_here(__u32 tid, __u64 sp, __u64 *hi)
{
	struct go_saved *sv = bpf_map_lookup_elem(&go_cur, &tid);

	if (!sv)
		return 0;
	for (int i = 0; i < GO_SAVED_GS; i++)
		if (g_runs_here(sv->g[i], sp, hi))
			return sv->g[i];
	return 0;
}

/*
 * The goroutine running on this thread: r14 under Go's register ABI, unless
 * r14 holds something else (assembly that used it, C code of a cgo
 * program, a signal handler's stack); then the g this thread saved at the
 * entry of the assembly function it is in; else none (0: the thread's own
 * track). With save (the entry of a function that overwrites r14), the g is
 * saved for its RETs. With want_depth, its stack depth in *sdepth (always
 * written: 0 if not wanted or unknown).
 */
static __always_inline __u64 go_task(struct pt_regs *ctx, bool want_depth, bool save,
				     __u32 *sdepth)
{
	__u64 g = ctx->r14, goid = 0, hi = 0, sp = ctx->sp;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	*sdepth = 0;
	if (g_runs_here(g, sp, &hi)) {
		if (save)
			save_g(tid, g);
	} else {
		g = saved_g_here(tid, sp, &hi);
		if (!g)
			return 0;
	}
	bpf_probe_read_user(&goid, sizeof(goid), (void *)(g + go_goid_off));
	if (want_depth && hi - sp < (1ull << 32))
		*sdepth = (__u32)(hi - sp);
	return goid;
}

/*
 * Integer argument word n: SysV registers for C, Go's register ABI for Go.
 * Loaded into an array first: the context may only be read at constant
 * offsets, and a switch is compiled into a computed one.
 */
static __always_inline __u64 arg_word(struct pt_regs *ctx, __u32 n, bool go)
{
	__u64 ax = ctx->ax, bx = ctx->bx, cx = ctx->cx, dx = ctx->dx, di = ctx->di, si = ctx->si;
	__u64 r8 = ctx->r8, r9 = ctx->r9, r10 = ctx->r10, r11 = ctx->r11;
	__u64 w[9];

	/* every load happens here, at its constant offset, whatever the branch below */
	barrier_var(ax);
	barrier_var(bx);
	barrier_var(cx);
	barrier_var(dx);
	barrier_var(di);
	barrier_var(si);
	barrier_var(r8);
	barrier_var(r9);
	barrier_var(r10);
	barrier_var(r11);
	if (go) {
		w[0] = ax;
		w[1] = bx;
		w[2] = cx;
		w[3] = di;
		w[4] = si;
		w[5] = r8;
		w[6] = r9;
		w[7] = r10;
		w[8] = r11;
	} else {
		w[0] = di;
		w[1] = si;
		w[2] = dx;
		w[3] = cx;
		w[4] = r8;
		w[5] = r9;
		w[6] = w[7] = w[8] = 0;
	}
	return n < 9 ? w[n] : 0;
}

/* A BEGIN named from argument arg: a C string, or a Go string (pointer, length). */
static __always_inline void emit_named(struct pt_regs *ctx, struct cpu_state *c, __u64 id,
				       __u64 cookie, __u32 arg, bool can_fault)
{
	bool go = cookie & ST_CK_GO;
	__u64 ptr = arg_word(ctx, arg, go), goid = 0, sp = cookie & ST_CK_SP ? ctx->sp : 0;
	__u32 sdepth = 0;
	struct stream st;
	struct st_nspan *r;
	long n;

	if (go)
		goid = go_task(ctx, !(cookie & ST_CK_NOSDEPTH), cookie & ST_CK_GO_SAVE_G, &sdepth);
	stream_open(&st, id, goid);
	r = stream_reserve(&st, c, sizeof(*r), 1, sp, sdepth);
	/* before anything else: older verifiers do not know r is non-NULL past this */
	if (!r)
		return;
	fill_hdr(&r->hdr, ST_REC_SPAN_NAMED, st.tid);
	r->pid = st.pid;
	r->probe = (__u32)(cookie & ST_CK_PROBE_MASK);
	r->goid = goid;
	r->sdepth = sdepth;
	r->sp = sp;
	r->nflags = 0;
	r->_pad = 0;
	r->ptr = ptr;
	if (go) {
		__u64 len = arg_word(ctx, arg + 1, true);

		if (len > ST_NAME_LEN) {
			len = ST_NAME_LEN;
			r->nflags |= ST_NAME_F_TRUNCATED;
		}
		n = bpf_probe_read_user(r->name, len, (void *)ptr) ? -(long)len - 1 : (long)len;
		/* a sleepable program may fault the page in */
		if (n < 0 && can_fault && !bpf_copy_from_user(r->name, len, (void *)ptr))
			n = (long)len;
	} else {
		n = bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)ptr);
		if (n < 0 && can_fault && !bpf_copy_from_user(r->name, 1, (void *)ptr))
			n = bpf_probe_read_user_str(r->name, sizeof(r->name), (void *)ptr);
		if (n > 0) {
			n--; /* the terminating NUL */
			if (n == ST_NAME_LEN - 1)
				r->nflags |= ST_NAME_F_TRUNCATED; /* maybe: it filled the buffer */
		}
	}
	if (n < 0) {
		/* Go: -(len + 1), the bytes the loader should read; C: up to the NUL */
		n = go ? -n - 1 : 0;
		r->nflags |= ST_NAME_F_FAULT;
	}
	r->len = (__u16)n;
	submit_on(c, r, sizeof(*r));
}

/*
 * The current thread is traced (and named): through this CPU's cache, else
 * the maps. *cp is this CPU's state, for submit_on. A thread whose name
 * could not be sent is not cached: its next record sends it.
 */
static __always_inline bool current_traced(__u64 id, struct cpu_state **cp)
{
	__u32 pid = id >> 32;
	struct cpu_state *c = this_cpu();
	__u64 gen = task_gen;

	*cp = c;
	if (c && c->pid_tgid == id && c->gen == gen)
		return true;
	if (!bpf_map_lookup_elem(&tgids, &pid))
		return false;
	if (note_task(pid, (__u32)id) && c) {
		c->pid_tgid = id;
		c->gen = gen;
	}
	return true;
}

/* A span record of type (BEGIN or END) on the current thread, or goroutine in Go. */
static __always_inline void emit_record(struct pt_regs *ctx, struct cpu_state *c, __u64 id,
					__u64 cookie, __u8 type)
{
	__s32 frames = type == ST_REC_SPAN_BEGIN ? 1 : -1;
	struct stream st;

	if (cookie & ST_CK_GO) {
		__u32 sdepth;
		__u64 goid = go_task(ctx, !(cookie & ST_CK_NOSDEPTH),
				     type == ST_REC_SPAN_BEGIN && (cookie & ST_CK_GO_SAVE_G), &sdepth);
		struct st_gspan *g;

		stream_open(&st, id, goid);
		g = stream_reserve(&st, c, sizeof(*g), frames, 0, sdepth);
		if (!g)
			return;
		fill_hdr(&g->hdr, type == ST_REC_SPAN_BEGIN ? ST_REC_GSPAN_BEGIN : ST_REC_GSPAN_END,
			 st.tid);
		g->probe = (__u32)(cookie & ST_CK_PROBE_MASK);
		g->goid = goid;
		g->sdepth = sdepth;
		g->pid = st.pid;
		g->_pad = 0;
		submit_on(c, g, sizeof(*g));
		return;
	}

	__u64 sp = cookie & ST_CK_SP ? ctx->sp : 0;
	struct st_span *r;

	stream_open(&st, id, 0);
	r = stream_reserve(&st, c, sizeof(*r), frames, sp, 0);
	if (!r)
		return;
	fill_hdr(&r->hdr, type, st.tid);
	r->pid = st.pid;
	r->probe = (__u32)(cookie & ST_CK_PROBE_MASK);
	r->sp = sp;
	submit_on(c, r, sizeof(*r));
}

static __always_inline int emit_span(struct pt_regs *ctx, __u8 type, bool can_fault)
{
	struct cpu_state *c;
	__u64 id = bpf_get_current_pid_tgid(), cookie;
	__u32 arg;

	if (!current_traced(id, &c))
		return 0;
	cookie = bpf_get_attach_cookie(ctx);
	if (!guard_pass(cookie, type))
		return 0;
	arg = ST_CK_NAME_ARG_OF(cookie);
	if (type == ST_REC_SPAN_BEGIN && arg)
		emit_named(ctx, c, id, cookie, arg - 1, can_fault);
	else
		emit_record(ctx, c, id, cookie, type);
	/* a function whose entry probe is also its way out: a span of no length */
	if (type == ST_REC_SPAN_BEGIN && (cookie & ST_CK_ALSO_END))
		emit_record(ctx, c, id, cookie, ST_REC_SPAN_END);
	return 0;
}

/* Entry of a span function, or a call to a pair's BEGIN. */
SEC("uprobe")
int span_enter(struct pt_regs *ctx)
{
	return emit_span(ctx, ST_REC_SPAN_BEGIN, false);
}

/*
 * A BEGIN named from an argument, sleepable: a string in a page the process
 * has not touched yet (a literal used for the first time) is faulted in. Not
 * loaded where the kernel has no sleepable uprobes; span_enter does the job
 * there, and the loader reads what it could not through /proc/PID/mem.
 */
SEC("uprobe.s")
int span_enter_named(struct pt_regs *ctx)
{
	return emit_span(ctx, ST_REC_SPAN_BEGIN, true);
}

/* Return of a span function (uretprobe, or uprobe on a RET), or a call to a pair's END. */
SEC("uretprobe")
int span_exit(struct pt_regs *ctx)
{
	return emit_span(ctx, ST_REC_SPAN_END, false);
}

/*
 * The unwinder's entry points (the cookie says which: enum st_unwind_kind):
 * an exception begins (_Unwind_RaiseException), or code runs in a frame it
 * is passing (__cxa_begin_catch: a catch block; _Unwind_Resume: a cleanup is
 * done), so every frame below that one has been unwound.
 */
SEC("uprobe")
int unwind_event(struct pt_regs *ctx)
{
	struct cpu_state *c;
	__u64 id = bpf_get_current_pid_tgid();
	struct stream st;
	struct st_span *r;

	if (!current_traced(id, &c))
		return 0;
	stream_open(&st, id, 0);
	r = stream_reserve(&st, c, sizeof(*r), 0, ctx->sp, 0);
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_UNWIND, st.tid);
	r->pid = st.pid;
	r->probe = (__u32)bpf_get_attach_cookie(ctx);
	r->sp = ctx->sp;
	submit_on(c, r, sizeof(*r));
	return 0;
}

/* --- goroutines ------------------------------------------------------------ */

static __always_inline bool go_traced(__u32 *pid, __u32 *tid)
{
	__u64 id = bpf_get_current_pid_tgid();

	*pid = id >> 32;
	*tid = (__u32)id;
	struct cpu_state *c;

	return current_traced(id, &c);
}

/* runtime.newproc(fn): runs on the goroutine executing a go statement. */
SEC("uprobe")
int go_newproc(struct pt_regs *ctx)
{
	__u32 pid, tid, sdepth;
	__u64 goid;

	if (!go_traced(&pid, &tid))
		return 0;
	goid = go_task(ctx, false, false, &sdepth);
	/* Unchecked: an LRU map fails only when no CPU has a free node. Then newproc1's
	 * record has no parent, which the loader takes as a goroutine the runtime made:
	 * no arrow is drawn, and no wrong one. */
	bpf_map_update_elem(&go_parent, &tid, &goid, BPF_ANY);
	return 0;
}

/* A RET of runtime.newproc1: rax is the new goroutine's g. */
SEC("uprobe")
int go_newproc_ret(struct pt_regs *ctx)
{
	struct st_gocreate *r;
	__u64 *parent, child = 0;
	__u32 pid, tid;

	if (!go_traced(&pid, &tid))
		return 0;
	bpf_probe_read_user(&child, sizeof(child), (void *)(ctx->ax + go_goid_off));
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->hdr, ST_REC_GO_CREATE, tid);
	r->pid = pid;
	r->_pad = 0;
	parent = bpf_map_lookup_elem(&go_parent, &tid);
	r->parent_goid = parent ? *parent : 0;
	r->child_goid = child;
	submit(r);
	if (parent)
		bpf_map_delete_elem(&go_parent, &tid);
	return 0;
}

static __always_inline int go_event(struct pt_regs *ctx, __u8 type)
{
	__u64 id = bpf_get_current_pid_tgid(), goid;
	struct cpu_state *c;
	struct stream st;
	struct st_gspan *r;
	__u32 sdepth;

	if (!current_traced(id, &c))
		return 0;
	goid = go_task(ctx, true, false, &sdepth);
	stream_open(&st, id, goid);
	r = stream_reserve(&st, c, sizeof(*r), 0, 0, sdepth);
	if (!r) {
		/* the goroutine ends: nothing of it comes to tell its loss (its open spans
		 * end unfinished at the stop) */
		if (type == ST_REC_GO_EXIT && goid) {
			struct gor_key k = { .goid = goid, .pid = st.pid };

			gor_forget(&k);
		}
		return 0;
	}
	fill_hdr(&r->hdr, type, st.tid);
	r->probe = 0;
	r->goid = goid;
	r->sdepth = sdepth;
	r->pid = st.pid;
	r->_pad = 0;
	submit_on(c, r, sizeof(*r));
	return 0;
}

/* runtime.goexit1: the goroutine's function returned, or it called runtime.Goexit. */
SEC("uprobe")
int go_goexit(struct pt_regs *ctx)
{
	return go_event(ctx, ST_REC_GO_EXIT);
}

/* runtime.gopanic: frames above the recovering one will not reach their RET. */
SEC("uprobe")
int go_panic(struct pt_regs *ctx)
{
	return go_event(ctx, ST_REC_GO_PANIC);
}
