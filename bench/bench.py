#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""make bench: what tracing one function costs, bpftrace against spantrace.

One run, same targets, same functions. For each function, K repetitions of:
untraced; bpftrace with an equivalent uprobe+uretprobe program (entry only for
Go: a uretprobe kills Go programs); spantrace; spantrace --probe-at=entry (when
this spantrace accepts it). Each target times its own loop (CLOCK_MONOTONIC
around the calls) and prints "ns/call X", so a tracer's startup and teardown do
not count. Added ns per call = median traced ns/call - median untraced ns/call.

Also: drops ("events lost") and spans from spantrace's summary, bytes per span
of the trace, peak RSS (os.wait4's ru_maxrss: the tracer, or its target if that
were bigger), and loader throughput through build/bench/replay when it exists.

And memory under churn: build/bench/churn's records (threads created and ended,
span names never seen before, writes to ever new pipes) decoded as they come by
build/bench/replay --stream, its resident set read every 1M events up to 10M:
it must stay flat. `--only churn` runs that alone (no root needed) and replaces
only its section of bench/RESULTS.md.
And the overhead guard's part (bench/guardbench.py): its calibration and what it
does to a program calling a traced function as fast as it can. `--only guard`
runs that alone and replaces only its section of bench/RESULTS.md.

Then the tax on untraced processes (bench/taxbench.py): what processes
spantrace does not trace pay while it traces another one; `--only tax` runs
just that part and replaces just its section of RESULTS.md.

Writes bench/RESULTS.md (overwritten) and prints the same text. Needs root.
Speed goals live here only, never in tests. Python standard library only.
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import guardbench
import loopbench
import taxbench

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Goals from the issue: spantrace's added time per call on the CET-built
# function at most 1/5 of bpftrace's; never slower than bpftrace; no drops.
GOAL_CET_RATIO = 0.2

BPFTRACE_C = ("uprobe:{bin}:{fn} {{ @s[tid] = nsecs; }} "
              "uretprobe:{bin}:{fn} {{ @d = hist(nsecs - @s[tid]); delete(@s[tid]); }}")
# bpftrace's uretprobe puts its trampoline address on the goroutine stack; the
# Go runtime aborts when it copies that stack ("unexpected return pc").
BPFTRACE_GO = "uprobe:{bin}:\"{fn}\" {{ @n = count(); }}"


def die(msg):
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(1)


def sh(cmd):
    """Output of a small informational command, or '' if it fails."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


class Run:
    def __init__(self, cmd, rc, out, err, maxrss_kb, wall):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err
        self.maxrss_kb, self.wall = maxrss_kb, wall

    def ns_per_call(self):
        m = re.search(r"^ns/call ([0-9.]+)$", self.out + "\n" + self.err, re.M)
        if not m:
            die(f"no 'ns/call' line from {' '.join(self.cmd)} (exit {self.rc}):\n"
                f"stdout: {self.out[-2000:]}\nstderr: {self.err[-2000:]}")
        return float(m.group(1))


def run(cmd, timeout=300, env=None):
    """Runs cmd with stdout and stderr in files; os.wait4 gives its own rusage
    (ru_maxrss covers the process and the children it reaped: its target)."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, env=env)
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if time.monotonic() - t0 > timeout:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                die(f"timed out after {timeout} s: {' '.join(cmd)}")
            time.sleep(0.01)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        return Run(cmd, p.returncode, fo.read().decode(errors="replace"),
                   fe.read().decode(errors="replace"), ru.ru_maxrss, wall)


def disasm(binary, fn):
    """The instructions of fn (objdump, symbol range only), as text."""
    out = sh(["objdump", "-d", "--no-show-raw-insn", f"--disassemble={fn}", binary])
    insns, inside = [], False
    for line in out.splitlines():
        if re.match(r"^[0-9a-f]+ <" + re.escape(fn) + r">:$", line):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s+[0-9a-f]+:\s+(.*)$", line)
            if not m:
                if insns:
                    break
                continue
            insn = re.sub(r"<[^>]*>", "", m.group(1).split("#")[0])
            insns.append(re.sub(r"\s+", " ", insn).strip())
    if not insns:
        die(f"objdump found no function {fn} in {binary}")
    return insns


def check_shape(name, insns):
    """Stops with a clear message if the compiler did not emit the shape the
    benchmark is about."""
    want = {
        "bench_cet": (insns[:2] == ["endbr64", "push %rbp"],
                      "endbr64; push %rbp (build callloop.c with -fcf-protection)"),
        "bench_push": (insns[:1] == ["push %rbp"],
                       "push %rbp first (build callloop_nocet.c with -fcf-protection=none "
                       "-fno-omit-frame-pointer)"),
        "bench_leaf": (insns == ["lea (%rdi,%rsi,1),%rax", "ret"],
                       "exactly lea (%rdi,%rsi,1),%rax; ret (-O2 -fcf-protection=none "
                       "-momit-leaf-frame-pointer)"),
        "main.BenchGo": (insns[:1] == ["cmp 0x10(%r14),%rsp"],
                         "the stack check cmp 0x10(%r14),%rsp first"),
    }
    ok, what = want[name]
    if not ok:
        die(f"{name} should be {what}, but the compiler emitted: {'; '.join(insns[:6])}")


