# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The tax on untraced processes: what processes spantrace does not trace pay
while it traces another one.

An idle process (`sleep`) is traced with kernel events (`spantrace -p PID`,
no functions); meanwhile build/bench/taxloop, which spantrace does not trace,
times a loop of getppid() syscalls and a pipe ping-pong between itself and a
child (each prints wall and CPU ns per call), each RUNS times per case and
repetition, the least time counting: other work on the host only ever adds.

Cases, in one run: untraced (no spantrace at all); spantrace as built
(write's and writev's own syscall tracepoints where the kernel has them);
spantrace with SPANTRACE_NO_SYSCALL_TPS=1 (the raw sys_enter/sys_exit
tracepoints, which run on every syscall: the fallback, as spantrace observed
syscalls before); with --tax-compare OLD, an older spantrace binary; and the
kernel's part alone: no spantrace, write's and writev's syscall tracepoints
enabled with no program (counting perf events), which sends every syscall of
the host through the kernel's slower syscall path as any syscall tracepoint
does. Each repetition runs every case once, in an order rotated per
repetition, so drift hits all alike; ratios are taken within a repetition
(traced / untraced) and their median reported.

Other tracers on the host tax the untraced case too: before and after each
repetition the kernel's BPF links on every-syscall or every-switch
tracepoints are counted, and a repetition that saw any is discarded and run
again (bounded); the report says how many.

Then one pass per traced case with the kernel's BPF run-time statistics on
(BPF_ENABLE_STATS, held for that pass only): ns per run of each kernel-event
program, host-wide, while the loops run.

Used by bench.py (the "Tax on untraced processes" section of RESULTS.md;
`bench.py --only tax` runs just this part and replaces just that section).
Python standard library only.
"""
import ctypes
import json
import os
import statistics
import subprocess
import tempfile
import time

SECTION = "## Tax on untraced processes"

# Goals (issue 13): an unrelated process's syscall loop at most 3% slower, a pipe
# ping-pong between two unrelated processes at most 5%.
GOALS = {"getppid": 1.03, "pingpong": 1.05}
LOOPS = {"getppid": "`getppid()` loop", "pingpong": "pipe ping-pong (round trip)"}

# Tracepoints every syscall or every context switch of the host runs.
HOST_WIDE_TPS = {"sys_enter", "sys_exit", "sched_switch"}
# spantrace's kernel-event programs whose run time the statistics pass reports.
KERNEL_PROGS = ["on_switch", "on_write_enter", "on_write_exit", "on_sys_enter", "on_sys_exit"]


class Case:
    def __init__(self, key, label, spantrace=None, env=None, tp_ids=None):
        self.key, self.label, self.spantrace, self.env = key, label, spantrace, env
        self.tp_ids = tp_ids  # the syscall tracepoints alone, no program: see SyscallTps
        self.runs = {"getppid": [], "pingpong": []}  # (wall, cpu) ns per call, per rep


SYSCALL_TPS = ["sys_enter_write", "sys_exit_write", "sys_enter_writev", "sys_exit_writev"]
SYS_FSOPEN, SYS_FSCONFIG, SYS_FSMOUNT, SYS_PERF_EVENT_OPEN = 430, 431, 432, 298  # x86_64


def syscall_tp_ids():
    """The tracefs ids of SYSCALL_TPS, read as spantrace reads them (user/live/tracefs.c):
    where tracefs is mounted, else from a mount of it attached nowhere."""
    libc = ctypes.CDLL(None, use_errno=True)
    root = None
    if os.path.exists("/sys/kernel/tracing/events"):
        root = os.open("/sys/kernel/tracing", os.O_RDONLY | os.O_DIRECTORY)
    if root is None:
        fs = libc.syscall(SYS_FSOPEN, b"tracefs", 1)  # FSOPEN_CLOEXEC
        if fs < 0 or libc.syscall(SYS_FSCONFIG, fs, 6, None, None, 0) < 0:  # CMD_CREATE
            raise OSError(ctypes.get_errno(), "tracefs")
        root = libc.syscall(SYS_FSMOUNT, fs, 1, 0)  # FSMOUNT_CLOEXEC
        os.close(fs)
        if root < 0:
            raise OSError(ctypes.get_errno(), "fsmount tracefs")
    try:
        ids = []
        for name in SYSCALL_TPS:
            fd = os.open(f"events/syscalls/{name}/id", os.O_RDONLY, dir_fd=root)
            ids.append(int(os.read(fd, 32)))
            os.close(fd)
        return ids
    finally:
        os.close(root)


class SyscallTps:
    """The kernel's part: write's and writev's syscall tracepoints enabled with no BPF program, as
    counting perf events. Enabling any syscall tracepoint sends every syscall of every
    process through the kernel's slow syscall path; this is what that costs alone."""

    def __init__(self, ids):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fds = []
        for tp in ids:
            attr = (ctypes.c_uint64 * 8)()  # PERF_ATTR_SIZE_VER0: 64 bytes
            attr[0] = 2 | (64 << 32)  # type PERF_TYPE_TRACEPOINT, size
            attr[1] = tp  # config; sample_period 0: counting only
            fd = libc.syscall(SYS_PERF_EVENT_OPEN, attr, -1, 0, -1, 8)  # FD_CLOEXEC
            if fd < 0:
                self.close()
                raise OSError(ctypes.get_errno(), "perf_event_open")
            self.fds.append(fd)

    def close(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def bpftool_json(*args):
    out = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True)
    if out.returncode != 0:
        return []
    return json.loads(out.stdout or "[]") or []


