# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Span pairs in a C program: span_begin(name) / span_end() on several threads
(tests/targets/spanapi.c), traced with --span, names taken from the argument."""
import os

import pytest

from conftest import LEGACY, MULTI, Trace, assert_nothing_attached, run, target

NAMED_COUNTS = {"main": 1, "request": 6, "parse": 6, "db": 6, "query": 6}
NAMED_PARENTS = {(None, "main"): 1, (None, "request"): 6, ("request", "parse"): 6,
                 ("request", "db"): 6, ("db", "query"): 6}


def pid_of(stderr):
    line = next(l for l in stderr.splitlines() if " in process " in l)
    return int(line.split(" in process ")[1].split()[0])


@pytest.mark.parametrize("env", [MULTI, LEGACY], ids=["multi", "legacy"])
def test_c_span_pairs_named(out, env):
    r = run(["-o", out, "--span", "span_begin:name=arg0=span_end", "--", target("spanapi")],
            env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "spanapi done 25\n"  # the target's output, unchanged
    assert "25 spans (0 unfinished) on 4 threads; events lost: 0" in r.stderr
    pid = pid_of(r.stderr)
    t = Trace(out)
    assert dict(t.counts()) == NAMED_COUNTS
    assert dict(t.parents()) == NAMED_PARENTS
    assert t.unfinished() == []
    for e in t.spans:
        assert e["args"] == {"func": "span_begin", "object": target("spanapi")}
    # main's span on the main thread, each worker's 8 on its own thread
    names = t.thread_names()
    per_thread = {}
    for e in t.spans:
        per_thread.setdefault(names[e["tid"]], []).append(e["name"])
    assert sorted(per_thread) == ["spanapi", "spanapi-0", "spanapi-1", "spanapi-2"]
    assert per_thread["spanapi"] == ["main"]
    for k in range(3):
        assert sorted(per_thread[f"spanapi-{k}"]) == \
            sorted(["request", "parse", "db", "query"] * 2)
    assert {e["pid"] for e in t.spans} == {pid}
    assert_nothing_attached()


def test_c_span_pairs_unnamed(out):
    """Without a name argument every span is named after BEGIN; nesting is the same."""
    r = run(["-o", out, "--span", "span_b*=span_end", "--", target("spanapi")])
    assert r.returncode == 0, r.stderr
    t = Trace(out)
    assert dict(t.counts()) == {"span_begin": 25}
    assert dict(t.parents()) == {(None, "span_begin"): 7, ("span_begin", "span_begin"): 18}


@pytest.mark.parametrize("args,needle", [
    (["--span", "span_begin:name=arg6=span_end"],
     "span_begin: name=arg6 is out of range: C functions receive arg0 to arg5 in registers"),
    (["--span", "span_begin"], "bad --span 'span_begin' is not BEGIN=END"),
    (["--span", "span_begin=span_end:name=arg0"], "the name comes from BEGIN's arguments"),
    (["--span", "span_begin=no_such_end"], "'no_such_end' matches no function in"),
    (["-u", "span_end", "--span", "span_begin=span_end"],
     "span_end is matched by both 'span_end' and 'span_begin=span_end'"),
])
def test_c_span_pairs_bad_input(tmp_path, args, needle):
    r = run(["-o", str(tmp_path / "t.json"), *args, "--", target("spanapi")])
    assert r.returncode in (1, 2), r.stderr
    assert needle in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "spanapi done" not in r.stdout + r.stderr  # it never ran
    assert os.listdir(tmp_path) == []


def test_moved_probe_reads_the_same_arguments(tmp_path):
    """Built with CET and frame pointers, span_begin starts with endbr64, which the kernel
    single-steps: the entry probe moves to the push after it. The names read there (arg0)
    and the spans are exactly those read at the first byte (--probe-at=entry)."""
    traces = {}
    for where in ("auto", "entry"):
        out = str(tmp_path / f"{where}.json")
        r = run(["-v", "--probe-at", where, "-o", out, "--span",
                 "span_begin:name=arg0=span_end", "--", target("spanapi_cet")])
        assert r.returncode == 0, r.stderr
        assert r.stdout == "spanapi done 25\n"
        if where == "auto":
            assert "span_begin: entry probe at +4, push rbp: the kernel emulates it (one trap, " \
                "no single-step) (stepped over endbr64)" in r.stderr
        else:
            assert "span_begin: entry probe at +0, first byte (--probe-at=entry)" in r.stderr
        t = Trace(out)
        traces[where] = (dict(t.counts()), dict(t.parents()),
                         sorted((e["name"], e["args"]["func"]) for e in t.spans))
    assert traces["auto"] == traces["entry"]
    assert traces["auto"][0] == NAMED_COUNTS
    assert traces["auto"][1] == NAMED_PARENTS


def test_probe_at_bad_value(tmp_path):
    r = run(["--probe-at", "middle", "-o", str(tmp_path / "t.json"), "-u", "span_end", "--",
             target("spanapi")])
    assert r.returncode == 2
    assert r.stderr.strip() == ("spantrace: --probe-at takes 'auto' (the cheapest safe "
                                "instruction, the default) or 'entry' (the first byte), got "
                                "'middle'")
    assert os.listdir(tmp_path) == []
