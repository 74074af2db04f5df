# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The overhead guard on a real target (tests/targets/hotloop.c): hot() called as fast as it can,
warm() every 2 ms, cold() every 10 ms. Under default options the guard must stop tracing hot()
within its first look, say so on stderr, in the trace and in the summary, give the program back
most of its untraced speed, and keep every call of warm() and cold(). Throughput is compared with
an untraced run of the same program in the same test, by the program's own count per 100 ms,
never by wall time."""
import re
import statistics

import pytest

from conftest import LEGACY, MULTI, Trace, assert_nothing_attached, run, target
from test_live_cost import STATUS_RE, run_on_pty, status_lines

HOTLOOP = target("hotloop")
RUN_MS = 3000
COST_KINDS = {"5-byte nop", "emulated", "single-stepped", "RET", "uretprobe"}
STOP_LINE = re.compile(
    r"^spantrace: overhead guard: hot: [0-9.]+( [kM])? calls/s × [0-9.]+ [nmu]?s per call = "
    r"[0-9.]+ CPU of probe time, [0-9]+% of the [0-9.]+ CPU the traced processes used; "
    r"stopped tracing it \(budget 5%\)$")


def hotloop_output(stdout):
    """(hot() calls per 100 ms period, {"hot": N, "warm": N, "cold": N}) from the target."""
    periods = [int(m.group(1)) for m in re.finditer(r"^period \d+ hot (\d+)$", stdout, re.M)]
    m = re.search(r"^hot (\d+) warm (\d+) cold (\d+) sum", stdout, re.M)
    assert m, stdout[-500:]
    return periods, {"hot": int(m.group(1)), "warm": int(m.group(2)), "cold": int(m.group(3))}


def untraced_calls_per_s():
    """hot() calls a second, untraced, as the program counts them (median of its periods)."""
    import subprocess
    r = subprocess.run([HOTLOOP, "1000"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    periods, _ = hotloop_output(r.stdout)
    return statistics.median(periods) * 10


@pytest.mark.parametrize("env", [MULTI, LEGACY], ids=["uprobe_multi", "perf"])
def test_guard_stops_hot_function(out, env):
    untraced = untraced_calls_per_s()
    r = run(["-u", "hot", "-u", "warm", "-u", "cold", "-o", out, "--", HOTLOOP, str(RUN_MS)],
            env=env)
    assert r.returncode == 0, r.stderr
    periods, calls = hotloop_output(r.stdout)

    # most of the untraced speed back: the last second's calls against an untraced second's
    last_second = sum(periods[-10:])
    assert last_second > 0.5 * untraced, (last_second, untraced, periods)

    # said once on stderr, with the numbers
    said = [line for line in r.stderr.splitlines() if "overhead guard: hot:" in line]
    assert len(said) == 1, r.stderr
    assert STOP_LINE.match(said[0]), said[0]
    assert not [line for line in r.stderr.splitlines()
                if "overhead guard:" in line and "hot" not in line and "a probe hit" not in line]

    # in the trace: one global instant of category overhead, with what was measured
    t = Trace(out)
    stops = t.instants("overhead")
    assert len(stops) == 1, stops
    ev = stops[0]
    assert ev["name"] == "stopped tracing hot" and ev["s"] == "g"
    a = ev["args"]
    assert a["func"] == "hot" and a["object"].endswith("/hotloop")
    assert a["max_overhead_percent"] == 5
    assert a["calls_per_s"] > 0 and a["probe_cost_per_call_ns"] > 0
    # what stopped it: the probes' time above 5% of the CPU used
    assert a["probe_ns_per_s"] > 0.05 * a["cpu_ns_per_s"] > 0
    assert set(t.doc["otherData"]["probe_cost_ns"]) <= COST_KINDS

    # hot() kept its spans up to the stop, none after; warm() and cold() kept every call
    counts = t.counts()
    hot = [e for e in t.spans if e["name"] == "hot"]
    assert 0 < len(hot) < calls["hot"]
    stop_ns = round(ev["ts"] * 1000)
    assert all(e["_end"] <= stop_ns for e in hot)
    assert all(not e["args"].get("unfinished") or e["_end"] == stop_ns for e in hot)
    for fn in ("warm", "cold"):
        assert counts[fn] == calls[fn], (fn, counts[fn], calls[fn])
        assert not [e for e in t.spans if e["name"] == fn and e["args"].get("unfinished")]
    t.parents()

    # listed in the summary, and the table's cost column
    assert "overhead guard (budget 5% of the traced processes' CPU time): stopped tracing " \
           "1 function" in r.stderr
    assert re.search(r"^  hot at [0-9.]+ s: ", r.stderr, re.M), r.stderr
    assert re.search(r"^span +calls +returned +total +p50 +p99 +probe/call$", r.stderr, re.M)
    assert re.search(rf"^warm +{calls['warm']} +{calls['warm']} .* [0-9.]+ [nu]s$", r.stderr,
                     re.M), r.stderr
    assert_nothing_attached()


def test_status_line_shows_the_estimate(out):
    """On a terminal, the status line's overhead: "-" until the guard's first look, then the
    probes' share of the last second, in percent: high before hot() is stopped, low after."""
    code, text = run_on_pty(["-u", "hot", "-u", "cold", "-o", out, "--", HOTLOOP, "3500"])
    assert code == 0, text
    overhead = [STATUS_RE.match(line).group(8) for line in status_lines(text)]
    first = next((i for i, o in enumerate(overhead) if o != "-"), None)
    assert first is not None and all(o.endswith("%") for o in overhead[first:]), overhead
    shares = [float(o[:-1]) for o in overhead[first:]]
    assert shares[0] > 5 and shares[-1] < 5, overhead