def host_wide_links():
    """The BPF links now on tracepoints that every syscall or switch of the host runs, and on
    syscall tracepoints (perf events of tracepoint programs): anyone's."""
    tp_progs = {p["id"] for p in bpftool_json("prog", "show") if p.get("type") == "tracepoint"}
    return [ln for ln in bpftool_json("link", "show")
            if ln.get("tp_name") in HOST_WIDE_TPS or ln.get("prog_id") in tp_progs]


def taxloop(taxloop_bin, loop, n):
    out = subprocess.run([taxloop_bin, loop, str(n)], capture_output=True, text=True,
                         timeout=600)
    vals = dict(ln.split() for ln in out.stdout.splitlines() if ln.count(" ") == 1)
    if out.returncode != 0 or "ns/call" not in vals or "cpu-ns/call" not in vals:
        raise RuntimeError(f"taxloop {loop} {n} failed (exit {out.returncode}): "
                           f"{out.stdout}{out.stderr}")
    return float(vals["ns/call"]), float(vals["cpu-ns/call"])


class Tracer:
    """spantrace -p PID running in the background until stop()."""

    def __init__(self, case, pid, tmp):
        self.errpath = os.path.join(tmp, "spantrace.err")
        self.err = open(self.errpath, "w+")
        cmd = [case.spantrace, "-p", str(pid), "-o", os.path.join(tmp, "trace.json")]
        env = dict(os.environ, **case.env) if case.env else None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.err, env=env)
        end = time.monotonic() + 60
        while "Ctrl-C to stop" not in self.stderr():
            if self.proc.poll() is not None or time.monotonic() > end:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError(f"{' '.join(cmd)} did not start tracing:\n{self.stderr()}")
            time.sleep(0.05)
        self.settle()

    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime

    def settle(self, quiet=0.3, limit=10.0):
        """Waits until spantrace has used no CPU for `quiet` seconds (its start-up work
        done: the loops measure the steady state), at most `limit` seconds."""
        end = time.monotonic() + limit
        ticks = self.cpu_ticks()
        while time.monotonic() < end:
            time.sleep(quiet)
            now = self.cpu_ticks()
            if now == ticks:
                return
            ticks = now

    def stderr(self):
        with open(self.errpath) as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(2)  # SIGINT, as Ctrl-C
        rc = self.proc.wait(timeout=60)
        if rc != 0:
            raise RuntimeError(f"spantrace exited {rc}:\n{self.stderr()[-2000:]}")
        self.err.close()


