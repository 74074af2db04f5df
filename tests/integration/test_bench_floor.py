# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""make bench's floor (SPANTRACE_BENCH_FLOOR): an empty program on every span site in place of
span_enter and span_exit, attached the same way, and the per-program kernel stats
(SPANTRACE_BENCH_PROG_STATS) that count its runs."""
import re

import pytest

from conftest import LEGACY, MULTI, run, target

NTHREADS, ITERS = 4, 10
NSPANS = NTHREADS * ITERS * 10  # outer, 3 middle, 6 leaf
SPECS = ["-u", "outer", "-u", "middle", "-u", "leaf"]
STATS = "/proc/sys/kernel/bpf_stats_enabled"


@pytest.fixture
def bpf_stats():
    """kernel.bpf_stats_enabled on for the test, then as it was."""
    old = open(STATS).read().strip()
    with open(STATS, "w") as f:
        f.write("1")
    yield
    with open(STATS, "w") as f:
        f.write(old)


def prog_runs(stderr):
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^spantrace: bpf prog (\w+): run_cnt (\d+) run_time_ns \d+$",
                                 stderr, re.M)}


@pytest.mark.parametrize("attach", [MULTI, LEGACY], ids=["uprobe_multi", "perf"])
def test_floor_runs_on_every_span_site(tmp_path, bpf_stats, attach):
    out = str(tmp_path / "trace.json")
    env = dict(attach, SPANTRACE_BENCH_PROG_STATS="1")
    # the guard off: its calibration at start runs the span programs too
    r = run(["-o", out, "--max-overhead", "off", *SPECS, "--", target("threads"),
             str(NTHREADS), str(ITERS)], env=env)
    assert r.returncode == 0, r.stderr
    assert prog_runs(r.stderr) == {"span_enter": NSPANS, "span_exit": NSPANS}, r.stderr
    assert f"\n{NSPANS} spans (0 unfinished)" in r.stderr

    r = run(["-o", out, "--max-overhead", "off", *SPECS, "--", target("threads"),
             str(NTHREADS), str(ITERS)], env=dict(env, SPANTRACE_BENCH_FLOOR="1"))
    assert r.returncode == 0, r.stderr
    assert prog_runs(r.stderr) == {"span_floor": 2 * NSPANS}, r.stderr
    assert "\n0 spans (0 unfinished)" in r.stderr
