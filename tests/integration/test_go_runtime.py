# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The Go runtime under probes: a traced Go program computes and ends exactly as untraced.
The target is tests/targets/go/gowork.go: the GC's write barriers (runtime.gcWriteBarrierR8
starts with `49 90`, xchg %rax,%r8, which the kernel's uprobe code emulates as a nop) and
crypto/sha256's assembly block function, which uses r14, where Go keeps the goroutine."""
import collections
import os
import re
import signal
import subprocess

from conftest import Trace, assert_nothing_attached, read_line, run, target

GOWORK = target("gowork")
BLOCK = "crypto/sha256.block.abi0"


def untraced(rounds):
    r = subprocess.run([GOWORK, str(rounds)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("done "), r
    return r.stdout


def symbol_range(name):
    """[start, end) of a function symbol of gowork, from nm."""
    out = subprocess.run(["nm", "-S", GOWORK], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        addr, size, _, sym = line.split(maxsplit=3)
        if sym == name:
            return int(addr, 16), int(addr, 16) + int(size, 16)
    raise AssertionError(f"no {name} in {GOWORK}")


class BpftraceCalls:
    """bpftrace counting the calls of gowork's sha256 block function on the same run, as
    entries of its first byte less the entries that were a call starting over: the stack
    check at its start sends a call to runtime.morestack_noctxt (returning into the
    function) whenever the scheduler asks the goroutine to yield, and the call then runs
    its first byte again."""

    def __init__(self):
        lo, hi = symbol_range(BLOCK)
        # BEGIN runs once every probe is attached
        prog = ('BEGIN { printf("ready\\n"); } '
                f'uprobe:{GOWORK}:"{BLOCK}" {{ @entry = count(); }} '
                f'uprobe:{GOWORK}:"runtime.morestack_noctxt.abi0" '
                f'/ *(uint64 *)reg("sp") >= {lo} && *(uint64 *)reg("sp") < {hi} / '
                f'{{ @restart = count(); }}')
        self.p = subprocess.Popen(["bpftrace", "-e", prog], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        lines = []
        while not lines or lines[-1] != "ready\n":
            line = read_line(self.p.stdout, timeout=60)
            assert line, f"bpftrace ended before attaching: {lines}"
            lines.append(line)

    def calls(self):
        self.p.send_signal(signal.SIGINT)
        out, _ = self.p.communicate(timeout=30)
        n = {k: int(v) for k, v in re.findall(r"@(\w+): (\d+)", out)}
        return n.get("entry", 0) - n.get("restart", 0)


def test_write_barriers_untouched(out):
    """Every write barrier traced while four goroutines churn through the GC: the one that
    starts with `49 90` is skipped, and the program computes what it does untraced (probed,
    it crashed with a nil pointer dereference)."""
    want = untraced(30000)
    r = run(["-u", "runtime.gcWriteBarrier*", "-o", out, "--", GOWORK, "30000"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == want
    assert "warning: skipped 1 function: 1 on an instruction the kernel emulates wrongly; " \
        "-v lists them" in r.stderr
    t = Trace(out)
    t.parents()
    assert not t.unfinished()
    assert "runtime.gcWriteBarrierR8" not in t.counts()
    assert sum(t.counts().values()) > 0


def test_write_barrier_r8_named_exactly(tmp_path):
    r = run(["-u", "runtime.gcWriteBarrierR8", "-o", str(tmp_path / "t.json"), "--", GOWORK])
    assert r.returncode == 1
    assert r.stderr.strip() == (
        f"spantrace: cannot trace runtime.gcWriteBarrierR8 in {GOWORK}: its instruction at +0, "
        "49 90 (xchg with r8) is an instruction the kernel's uprobe code emulates as a nop: "
        "a probe there would skip the exchange; trace its callers, or the functions it calls")
    assert r.stdout == ""
    assert os.listdir(tmp_path) == []
    assert_nothing_attached()


def test_runtime_and_assembly(out):
    """The whole runtime and sha256: the program's output is unchanged, spans nest exactly,
    and the assembly block function, whose RETs find r14 overwritten, has every call closed
    at its RET: as many spans as bpftrace counts calls on the same run."""
    want = untraced(2000)
    bt = BpftraceCalls()
    try:
        # a ring buffer big enough that nothing is lost even on a loaded machine: a loss
        # would leave spans open for another reason than the one tested here
        r = run(["-u", "runtime.*", "-u", "crypto/sha256.*", "--ringbuf-size", "64m", "-o", out,
                 "--", GOWORK, "2000"])
    finally:
        calls = bt.calls()
    assert r.returncode == 0, r.stderr
    assert r.stdout == want
    assert "events lost: 0\n" in r.stderr
    assert calls == 1000
    t = Trace(out)
    t.parents()
    counts = t.counts()
    assert counts[BLOCK] == 1000
    unfinished = collections.Counter(e["name"] for e in t.unfinished())
    assert not [n for n in unfinished if not n.startswith("runtime.")], unfinished
    # the scheduler's functions never return to their caller (schedule, mcall, morestack...):
    # they are marked, never closed as if they had
    assert unfinished["runtime.schedule"] == counts["runtime.schedule"]