def best_of(runs, taxloop_bin, loop, n):
    """(wall, cpu) ns per call: the least of `runs` runs of each, which the host's other
    work can only make slower."""
    got = [taxloop(taxloop_bin, loop, n) for _ in range(runs)]
    return min(w for w, _ in got), min(c for _, c in got)


def measure(case, idle_pid, tmp, taxloop_bin, n_syscalls, n_pings, runs):
    tracer = Tracer(case, idle_pid, tmp) if case.spantrace else None
    tps = SyscallTps(case.tp_ids) if case.tp_ids else None
    try:
        got = {"getppid": best_of(runs, taxloop_bin, "getppid", n_syscalls),
               "pingpong": best_of(runs, taxloop_bin, "pingpong", n_pings)}
    finally:
        if tracer:
            tracer.stop()
        if tps:
            tps.close()
    return got


class Stats:
    """The kernel's BPF run-time statistics, on while this object lives (BPF_ENABLE_STATS:
    off again when its fd closes, even if the benchmark dies)."""

    BPF_ENABLE_STATS, BPF_STATS_RUN_TIME = 32, 0

    def __init__(self):
        libc = ctypes.CDLL(None, use_errno=True)
        attr = (ctypes.c_uint32 * 32)(self.BPF_STATS_RUN_TIME)
        self.fd = libc.syscall(321, self.BPF_ENABLE_STATS, attr, ctypes.sizeof(attr))  # bpf()
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "BPF_ENABLE_STATS")

    def close(self):
        os.close(self.fd)