def summary_numbers(err):
    """(spans, drops) from spantrace's stderr summary."""
    m = re.search(r"^(\d+) spans \(\d+ unfinished\) on .*; events lost: (\d+)$", err, re.M)
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2))


def fmt_ns(x):
    if x is None:
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


def fmt_ratio(a, b):
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.2f}"


def fmt_kb(kb):
    return f"{kb / 1024:.1f} MiB"


# The churn runs: (label, churn's extra arguments). Flat: RSS at the last report at most
# CHURN_FLAT_MIB above the report at CHURN_STEADY records, by when the steady state has
# been reached (a thread is kept 1 s of trace time after its exit: 100k records at 10 us
# each; the names' lengths and the allocator settle over the first million).
CHURN_RUNS = [
    ("threads and names (one pipe)", ["--new-pipe-every", "0"]),
    ("threads, names and pipes (a new pipe every 16 writes)", ["--new-pipe-every", "16"]),
]
CHURN_FLAT_MIB = 0.1
CHURN_STEADY = 2_000_000
CHURN_SECTION = "## Memory under churn"


def churn_run(build, events, extra):
    """churn | replay --stream: {events: rss MiB} from replay's reports, and its last lines."""
    churn = os.path.join(build, "bench", "churn")
    replay = os.path.join(build, "bench", "replay")
    gen = subprocess.Popen([churn, "--events", str(events), *extra], stdout=subprocess.PIPE)
    t0 = time.monotonic()
    rep = subprocess.run([replay, "--stream", "--report-every", "1000000", "-"],
                         stdin=gen.stdout, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - t0
    gen.stdout.close()
    if gen.wait() != 0 or rep.returncode != 0:
        die(f"churn run failed (churn exit {gen.returncode}, replay exit {rep.returncode}):\n"
            f"{rep.stderr[-2000:]}")
    rss = {int(m.group(1)): float(m.group(2)) for m in
           re.finditer(r"^events (\d+) .* rss ([0-9.]+) MiB$", rep.stdout, re.M)}
    total = re.search(r"^total: .*events/s ([0-9.]+)M", rep.stdout, re.M)
    if not rss or not total:
        die(f"no RSS reports from replay:\n{rep.stdout[-2000:]}")
    return rss, float(total.group(1)), wall


def churn_section(build, events):
    """The lines of RESULTS.md's churn section, and whether every run stayed flat."""
    L = [CHURN_SECTION + "\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rev = sh(["git", "-C", ROOT, "describe", "--always", "--dirty", "--tags"]) or "?"
    L.append(f"- measured: {now}, spantrace {rev}; command per row: `build/bench/churn "
             f"--events {events} ARGS | build/bench/replay --stream --report-every 1000000 -`")
    L.append("- the records (`bench/churn.c`): one process whose 64 live threads are replaced "
             "as they exit (a fork and an exit record each), every thread running 3 spans of a "
             "C function, each with a `--span` pair span inside named from an argument never "
             "seen before (`req-N`), and writing once to a pipe; 15 records a thread, 10 us "
             "apart; `replay --stream` decodes them as they come (decoder, span tree, Chrome "
             "writer to /dev/null, summary statistics: the loader's code) and holds none.")
    L.append(f"- flat: RSS after the last records at most {CHURN_FLAT_MIB} MiB above RSS after "
             f"{CHURN_STEADY:,} (the first fill what is kept: threads exited within 1 s of "
             f"trace time, 4096 unused names).\n")
    # not replay's own peak (getrusage): Linux carries a process's peak over exec, and
    # this one was forked from Python
    L.append("| run | RSS at 1M records | at 2M | at 10M | 10M over 2M | most sampled | "
             "records/s (CPU) |")
    L.append("|---|---|---|---|---|---|---|")
    ok_all, goals = True, []
    for label, extra in CHURN_RUNS:
        rss, rate, wall = churn_run(build, events, extra)
        first, last = rss[min(rss)], rss[max(rss)]
        steady = rss.get(CHURN_STEADY, first)
        flat = last <= steady + CHURN_FLAT_MIB
        ok_all &= flat
        L.append(f"| {label} (`{' '.join(extra)}`) | {first:.2f} MiB | {steady:.2f} MiB "
                 f"| {last:.2f} MiB | {last - steady:+.2f} MiB | {max(rss.values()):.2f} MiB "
                 f"| {rate:.2f}M |")
        goals.append((f"RSS flat under churn, {label}: {steady:.2f} MiB after "
                      f"{CHURN_STEADY:,} records, {last:.2f} MiB after {max(rss):,} "
                      f"(at most +{CHURN_FLAT_MIB} MiB)", flat))
        print(f"  churn {label}: {first:.2f}, {steady:.2f} -> {last:.2f} MiB, "
              f"wall {wall:.1f} s", flush=True)
    L.append("")
    for text, ok in goals:
        L.append(f"- {'PASS' if ok else 'FAIL'}: {text}")
    L.append("")
    return L, ok_all


def replace_section(path, section, title=CHURN_SECTION):
    """RESULTS.md with its section `title` replaced by section (added before the runs if none)."""
    try:
        text = open(path).read()
    except FileNotFoundError:
        text = "# spantrace benchmark\n\n"
    body = "\n".join(section) + "\n"
    m = re.search(r"^" + re.escape(title) + r"\n.*?(?=^## |\Z)", text, re.M | re.S)
    if m:
        return text[:m.start()] + body + text[m.end():]
    m = re.search(r"^## Runs", text, re.M)
    at = m.start() if m else len(text)
    return text[:at] + body + text[at:]


def machine_lines():
    """The date, machine and kernel of a run, as RESULTS.md lines."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lscpu = sh(["lscpu"])
    model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines()
                  if l.startswith("Model name:")), platform.processor() or "?")
    hyper = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines()
                  if l.startswith("Hypervisor vendor:")), None)
    mem_kb = next((int(l.split()[1]) for l in open("/proc/meminfo")
                   if l.startswith("MemTotal:")), 0)
    return [f"- date: {now}",
            f"- machine: {model}, {os.cpu_count()} CPUs, {mem_kb / 1048576:.1f} GiB"
            + (f", virtual machine ({hyper})" if hyper else ""),
            f"- kernel: {platform.release()}"]


def spantrace_version():
    return sh(["git", "-C", ROOT, "describe", "--always", "--dirty", "--tags"]) or "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("-k", "--reps", type=int, default=5, help="repetitions (median taken)")
    ap.add_argument("--calls", type=int, default=100_000, help="calls per traced run")
    ap.add_argument("--base-calls", type=int, default=50_000_000, help="calls per untraced run")
    ap.add_argument("--replay-events", type=int, default=10_000_000)
    ap.add_argument("--churn-events", type=int, default=10_000_000)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    ap.add_argument("--only", choices=["churn", "loop", "floor", "tax", "guard"],
                    help="run only this part and replace only its section of --out: "
                         "churn, memory over 10M records (no root needed); "
                         "loop, the event loop under load (bench/loopbench.py); "
                         "floor, spantrace against empty programs on its own sites; "
                         "tax, the tax on untraced processes (bench/taxbench.py); "
                         "guard, the overhead guard's calibration and behaviour")
    ap.add_argument("--stats-reps", type=int, default=3,
                    help="runs per case with kernel BPF stats on (floor section)")
    ap.add_argument("--loop-reps", type=int, default=3)
    ap.add_argument("--loop-duration", type=int, default=10, help="seconds per traced run")
    ap.add_argument("--loop-compare", metavar="SPANTRACE",
                    help="an older spantrace to measure next to this build")
    ap.add_argument("--loop-compare-label", metavar="TEXT",
                    help="what to call it in the report (default: its path)")
    ap.add_argument("--tax-reps", type=int, default=10)
    ap.add_argument("--tax-runs", type=int, default=5,
                    help="runs of each loop per case and repetition (the least counts)")
    ap.add_argument("--tax-syscalls", type=int, default=200_000,
                    help="getppid() calls per run")
    ap.add_argument("--tax-pings", type=int, default=10_000,
                    help="ping-pong round trips per run")
    ap.add_argument("--tax-compare", metavar="SPANTRACE",
                    help="an older spantrace to measure next to this build")
    ap.add_argument("--tax-compare-label", metavar="TEXT",
                    help="what to call it in the report (default: its path)")
    a = ap.parse_args()

    build = os.path.abspath(a.build)
    for p in ("churn", "replay"):
        if not os.access(os.path.join(build, "bench", p), os.X_OK):
            die(f"{os.path.join(build, 'bench', p)} is missing: run `make bench`, which builds it")
    if a.only == "churn":
        section, _ = churn_section(build, a.churn_events)
        text = replace_section(a.out, section)
        with open(a.out, "w") as f:
            f.write(text)
        print("\n".join(section))
        print(f"bench: wrote the churn section of {os.path.relpath(a.out)}")
        return 0
    if os.geteuid() != 0:
        die("needs root (BPF and uprobes): run `sudo make bench`")
    spantrace = os.path.join(build, "spantrace")
    if a.only == "loop":
        return loop_only(a, spantrace, build)
    if a.only == "tax":
        return tax_only(a, spantrace, build)
    callloop = os.path.join(build, "bench", "callloop")
    callloop_cxx = os.path.join(build, "bench", "callloop_cxx")
    goloop = os.path.join(build, "bench", "goloop")
    hotloop = os.path.join(build, "targets", "hotloop")
    replay = os.path.join(build, "bench", "replay")
    bpftrace = shutil.which("bpftrace")
    for p in (spantrace, hotloop) if a.only == "guard" else (spantrace, callloop, callloop_cxx,
                                                             goloop, hotloop):
        if not os.access(p, os.X_OK):
            die(f"{p} is missing: run `make bench`, which builds it")
    if a.only == "guard":
        lines = guardbench.section(spantrace, hotloop, a.reps)
        text = replace_section(a.out, lines, guardbench.SECTION)
        with open(a.out, "w") as f:
            f.write(text)
        print("\n".join(lines))
        print(f"bench: wrote the guard section of {os.path.relpath(a.out)}")
        return 0
    if not bpftrace:
        die("bpftrace is not installed: scripts/install-deps.sh installs it")

    # (row, symbol, binary, argv before N, Go?). callloop_cxx is callloop linked with
    # libstdc++: exceptions could unwind through its frames, so spantrace probes returns
    # on their RET instructions there, never with a uretprobe.
    funcs = [
        ("bench_cet", "bench_cet", callloop, [callloop, "bench_cet"], False),
        ("bench_push", "bench_push", callloop, [callloop, "bench_push"], False),
        ("bench_push (C++ process)", "bench_push", callloop_cxx,
         [callloop_cxx, "bench_push"], False),
        ("bench_leaf", "bench_leaf", callloop, [callloop, "bench_leaf"], False),
        ("main.BenchGo", "main.BenchGo", goloop, [goloop], True),
    ]
    first = {}
    for name, sym, binary, _, _ in funcs:
        insns = disasm(binary, sym)
        check_shape(sym, insns)
        first[name] = "; ".join(insns[:2])

    tmp = tempfile.mkdtemp(prefix="spantrace-bench.")
    trace = os.path.join(tmp, "trace.json")
    notes = []

    # What a probe costs is what is measured here: the overhead guard, which would stop
    # tracing these loops after a second, is off (its own part is measured below).
    def spantrace_cmd(name, argv, extra=()):
        return [spantrace, "--max-overhead", "off", *extra, "-u", name, "-o", trace, "--", *argv]

    # Does this spantrace know --probe-at (the placement work)?
    probe = run(spantrace_cmd("bench_leaf", [callloop, "bench_leaf", "1"], ["--probe-at=entry"]))
    have_entry = probe.rc == 0 and a.only != "floor"
    if probe.rc != 0:
        line = (probe.err.strip().splitlines() or ["?"])[-1]
        notes.append(f"`spantrace --probe-at=entry` rows skipped: this spantrace does not "
                     f"accept the option yet (it said: `{line}`).")

    # "rets": C returns on RET instructions (SPANTRACE_C_RET_PROBES=1) instead of a
    # uretprobe, to measure the choice rather than assume it; Go has only RET probes.
    # "floor", "floor-rets": the same sites, attached the same way, with empty programs
    # (SPANTRACE_BENCH_FLOOR): what the probes cost before spantrace's BPF work.
    kinds = (["base", "bpftrace", "spantrace", "floor"] + (["entry"] if have_entry else [])
             + ["rets", "floor-rets"])
    ret_env = dict(os.environ, SPANTRACE_C_RET_PROBES="1")
    envs = {"rets": ret_env, "floor": dict(os.environ, SPANTRACE_BENCH_FLOOR="1"),
            "floor-rets": dict(ret_env, SPANTRACE_BENCH_FLOOR="1")}
    res = {(n, k): [] for n, *_ in funcs for k in kinds}  # ns/call per run
    info = {(n, k): [] for n, *_ in funcs for k in kinds}  # Run objects
    cxx = {n for n, _, b, *_ in funcs if b == callloop_cxx}
    t_start = time.monotonic()
    # Interleaved: each repetition runs every case once, so drift hits all alike.
    for rep in range(a.reps):
        for name, sym, binary, argv, is_go in funcs:
            for kind in kinds:
                if kind in ("rets", "floor-rets") and (is_go or name in cxx):
                    continue
                env = envs.get(kind)
                if kind == "base":
                    cmd = argv + [str(a.base_calls)]
                elif kind == "bpftrace":
                    prog = (BPFTRACE_GO if is_go else BPFTRACE_C).format(bin=binary, fn=sym)
                    cmd = [bpftrace, "-e", prog, "-c", " ".join(argv + [str(a.calls)])]
                else:
                    if os.path.exists(trace):
                        os.unlink(trace)
                    extra = ["--probe-at=entry"] if kind == "entry" else []
                    cmd = spantrace_cmd(sym, argv + [str(a.calls)], extra)
                r = run(cmd, env=env)
                if kind.startswith("floor") and r.rc != 0:
                    die(f"spantrace (floor) failed (exit {r.rc}): {' '.join(cmd)}\n{r.err[-3000:]}")
                if kind in ("spantrace", "entry", "rets"):
                    if r.rc != 0:
                        die(f"spantrace failed (exit {r.rc}): {' '.join(cmd)}\n{r.err[-3000:]}")
                    r.spans, r.drops = summary_numbers(r.err)
                    if r.spans is None:
                        die(f"no span summary in spantrace's stderr:\n{r.err[-3000:]}")
                    r.trace_bytes = os.path.getsize(trace)
                elif kind == "bpftrace":
                    m = re.search(r"^@n: (\d+)$", r.out, re.M)
                    r.count = int(m.group(1)) if m else None
                res[(name, kind)].append(r.ns_per_call())
                info[(name, kind)].append(r)
                print(f"  rep {rep + 1}/{a.reps} {name:24} {kind:9} "
                      f"{res[(name, kind)][-1]:12.3f} ns/call  (wall {r.wall:.2f} s)", flush=True)
    bench_wall = time.monotonic() - t_start
    stats = prog_stats(a, funcs, cxx, lambda n, argv: spantrace_cmd(n, argv), envs)
    floor_lines = floor_section(a, funcs, cxx, res, stats, bench_wall)
    if a.only == "floor":
        shutil.rmtree(tmp, ignore_errors=True)
        text = replace_section(a.out, floor_lines, FLOOR_SECTION)
        with open(a.out, "w") as f:
            f.write(text)
        print("\n".join(floor_lines))
        print(f"bench: wrote the floor section of {os.path.relpath(a.out)}")
        return 0

    # Loader throughput: record a run's ring-buffer records, replay them.
    throughput = None
    if os.access(replay, os.X_OK):
        rec = os.path.join(tmp, "records.bin")
        r = run([spantrace, "--save-records", rec, "-u", "bench_push", "-o", trace, "--",
                 callloop, "bench_push", str(a.calls)])
        if r.rc != 0 or not os.path.exists(rec):
            line = (r.err.strip().splitlines() or ["?"])[-1]
            throughput = f"TODO: `spantrace --save-records` failed (exit {r.rc}: `{line}`); no replay run"
        else:
            r = run([replay, "--events", str(a.replay_events), rec])
            lines = [l for l in (r.out + "\n" + r.err).splitlines() if l.strip()]
            last = lines[-1].strip() if lines else "(no output)"
            throughput = (f"`replay --events {a.replay_events} RECORDS` (records of "
                          f"{a.calls} bench_push calls, {os.path.getsize(rec)} bytes): "
                          f"exit {r.rc}, last line: `{last}`; wall {r.wall:.2f} s, "
                          f"{a.replay_events / r.wall / 1e6:.2f} M events/s by bench.py's clock")
    else:
        throughput = (f"TODO: not measured: {os.path.relpath(replay, ROOT)} does not exist yet "
                      f"(`replay --events N RECORDS`, records from `spantrace --save-records`)")
    shutil.rmtree(tmp, ignore_errors=True)

    med = {key: statistics.median(v) for key, v in res.items() if v}

    def added(name, kind):
        return med[(name, kind)] - med[(name, "base")]

    def slowest_added(name, kind):
        return max(res[(name, kind)]) - med[(name, "base")]

    # ---- the report --------------------------------------------------------
    L = []
    L.append("# spantrace benchmark: cost per traced call, against bpftrace\n")
    L.append(f"- command: `make bench` (`bench/bench.py`: {a.reps} repetitions, medians; "
             f"{a.calls:,} calls per traced run, {a.base_calls:,} per untraced run)")
    L.extend(machine_lines())
    L.append(f"- bpftrace: {sh([bpftrace, '--version']) or '?'}")
    L.append(f"- spantrace: {spantrace_version()}")
    L.append(f"- compiler: {(sh(['cc', '--version']).splitlines() or ['?'])[0]}; "
             f"{sh(['go', 'version']) or 'go ?'}")
    L.append("")
    L.append("Added ns per call = traced ns/call - untraced ns/call, each the median of the "
             "runs; each target times only its own loop, so tracer startup does not count. "
             "Ratio = spantrace added / bpftrace added. bpftrace: `uprobe` storing "
             "`nsecs` per tid + `uretprobe` into a `hist()`; for Go only the `uprobe` "
             "with `count()` (a uretprobe kills Go programs), while spantrace records the "
             "entry and each RET there. In the C++ process (the same loop linked with "
             "libstdc++) spantrace probes returns on their RET instructions: a uretprobe "
             "there would end the program in std::terminate when an exception passes it, "
             "which bpftrace's uretprobe would do (this loop throws none).\n")
    L.append("| function | first instructions | untraced ns/call | bpftrace added ns "
             "| spantrace added ns | ratio | spantrace drops |")
    L.append("|---|---|---|---|---|---|---|")
    for name, *_ in funcs:
        for kind in ("spantrace", "entry", "rets"):
            if kind not in kinds or not res[(name, kind)]:
                continue
            label = f"`{name}`" + {"spantrace": "", "entry": " (`--probe-at=entry`)",
                                   "rets": " (returns on RET instructions)"}[kind]
            if name == "main.BenchGo":
                label += " (Go; bpftrace: entry only)"
            drops = sum(r.drops for r in info[(name, kind)])
            L.append(f"| {label} | `{first[name]}` | {med[(name, 'base')]:.2f} "
                     f"| {fmt_ns(added(name, 'bpftrace'))} | {fmt_ns(added(name, kind))} "
                     f"| {fmt_ratio(added(name, kind), added(name, 'bpftrace'))} | {drops} |")
    L.append("")

    st_runs = [r for n, *_ in funcs for r in info[(n, "spantrace")]]
    bpf_runs = [r for n, *_ in funcs for r in info[(n, "bpftrace")]]
    bps = [r.trace_bytes / r.spans for r in st_runs if r.spans]
    L.append(f"- loader throughput: {throughput}")
    L.append(f"- bytes per span in the trace file: {statistics.median(bps):.1f} "
             f"(median over the spantrace runs; min {min(bps):.1f}, max {max(bps):.1f}; "
             f"includes the file's metadata and kernel events)")
    L.append(f"- peak RSS of spantrace: {fmt_kb(max(r.maxrss_kb for r in st_runs))} "
             f"(max over runs; bpftrace: {fmt_kb(max(r.maxrss_kb for r in bpf_runs))}; "
             f"os.wait4's ru_maxrss, which also covers the traced child, smaller than either)")
    total_drops = sum(r.drops for r in st_runs)
    L.append(f"- drops (events lost) over all {len(st_runs)} spantrace runs: {total_drops}")
    for name, *_ in funcs:
        for kind in ("spantrace", "entry", "rets"):
            bad = [r.spans for r in info.get((name, kind), []) if r.spans != a.calls]
            if bad:
                notes.append(f"spantrace ({kind}) recorded {bad} spans for {a.calls} calls "
                             f"of `{name}`.")
        cnt = [r.count for r in info[(name, "bpftrace")] if getattr(r, "count", None) is not None]
        if cnt and any(c != a.calls for c in cnt):
            notes.append(f"bpftrace's uprobe on `{name}` fired {cnt} times for {a.calls} calls "
                         f"(Go: when the runtime asks the goroutine to yield, the stack "
                         f"check at the first byte fails, morestack runs and the function "
                         f"starts over from its first byte, so a probe there fires twice "
                         f"for that call; it happens with GODEBUG=asyncpreemptoff=1 too).")
    if any("RLIMIT_MEMLOCK" in r.err for r in bpf_runs):
        notes.append("bpftrace prints `ERROR: ... couldn't set RLIMIT_MEMLOCK` at startup: "
                     "harmless here (the kernel charges BPF memory to the cgroup since 5.11); "
                     "its programs attached and counted, as the ns/call show.")
    L.append("")

    L.append("## Goals\n")
    goals = []
    cet_b, cet_s = added("bench_cet", "bpftrace"), added("bench_cet", "spantrace")
    goals.append((f"`bench_cet` (CET): spantrace adds at most 1/5 of bpftrace's time per call "
                  f"(ratio {fmt_ratio(cet_s, cet_b)}, goal <= {GOAL_CET_RATIO:.2f})",
                  cet_b > 0 and cet_s <= GOAL_CET_RATIO * cet_b))
    # Slower means outside bpftrace's own run-to-run spread: spantrace's median above the
    # slowest bpftrace run. Single-stepped probes vary by a few percent between runs.
    # In the C++ process bpftrace's uretprobe is not safe (an exception through it ends the
    # program): spantrace pays a RET probe's single-step there, on purpose.
    slower = [f"`{n}` ({fmt_ratio(added(n, 'spantrace'), added(n, 'bpftrace'))})"
              for n, *_ in funcs
              if n not in cxx and added(n, "spantrace") > slowest_added(n, "bpftrace")]
    goals.append(("never slower than bpftrace on any function where both probe returns the "
                  "same way (slower: spantrace's median added time above bpftrace's slowest "
                  "run; the C++ process is left out: there spantrace probes RET instructions "
                  "because bpftrace's uretprobe would kill the program on an exception)"
                  + (f": slower on {', '.join(slower)}" if slower else ""), not slower))
    goals.append((f"zero drops while one thread calls a traced function as fast as it can "
                  f"({total_drops} lost)", total_drops == 0))
    for text, ok in goals:
        L.append(f"- {'PASS' if ok else 'FAIL'}: {text}")
    L.append("")

    L.extend(floor_lines)
    churn_lines, _ = churn_section(build, a.churn_events)
    L.extend(churn_lines)
    L.extend(tax_section(a, spantrace, build))
    measured = {"`bench_push`, uretprobe": (added("bench_push", "spantrace"),
                                           ["emulated", "uretprobe"]),
                "`bench_leaf`, uretprobe": (added("bench_leaf", "spantrace"),
                                           ["single-stepped", "uretprobe"])}
    if "rets" in kinds:
        measured["`bench_push`, returns on RET instructions"] = (added("bench_push", "rets"),
                                                                 ["emulated", "RET"])
    L.extend(guardbench.section(spantrace, hotloop, a.reps, measured))

    L.append("## Runs (ns/call of each repetition)\n")
    L.append("| function | case | runs |")
    L.append("|---|---|---|")
    for name, *_ in funcs:
        for kind in kinds:
            if res[(name, kind)]:
                L.append(f"| `{name}` | {kind} | "
                         f"{', '.join(f'{x:.2f}' for x in res[(name, kind)])} |")
    L.append("")
    notes.append(f"Whole benchmark: {bench_wall:.0f} s of runs.")
    L.append("## Notes\n")
    for n in notes:
        L.append(f"- {n}")
    text = "\n".join(L) + "\n"
    text = loopbench.replace_section(text, loop_section(a, spantrace, build))
    with open(a.out, "w") as f:
        f.write(text)
    print()
    print(text, end="")
    print(f"bench: wrote {os.path.relpath(a.out)}")
    return 0


FLOOR_SECTION = "## BPF-side work: spantrace against the floor"
# Goal from issue 13: spantrace's added time per call within 5% of empty programs'.
GOAL_FLOOR_RATIO = 1.05
STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"


def floor_cases(funcs, cxx):
    """(row, function row, traced kind, floor kind, symbol, argv) per floor comparison."""
    for name, sym, _, argv, is_go in funcs:
        yield name, name, "spantrace", "floor", sym, argv
        if not is_go and name not in cxx:
            yield name + " (returns on RET instructions)", name, "rets", "floor-rets", sym, argv


def prog_stats(a, funcs, cxx, cmd_of, envs):
    """{(row, kind): {program: [ns per run, ...]}} from the kernel's BPF stats
    (run_time_ns / run_cnt, SPANTRACE_BENCH_PROG_STATS), in runs of their own: the
    stats add two clock reads to every program run, so the timed runs go without."""
    out = {}
    old = open(STATS_SYSCTL).read().strip()
    try:
        with open(STATS_SYSCTL, "w") as f:
            f.write("1")
        for rep in range(a.stats_reps):
            for row, _, kind, fkind, sym, argv in floor_cases(funcs, cxx):
                for k in (kind, fkind):
                    env = dict(envs.get(k, os.environ), SPANTRACE_BENCH_PROG_STATS="1")
                    r = run(cmd_of(sym, argv + [str(a.calls)]), env=env)
                    got = out.setdefault((row, k), {})
                    for m in re.finditer(r"bpf prog (\w+): run_cnt (\d+) run_time_ns (\d+)",
                                         r.err):
                        got.setdefault(m.group(1), []).append(int(m.group(3)) / int(m.group(2)))
                    print(f"  stats {rep + 1}/{a.stats_reps} {row:40} {k:10} "
                          + ", ".join(f"{p} {v[-1]:.0f} ns" for p, v in got.items()), flush=True)
    finally:
        with open(STATS_SYSCTL, "w") as f:
            f.write(old)
    return out


def floor_section(a, funcs, cxx, res, stats, wall):
    """The lines of RESULTS.md's floor section."""
    med = {k: statistics.median(v) for k, v in res.items() if v}
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rev = sh(["git", "-C", ROOT, "describe", "--always", "--dirty", "--tags"]) or "?"
    L = [FLOOR_SECTION + "\n"]
    L.append(f"- measured: {now}, spantrace {rev}, {os.cpu_count()} CPUs; `make bench "
             f"BENCH_ARGS='--only floor'` ({a.reps} interleaved repetitions of untraced, "
             f"bpftrace, spantrace and floor runs; medians; {a.calls:,} calls per traced run)")
    L.append("- floor: spantrace with `SPANTRACE_BENCH_FLOOR=1`, which attaches an empty "
             "program (`bpf/floor.bpf.c`, `return 0`) on exactly the sites spantrace uses, "
             "the same way (entry offset, uretprobe or RET probes, same link kind); no spans. "
             "BPF work per call = spantrace added - floor added.")
    L.append("- noise: the machine is shared; a run's spread is in the runs table below.\n")
    L.append("| function | floor added ns | spantrace added ns | spantrace - floor "
             "| ratio spantrace/floor | floor runs (ns/call) | spantrace runs |")
    L.append("|---|---|---|---|---|---|---|")
    goals = []
    for row, base, kind, fkind, *_ in floor_cases(funcs, cxx):
        if (base, fkind) not in med or (base, kind) not in med:
            continue
        b = med[(base, "base")]
        fl, st = med[(base, fkind)] - b, med[(base, kind)] - b
        L.append(f"| `{row}` | {fmt_ns(fl)} | {fmt_ns(st)} | {fmt_ns(st - fl)} "
                 f"| {fmt_ratio(st, fl)} | {', '.join(f'{x:.0f}' for x in res[(base, fkind)])} "
                 f"| {', '.join(f'{x:.0f}' for x in res[(base, kind)])} |")
        goals.append((f"`{row}`: spantrace within 5% of the floor (ratio "
                      f"{fmt_ratio(st, fl)}, goal <= {GOAL_FLOOR_RATIO:.2f})",
                      fl > 0 and st <= GOAL_FLOOR_RATIO * fl))
    L.append("")
    L.append("Per program, from the kernel (`sysctl kernel.bpf_stats_enabled=1`, run_time_ns / "
             f"run_cnt, {a.stats_reps} runs of their own each, medians; the stats' own clock "
             "reads are in every figure, the floor's included):\n")
    L.append("| function | span_enter ns/run | span_exit ns/run | floor ns/run "
             "| enter + exit - 2 x floor |")
    L.append("|---|---|---|---|---|")
    for row, _, kind, fkind, *_ in floor_cases(funcs, cxx):
        st, fl = stats.get((row, kind), {}), stats.get((row, fkind), {})
        en = statistics.median(st["span_enter"]) if st.get("span_enter") else None
        ex = statistics.median(st["span_exit"]) if st.get("span_exit") else None
        f0 = statistics.median(fl["span_floor"]) if fl.get("span_floor") else None
        work = en + ex - 2 * f0 if None not in (en, ex, f0) else None
        L.append(f"| `{row}` | {fmt_ns(en)} | {fmt_ns(ex)} | {fmt_ns(f0)} | {fmt_ns(work)} |")
    L.append("")
    for text, ok in goals:
        L.append(f"- {'PASS' if ok else 'FAIL'}: {text}")
    L.append(f"- runs took {wall:.0f} s\n")
    return L


def loop_section(a, spantrace, build):
    """The event loop under load (bench/loopbench.py): its RESULTS.md lines."""
    farm = os.path.join(build, "targets", "pipefarm")
    for p in [spantrace, farm] + ([a.loop_compare] if a.loop_compare else []):
        if not os.access(p, os.X_OK):
            die(f"{p} is missing: run `make bench`, which builds it")
    tmp = tempfile.mkdtemp(prefix="spantrace-loop.")
    try:
        r = loopbench.run(spantrace, farm, tmp, a.loop_reps, a.loop_duration, a.loop_compare,
                          a.loop_compare_label, log=lambda m: print(m, flush=True))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return loopbench.report(r)


def loop_only(a, spantrace, build):
    lines = loop_section(a, spantrace, build)
    old = open(a.out).read() if os.path.exists(a.out) else ""
    with open(a.out, "w") as f:
        f.write(loopbench.replace_section(old, lines))
    print("\n".join(lines))
    print(f"bench: wrote its section of {os.path.relpath(a.out)}")
    return 0


def tax_section(a, spantrace, build):
    """The tax on untraced processes (bench/taxbench.py): its RESULTS.md lines."""
    taxloop = os.path.join(build, "bench", "taxloop")
    for p in [spantrace, taxloop] + ([a.tax_compare] if a.tax_compare else []):
        if not os.access(p, os.X_OK):
            die(f"{p} is missing: run `make bench`, which builds it")
    if not shutil.which("bpftool"):
        die("bpftool is not installed: scripts/install-deps.sh installs it")
    try:
        r = taxbench.run(spantrace, taxloop, a.tax_reps, a.tax_runs, a.tax_syscalls,
                         a.tax_pings, a.tax_compare, a.tax_compare_label,
                         log=lambda m: print(m, flush=True))
    except RuntimeError as e:
        die(str(e))
    return taxbench.report(r, machine_lines() + [f"- spantrace: {spantrace_version()}"])


def tax_only(a, spantrace, build):
    lines = tax_section(a, spantrace, build)
    text = replace_section(a.out, lines, taxbench.SECTION)
    with open(a.out, "w") as f:
        f.write(text)
    print("\n".join(lines))
    print(f"bench: wrote its section of {os.path.relpath(a.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