def test_guard_off_keeps_everything(out):
    r = run(["--max-overhead", "off", "-u", "hot", "-u", "cold", "-o", out, "--", HOTLOOP,
             "300"])
    assert r.returncode == 0, r.stderr
    _, calls = hotloop_output(r.stdout)
    t = Trace(out)
    assert t.instants("overhead") == []
    assert "probe_cost_ns" not in t.doc["otherData"]
    assert t.counts()["hot"] == calls["hot"]
    assert t.counts()["cold"] == calls["cold"]
    assert "overhead guard" not in r.stderr
    assert "probe/call" not in r.stderr


def test_guard_keeps_a_cheap_function(out):
    """Within budget nothing stops: warm() and cold() alone, for two of the guard's looks."""
    r = run(["-v", "-u", "warm", "-u", "cold", "-o", out, "--", HOTLOOP, "2200"])
    assert r.returncode == 0, r.stderr
    _, calls = hotloop_output(r.stdout)
    t = Trace(out)
    assert t.instants("overhead") == []
    assert t.counts()["warm"] == calls["warm"]
    assert re.search(r"^overhead guard \(budget 5% of the traced processes' CPU time\): every "
                     r"function kept; the probes' time peaked at [0-9.]+ [num]?s a second, "
                     r"[0-9.]+% then$", r.stderr, re.M), r.stderr


def test_calibration_reported(out):
    """-v says what a hit of each kind costs here (every kind with SPANTRACE_CALIBRATE_ALL),
    and the trace keeps the figures in otherData."""
    import os
    env = dict(os.environ, SPANTRACE_CALIBRATE_ALL="1")
    r = run(["-v", "-u", "cold", "-o", out, "--", HOTLOOP, "50"], env=env)
    assert r.returncode == 0, r.stderr
    m = re.search(r"^spantrace: overhead guard: a probe hit costs, measured on spantrace's own "
                  r"code in [0-9]+ ms: (.*)$", r.stderr, re.M)
    assert m, r.stderr
    said = dict(re.findall(r"(5-byte nop|emulated|single-stepped|RET|uretprobe) \+?"
                           r"([0-9.]+ [nmu]?s) \([0-9]+ hits\)", m.group(1)))
    assert set(said) == COST_KINDS, m.group(1)
    costs = Trace(out).doc["otherData"]["probe_cost_ns"]
    assert set(costs) == COST_KINDS
    assert all(isinstance(v, int) and v >= 0 for v in costs.values())
    # a single-stepped instruction costs more than an emulated one, on any machine
    assert costs["single-stepped"] > costs["emulated"]


@pytest.mark.parametrize("bad", ["0", "-5", "101", "abc", "5%", ""])
def test_bad_max_overhead(out, bad):
    r = run(["--max-overhead", bad, "-u", "cold", "-o", out, "--", HOTLOOP, "10"])
    assert r.returncode == 2
    assert r.stderr == ("spantrace: --max-overhead takes a percentage above 0 and at most 100 "
                        f"(e.g. 5 or 0.5), or 'off', got '{bad}'\n")
    assert r.stdout == ""