def prog_stats(ids):
    return {p["id"]: (p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in bpftool_json("prog", "show") if p["id"] in ids}


def prog_ids_of(pid):
    """The ids of the BPF programs process pid holds (its fds' fdinfo says prog_id)."""
    ids = set()
    d = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                ids.update(int(ln.split()[1]) for ln in f if ln.startswith("prog_id:"))
        except OSError:
            pass
    return ids


def stats_pass(case, idle_pid, tmp, taxloop_bin, n_syscalls, n_pings):
    """ns per run of case's kernel-event programs while the loops run, or a reason why not."""
    tracer = Tracer(case, idle_pid, tmp)
    try:
        held = prog_ids_of(tracer.proc.pid)
        mine = {p["id"]: p["name"] for p in bpftool_json("prog", "show")
                if p["id"] in held and p.get("name") in KERNEL_PROGS}
        stats = Stats()
        try:
            t0 = prog_stats(mine)
            taxloop(taxloop_bin, "getppid", n_syscalls)
            taxloop(taxloop_bin, "pingpong", n_pings)
            t1 = prog_stats(mine)
        finally:
            stats.close()
    finally:
        tracer.stop()
    out = {}
    for pid, name in mine.items():
        ns, cnt = t1[pid][0] - t0[pid][0], t1[pid][1] - t0[pid][1]
        out[name] = (ns / cnt if cnt else None, cnt)
    return out


def run(spantrace, taxloop_bin, reps, runs, n_syscalls, n_pings, compare=None,
        compare_label=None, log=print):
    cases = [Case("base", "untraced"),
             Case("new", "spantrace", spantrace),
             Case("raw", "spantrace, raw `sys_enter`/`sys_exit` (`SPANTRACE_NO_SYSCALL_TPS=1`)",
                  spantrace, {"SPANTRACE_NO_SYSCALL_TPS": "1"})]
    if compare:
        cases.append(Case("old", compare_label or f"`{compare}` (--tax-compare)", compare))
    try:
        cases.append(Case("tps", "no spantrace: the syscall tracepoints of write and writev "
                          "on, no program (perf events)", tp_ids=syscall_tp_ids()))
    except OSError as e:
        log(f"  tax: no case of the syscall tracepoints alone ({e})")
    idle = subprocess.Popen(["sleep", "100000"])
    tmp = tempfile.mkdtemp(prefix="spantrace-tax.")
    discarded, disturbed, attempts, t0 = 0, 0, 0, time.monotonic()
    try:
        rep = 0
        while rep < reps:
            attempts += 1
            order = cases[rep % len(cases):] + cases[:rep % len(cases)]
            foreign = len(host_wide_links())
            got = {c.key: measure(c, idle.pid, tmp, taxloop_bin, n_syscalls, n_pings, runs)
                   for c in order}
            foreign += len(host_wide_links())
            if foreign and attempts < 3 * reps:
                discarded += 1
                log(f"  tax rep {rep + 1}: another tracer's links on host-wide tracepoints; "
                    f"discarded, run again")
                continue
            disturbed += foreign > 0
            for c in cases:
                for loop in c.runs:
                    c.runs[loop].append(got[c.key][loop])
            log(f"  tax rep {rep + 1}/{reps}: " + "; ".join(
                f"{c.key} {got[c.key]['getppid'][0]:.0f}/{got[c.key]['pingpong'][0]:.0f}"
                for c in cases) + " wall ns (getppid/pingpong)")
            rep += 1
        stats = {}
        for c in cases[1:]:
            if c.tp_ids:
                continue
            try:
                stats[c.key] = stats_pass(c, idle.pid, tmp, taxloop_bin, n_syscalls, n_pings)
            except OSError as e:
                stats[c.key] = f"BPF statistics unavailable: {e}"
    finally:
        idle.kill()
        idle.wait()
        subprocess.run(["rm", "-rf", tmp])
    return {"cases": cases, "stats": stats, "discarded": discarded, "disturbed": disturbed,
            "reps": reps,
            "runs": runs, "n": (n_syscalls, n_pings), "wall": time.monotonic() - t0}


def ratios(case, base, loop, what):
    i = 0 if what == "wall" else 1
    return [t[i] / b[i] for t, b in zip(case.runs[loop], base.runs[loop])]


def over_tps(cases, loop, what):
    """spantrace's median ratio to the syscall tracepoints alone, same repetition, or None."""
    new = next(c for c in cases if c.key == "new")
    tps = next((c for c in cases if c.key == "tps"), None)
    return statistics.median(ratios(new, tps, loop, what)) if tps else None


def fmt_pct(r):
    return f"{(r - 1) * 100:+.1f}%"


def report(r, machine_lines):
    """The section's lines for RESULTS.md."""
    cases, base = r["cases"], r["cases"][0]
    L = [SECTION, ""]
    L.append("- command: `make bench` (only this part: `make bench BENCH_ONLY=tax`); "
             f"{r['reps']} repetitions, each running every case once in a rotated order, "
             f"each loop {r['runs']} times per case: {r['n'][0]:,} `getppid()` calls and "
             f"{r['n'][1]:,} ping-pong round trips per run")
    L.extend(machine_lines)
    L.append("")
    L.append("spantrace traces an idle process (`sleep`) with kernel events, no functions; "
             "once its start-up work is done (it has used no CPU for 0.3 s), "
             "`build/bench/taxloop`, which it does not trace, times a `getppid()` loop and a "
             "one-byte ping-pong over two pipes between itself and a child, each several times "
             "per case and repetition; the least time of those runs counts (the host's other "
             "work only ever adds). Ratio: traced / untraced within each repetition, median "
             "over repetitions (range in brackets); ns: medians. "
             "Wall: CLOCK_MONOTONIC over the loop; CPU: the loop's processes' CPU time, "
             "which leaves out time spent waiting for a CPU but not what the hypervisor "
             "takes (the two ping-pong processes take turns, so theirs is close to the wall "
             "time), and misses what the kernel charges to the idle task.\n")
    L.append("| loop | case | wall ns | ratio (wall) | CPU ns | ratio (CPU) |")
    L.append("|---|---|---|---|---|---|")
    for loop in LOOPS:
        for c in cases:
            wall = statistics.median(x[0] for x in c.runs[loop])
            cpu = statistics.median(x[1] for x in c.runs[loop])
            if c is base:
                L.append(f"| {LOOPS[loop]} | {c.label} | {wall:,.0f} | | {cpu:,.0f} | |")
                continue
            cells = []
            for what in ("wall", "cpu"):
                rs = ratios(c, base, loop, what)
                cells.append(f"{statistics.median(rs):.3f} ({min(rs):.2f}–{max(rs):.2f})")
            L.append(f"| {LOOPS[loop]} | {c.label} | {wall:,.0f} | {cells[0]} | {cpu:,.0f} "
                     f"| {cells[1]} |")
    L.append("")
    L.append("### Goals\n")
    new = next(c for c in cases if c.key == "new")
    for loop, goal in GOALS.items():
        rw = statistics.median(ratios(new, base, loop, "wall"))
        rc = statistics.median(ratios(new, base, loop, "cpu"))
        ok = rw <= goal and rc <= goal
        L.append(f"- {'PASS' if ok else 'FAIL'}: {LOOPS[loop]} of an untraced process at most "
                 f"{fmt_pct(goal)} slower with spantrace attached elsewhere (wall "
                 f"{fmt_pct(rw)}, CPU {fmt_pct(rc)}; both must hold)")
    if any(c.key == "tps" for c in cases):
        L.append("")
        L.append("Of that, the kernel's part: enabling any syscall tracepoint sends every "
                 "syscall of the host through the kernel's slower syscall path (the case of "
                 "the syscall tracepoints alone, with no program at all). spantrace against "
                 "that case, same repetition: "
                 + "; ".join(f"{LOOPS[loop]} wall {fmt_pct(over_tps(cases, loop, 'wall'))}, "
                             f"CPU {fmt_pct(over_tps(cases, loop, 'cpu'))}"
                             for loop in LOOPS) + ".")
    L.append("")
    L.append("### Kernel-event programs, ns per run (BPF run-time statistics)\n")
    L.append("One more run per traced case with the kernel's BPF statistics on, host-wide "
             "while the loops ran (every switch and every syscall of the machine, not only the "
             "loops'); the statistics add their own clock reads, so only compare these "
             "figures with each other.\n")
    L.append("| case | program | runs | ns per run |")
    L.append("|---|---|---|---|")
    for c in cases[1:]:
        s = r["stats"].get(c.key)
        if s is None:
            continue
        if isinstance(s, str):
            L.append(f"| {c.label} | {s} | | |")
            continue
        for name in KERNEL_PROGS:
            if s.get(name, (None, 0))[1]:  # attached in this case: it ran
                ns, cnt = s[name]
                L.append(f"| {c.label} | `{name}` | {cnt:,} | "
                         f"{'n/a' if ns is None else f'{ns:,.0f}'} |")
    L.append("")
    L.append("### Runs (wall ns per call of each repetition, the least of its runs)\n")
    L.append("| loop | case | runs |")
    L.append("|---|---|---|")
    for loop in LOOPS:
        for c in cases:
            L.append(f"| {LOOPS[loop]} | {c.key} | "
                     f"{', '.join(f'{x[0]:,.0f}' for x in c.runs[loop])} |")
    L.append("")
    L.append(f"- Noise: this machine is shared; {r['discarded']} "
             f"repetition{'' if r['discarded'] == 1 else 's'} discarded "
             f"because another tracer had links on host-wide tracepoints (sys_enter, sys_exit, "
             f"sched_switch, syscall tracepoints) before or after them"
             + (f", and {r['disturbed']} kept with such links after too many retries"
                if r["disturbed"] else "") +
             f". The other load on the "
             f"host is not controlled: the ranges above show its spread. This part took "
             f"{r['wall']:.0f} s.")
    L.append("")
    return L
