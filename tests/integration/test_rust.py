# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Rust programs (tests/targets/rust/wc.rs, built by Debian's rustc): functions found and named
by their Rust path under both manglings, and a panic caught by catch_unwind unwinding a traced
frame without harm."""
import collections

import pytest

from conftest import Trace, assert_nothing_attached, run, target

OUT = "words 40 checked 2 panics 1\n"


@pytest.mark.parametrize("exe,mangled", [("wc_v0", "_RNvNtCs"), ("wc_legacy", "_ZN2wc5count")])
def test_rust_paths_and_panics(out, exe, mangled):
    r = run(["-u", "wc::count::*", "-o", out, "--", target(exe)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == OUT
    t = Trace(out)
    kinds = collections.Counter((e["name"], bool(e["args"].get("unwound"))) for e in t.spans)
    assert kinds == {("wc::count::split_words", False): 10, ("wc::count::checked", False): 2,
                     ("wc::count::checked", True): 1}
    # the symbol itself, hash included for legacy names, stays in args.func
    funcs = {e["args"]["func"] for e in t.spans}
    assert len(funcs) == 2 and all(f.startswith(mangled) for f in funcs), funcs
    # the summary's table names them by path, the panicking call counted, not timed
    line = next(l for l in r.stderr.splitlines() if l.startswith("wc::count::checked "))
    assert line.split()[1:3] == ["3", "2"], line
    assert_nothing_attached()
