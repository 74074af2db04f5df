# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The event loop under load: how long spantrace stays away from its ring buffer.

While the loop does anything but read the ring (look for a pipe's reader in
/proc, read the map of waits in progress), the BPF side fills the ring, and
once it is full it drops events. spantrace -v prints the longest such
stretch and the most CPU time it spent in one (the rest of a stretch is
waiting for a CPU on a busy host). Load: build/targets/pipefarm, a writer
waiting on a full pipe whose reader is an untraced process started after
PROCS sleeping processes that hold pipes, and THREADS threads of the writer
going off CPU and back. spantrace traces the writer (-p) for DURATION
seconds, REPS times; with --loop-compare OLD, an older spantrace too, on the
same farm, runs interleaved.

Used by bench.py (the "Event loop under load" section of RESULTS.md;
`bench.py --only loop` runs just this part and replaces just that section).
Python standard library only.
"""
import datetime
import json
import os
import platform
import re
import select
import statistics
import subprocess
import time

SECTION = "## Event loop under load"

# (label, PROCS, THREADS, SLEEP_MS, spantrace options): a host of many processes, whose
# /proc a search for the pipe's reader must read; many threads of the traced process off
# CPU and back, which the map of waits in progress holds (--min-wait 300: only their
# 500 ms sleeps are drawn, and the writer's 250 ms waits start no search).
SCENARIOS = [
    ("quiet host", 0, 0, 20, []),
    ("8,000 processes holding pipes, writer waiting on an untraced reader", 8000, 0, 20, []),
    ("4,000 threads of the traced process sleeping 500 ms at a time", 0, 4000, 500,
     ["--min-wait", "300"]),
]

LOOP_RE = re.compile(r"event loop: (\d+) rounds; longest time away from the ring buffer "
                     r"([0-9.]+) ms, most CPU time spent away at once ([0-9.]+) ms")


class Skip(Exception):
    pass


def host_processes():
    return sum(1 for d in os.listdir("/proc") if d.isdigit())


def start_farm(farm, procs, threads, sleep_ms, timeout=300):
    """pipefarm, running: (Popen, writer pid, reader pid)."""
    before = host_processes()
    p = subprocess.Popen([farm, str(procs), str(threads), str(sleep_ms)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([p.stdout], [], [], 1.0)
        if r:
            line = p.stdout.readline().split()
            if len(line) == 4 and line[0] == "writer":
                return p, int(line[1]), int(line[3])
            stop_farm(p, before)
            raise Skip(f"pipefarm said {' '.join(line)!r}, not 'writer PID reader PID'")
        if p.poll() is not None:
            raise Skip(f"pipefarm {procs} {threads} exited with {p.returncode} before it ran")
    stop_farm(p, before)
    raise Skip(f"pipefarm {procs} {threads} not running after {timeout} s")


def stop_farm(p, before):
    """Ends the farm, and waits until the host is back to about before processes: its
    children die with it (PR_SET_PDEATHSIG), which takes the kernel a while."""
    try:
        p.stdin.close()
    except OSError:
        pass
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    end = time.monotonic() + 120
    while host_processes() > before + 500 and time.monotonic() < end:
        time.sleep(0.5)


def reader_named(trace, reader):
    """(pipe writes naming the reader, pipe writes saying it is not known yet, others)."""
    with open(trace) as f:
        t = json.load(f)
    events = t["traceEvents"] if isinstance(t, dict) else t
    named = unknown = other = 0
    for e in events:
        if e.get("cat") != "pipe":
            continue
        a = e.get("args", {})
        if a.get("blocked_by") == reader:
            named += 1
        elif "not known yet" in a.get("blocked_reason", ""):
            unknown += 1
        else:
            other += 1
    return named, unknown, other


def trace_once(spantrace, writer, reader, duration, extra, trace):
    if os.path.exists(trace):
        os.unlink(trace)
    cmd = [spantrace, "-v", "-p", str(writer), "-d", str(duration), "-o", trace, *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    m = LOOP_RE.search(r.stderr)
    if r.returncode != 0 or not m:
        raise Skip(f"`{' '.join(cmd)}` exited {r.returncode} without the event loop line: "
                   f"{r.stderr.strip().splitlines()[-1:] or '?'}")
    return {"rounds": int(m.group(1)), "worst_ms": float(m.group(2)),
            "cpu_ms": float(m.group(3)), "pipes": reader_named(trace, reader)}


def run(spantrace, farm, tmp, reps=3, duration=10, compare=None, compare_label=None,
        log=print):
    """Runs every scenario: {"rows": [...], "notes": [...]} for report()."""
    builds = [("this build", spantrace)] + \
        ([(compare_label or f"`{compare}`", compare)] if compare else [])
    rows, notes = [], []
    trace = os.path.join(tmp, "loop.json")
    for label, procs, threads, sleep_ms, extra in SCENARIOS:
        room = int(open("/proc/sys/kernel/pid_max").read()) - host_processes() - threads
        if procs + 1000 > room:
            notes.append(f"{label}: skipped, the host has room for {room} more processes")
            continue
        try:
            t0, before = time.monotonic(), host_processes()
            farm_p, writer, reader = start_farm(farm, procs, threads, sleep_ms)
            log(f"  loop: {label}: farm up in {time.monotonic() - t0:.0f} s "
                f"({host_processes()} processes on the host)")
            res = {name: [] for name, _ in builds}
            try:
                for rep in range(reps):
                    for name, binary in builds:
                        r = trace_once(binary, writer, reader, duration, extra, trace)
                        res[name].append(r)
                        log(f"  loop: {label}: {name} rep {rep + 1}/{reps}: worst "
                            f"{r['worst_ms']:.1f} ms, CPU {r['cpu_ms']:.1f} ms, "
                            f"{r['rounds']} rounds, pipe writes {r['pipes']}")
            finally:
                stop_farm(farm_p, before)
        except Skip as e:
            notes.append(f"{label}: skipped: {e}")
            continue
        for name, binary in builds:
            rows.append((label, name, binary, procs, threads, extra, res[name]))
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {"rows": rows, "notes": notes, "reps": reps, "duration": duration,
            "compare": compare, "date": date}


def report(r):
    """The RESULTS.md section, as lines."""
    L = [SECTION, ""]
    cmd = "bench/bench.py --only loop" + (" --loop-compare OLD" if r["compare"] else "")
    L.append(f"`{cmd}`, {r['date']}, {os.cpu_count()} CPUs, kernel {platform.release()} "
             f"({r['reps']} runs of `spantrace -v -p WRITER -d "
             f"{r['duration']}` per case; load from `build/targets/pipefarm PROCS THREADS "
             f"SLEEP_MS`). Worst = the longest time the loop spent away from the ring buffer "
             f"(anything but waiting for it or reading it), the largest over the runs; CPU = "
             f"the most CPU time spantrace spent in one such stretch (the rest of a stretch "
             f"is waiting for a CPU on a busy host). Pipe writes: those drawn naming the "
             f"reader / saying it was not known yet / other, over all runs.\n")
    L.append("| load | spantrace | worst ms (max; median) | CPU ms (max) | loop rounds "
             "(median) | pipe writes |")
    L.append("|---|---|---|---|---|---|")
    for label, name, binary, procs, threads, extra, runs in r["rows"]:
        worst = [x["worst_ms"] for x in runs]
        cpu = [x["cpu_ms"] for x in runs]
        pipes = [sum(x["pipes"][i] for x in runs) for i in range(3)]
        opts = f" `{' '.join(extra)}`" if extra else ""
        L.append(f"| {label}{opts} | {name} | {max(worst):,.1f}; "
                 f"{statistics.median(worst):,.1f} | {max(cpu):,.1f} "
                 f"| {statistics.median(x['rounds'] for x in runs):,.0f} "
                 f"| {pipes[0]} / {pipes[1]} / {pipes[2]} |")
    L.append("")
    for n in r["notes"]:
        L.append(f"- {n}")
    if r["notes"]:
        L.append("")
    return L


def replace_section(text, lines):
    """text (a RESULTS.md) with its event-loop section replaced by lines, or them appended."""
    section = "\n".join(lines).rstrip("\n") + "\n"
    start = text.find(SECTION)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + section
    nxt = text.find("\n## ", start + len(SECTION))
    rest = text[nxt + 1:] if nxt >= 0 else ""
    return text[:start] + section + ("\n" + rest if rest else "")
