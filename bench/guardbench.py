# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The overhead guard's part of make bench (bench.py; alone: bench.py --only guard).

Calibration: what spantrace measured a probe hit of each kind of site to cost at its start
(-v, with SPANTRACE_CALIBRATE_ALL=1 so that every kind is measured), over several runs, and
how long it took; beside it, when the whole benchmark ran, what bench.py measured tracing
costs per call on the loop targets, for the same kinds of sites.

Guard behaviour: tests/targets/hotloop (hot() as fast as it can, warm() every 2 ms, cold()
every 10 ms, for 3 s) untraced, traced with the default budget on both attach paths, and
traced with --max-overhead off: hot() calls per second in the first and the last second by
the program's own count, when the guard acted and how long the probes took to come off.
"""
import datetime
import os
import platform
import re
import statistics
import subprocess
import tempfile

KINDS = ["5-byte nop", "emulated", "single-stepped", "RET", "uretprobe"]
SECTION = "## Overhead guard"
RUN_MS = 3000


def _run(cmd, env=None, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def _duration_ns(text):
    """'6.851 us' -> 6851.0"""
    v, unit = text.split()
    return float(v) * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def calibrate(spantrace, hotloop, reps):
    """{kind: [ns per hit of each run]}, [ms each calibration took]."""
    env = dict(os.environ, SPANTRACE_CALIBRATE_ALL="1")
    per_kind, took = {k: [] for k in KINDS}, []
    with tempfile.TemporaryDirectory(prefix="spantrace-guard.") as tmp:
        for _ in range(reps):
            r = _run([spantrace, "-v", "-u", "cold", "-o", os.path.join(tmp, "t.json"), "--",
                      hotloop, "50"], env=env)
            m = re.search(r"a probe hit costs, measured on spantrace's own code in ([0-9]+) ms: "
                          r"(.*)$", r.stderr, re.M)
            if r.returncode or not m:
                raise RuntimeError(f"no calibration line from spantrace -v (exit {r.returncode}):"
                                   f"\n{r.stderr[-2000:]}")
            took.append(int(m.group(1)))
            for kind, value in re.findall(r"(5-byte nop|emulated|single-stepped|RET|uretprobe) "
                                          r"\+?([0-9.]+ [nmu]?s)", m.group(2)):
                per_kind[kind].append(_duration_ns(value))
    return per_kind, took


def _hotloop(stdout):
    periods = [int(x) for x in re.findall(r"^period \d+ hot (\d+)$", stdout, re.M)]
    return sum(periods[:10]), sum(periods[-10:])


def behaviour(spantrace, hotloop):
    """Rows: (case, hot calls in the first second, in the last, acted at, probes off in, line)."""
    rows = []
    r = _run([hotloop, str(RUN_MS)])
    rows.append(("untraced", *_hotloop(r.stdout), "", "", ""))
    cases = [("spantrace, uprobe_multi links", "0", []), ("spantrace, perf uprobes", "1", []),
             ("spantrace --max-overhead off", "0", ["--max-overhead", "off"])]
    with tempfile.TemporaryDirectory(prefix="spantrace-guard.") as tmp:
        for name, legacy, extra in cases:
            env = dict(os.environ, SPANTRACE_NO_UPROBE_MULTI=legacy)
            r = _run([spantrace, "-v", *extra, "-u", "hot", "-u", "warm", "-u", "cold", "-o",
                      os.path.join(tmp, "t.json"), "--", hotloop, str(RUN_MS)], env=env)
            if r.returncode:
                raise RuntimeError(f"spantrace failed (exit {r.returncode}):\n{r.stderr[-2000:]}")
            at = re.search(r"^  hot at ([0-9.]+) s:", r.stderr, re.M)
            off = re.search(r"probes taken off in ([0-9.]+) ms", r.stderr)
            line = re.search(r"^spantrace: (overhead guard: hot: .*)$", r.stderr, re.M)
            rows.append((name, *_hotloop(r.stdout), f"{at.group(1)} s" if at else "never",
                         f"{off.group(1)} ms" if off else "", line.group(1) if line else ""))
    return rows


def _machine():
    """'AMD EPYC, 2 CPUs, kernel 6.18.44, 2026-12-02 05:26 UTC'"""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        lscpu = ""
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                  if line.startswith("Model name:")), platform.processor() or "?")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{model}, {os.cpu_count()} CPUs, kernel {platform.release()}, {now}"


def section(spantrace, hotloop, reps, measured=None):
    """The RESULTS.md section, as lines. measured: {label: (added ns per call, [kinds])} from
    the rest of the benchmark, compared with the calibrated kinds' sum."""
    per_kind, took = calibrate(spantrace, hotloop, reps)
    rows = behaviour(spantrace, hotloop)
    L = [f"{SECTION}\n", "`make bench BENCH_ARGS='--only guard'` runs this part alone.\n"]
    L.append(f"Measured on {_machine()}.\n")
    L.append(f"Calibration: what a probe hit costs, as spantrace measures it at its start on its "
             f"own code (`SPANTRACE_CALIBRATE_ALL=1 spantrace -v`, {reps} runs; median, min, "
             f"max; uretprobe: what the return adds to its function's entry probe). It took "
             f"{statistics.median(took)} ms per run (min {min(took)}, max {max(took)}).\n")
    L.append("| kind of site | ns per hit (median) | min | max |")
    L.append("|---|---|---|---|")
    med = {}
    for k in KINDS:
        v = per_kind[k]
        med[k] = statistics.median(v) if v else None
        L.append(f"| {k} | {med[k]:,.0f} | {min(v):,.0f} | {max(v):,.0f} |" if v else
                 f"| {k} | n/a | | |")
    if measured:
        L.append("")
        L.append("Against the rest of this benchmark (added ns per call on the loop targets, "
                 "which include the rest of each call's tracing):\n")
        L.append("| function, probes | measured added ns | calibrated sum | ratio |")
        L.append("|---|---|---|---|")
        for label, (added, kinds) in measured.items():
            cal = sum(med[k] for k in kinds if med.get(k) is not None)
            L.append(f"| {label} ({' + '.join(kinds)}) | {added:,.0f} | {cal:,.0f} | "
                     f"{cal / added:.2f} |" if added > 0 else f"| {label} | n/a | | |")
    L.append("")
    L.append(f"Guard behaviour on `tests/targets/hotloop {RUN_MS}` (hot() as fast as it can, "
             f"warm() every 2 ms, cold() every 10 ms), budget 5% (the default): hot() calls in "
             f"the program's first and last second, by its own count.\n")
    L.append("| case | hot() calls, first second | last second | guard acted at | "
             "probes off in |")
    L.append("|---|---|---|---|---|")
    for name, first, last, at, off, _ in rows:
        L.append(f"| {name} | {first:,} | {last:,} | {at} | {off} |")
    said = next((r[5] for r in rows if r[5]), None)
    if said:
        L.append("")
        L.append(f"What it said (uprobe_multi run): `{said}`")
    L.append("")
    return L
