# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""C++ exceptions through traced frames (tests/targets/exceptions.cpp): the program computes
and ends as untraced, and a span an exception unwinds ends where the unwinder passed it,
marked unwound. server::handle calls server::lookup, which holds a Guard whose destructor
runs while an exception passes, and calls Table<int>::get, which throws for 2 requests in
5; handle catches."""
import collections
import subprocess

import pytest

from conftest import (LEGACY, MULTI, SPANTRACE, Trace, assert_nothing_attached, read_line, run,
                      target, wait_stderr_for)

EXE = target("exceptions")
N = 100
OUT = f"served {N}: ok 60, missing 40, sum 2400, guards {N}\n"
SPECS = ["-u", "server::*", "-u", "Table*"]


def check_trace(path):
    t = Trace(path)
    kinds = collections.Counter((e["name"], bool(e["args"].get("unwound")),
                                 bool(e["args"].get("unfinished"))) for e in t.spans)
    assert kinds == {("server::handle", False, False): N,
                     ("server::lookup", False, False): 60, ("server::lookup", True, False): 40,
                     ("Table<int>::get", False, False): 60, ("Table<int>::get", True, False): 40,
                     ("server::Guard::~Guard", False, False): N}
    assert t.parents() == {(None, "server::handle"): N, ("server::handle", "server::lookup"): N,
                           ("server::lookup", "Table<int>::get"): N,
                           ("server::lookup", "server::Guard::~Guard"): N}
    # each unwound get ends before the Guard's destructor, which runs in the cleanup the
    # exception passes on its way out of lookup; lookup ends where handle catches it
    spans = sorted(t.spans, key=lambda e: (e["_start"], -e["_end"]))
    for i, e in enumerate(spans):
        if e["name"] == "server::lookup" and e["args"].get("unwound"):
            get, guard = spans[i + 1], spans[i + 2]
            assert (get["name"], guard["name"]) == ("Table<int>::get", "server::Guard::~Guard")
            assert get["args"]["unwound"] is True
            assert get["_end"] <= guard["_start"] and guard["_end"] <= e["_end"]
    return t


@pytest.mark.parametrize("env", [MULTI, LEGACY], ids=["multi", "legacy"])
def test_exceptions_through_traced_frames(out, env):
    assert subprocess.run([EXE, str(N)], capture_output=True, text=True).stdout == OUT
    r = run(["-v", *SPECS, "-o", out, "--", EXE, str(N)], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == OUT
    assert "exceptions can unwind through traced frames (libstdc++.so" in r.stderr
    assert "_ZNK5TableIiE3getEm: entry probe at +0" in r.stderr
    assert "returns: 1 way out (RETs, tail jumps)" in r.stderr
    assert "return: uretprobe" not in r.stderr
    assert "400 spans (0 unfinished) on 1 threads" in r.stderr
    assert "exceptions: 40 thrown; 80 spans unwound by one" in r.stderr
    assert "fatal signals: 0" in r.stderr
    check_trace(out)
    assert_nothing_attached()


def test_exceptions_attach_by_pid(out):
    """Attached to a running program: libstdc++ is among its mappings."""
    p = subprocess.Popen([EXE, str(N), "wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    pid = int(read_line(p.stdout).split()[1])
    tracer = subprocess.Popen([SPANTRACE, "-p", str(pid), *SPECS, "-o", out],
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_stderr_for(tracer, "Ctrl-C to stop")
        p.stdin.write("go\n")
        p.stdin.flush()
        assert read_line(p.stdout) == OUT
        assert p.wait(timeout=30) == 0
        assert tracer.wait(timeout=30) == 0
    finally:
        p.kill()
        tracer.kill()
    check_trace(out)
