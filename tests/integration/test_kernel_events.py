# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Kernel events of real process trees: real pipe waits, a child stuck in D state with
SIGKILL pending, exits with spans open, fork/exec/exit of a tree built while traced."""
import os
import re
import signal
import subprocess
import time

from conftest import SPANTRACE, Trace, assert_nothing_attached, read_line, target, wait_stderr_for

PIPE_WRITE_FUNCS = ("anon_pipe_write", "pipe_write")


def frame_funcs(kstack):
    return [f.split("+")[0] for f in kstack]


def finish(tracer, timeout=30, rc=0):
    """spantrace's stderr once it has exited with rc (a command's own exit status)."""
    err = tracer.stderr.read()
    assert tracer.wait(timeout=timeout) == rc, err
    return err


def test_writer_blocked_on_full_pipe(out):
    """A writer blocked on a full pipe whose reader does not read: the wait, the write and
    the reader that holds it up, all created after attach (so nothing is estimated)."""
    tracer = subprocess.Popen([SPANTRACE, "-o", out, "--", target("pipestall"), "full"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    line = read_line(tracer.stdout).split()
    writer, reader, ino = int(line[1]), int(line[3]), int(line[5])
    time.sleep(0.3)  # blocked well beyond --min-wait
    tracer.stdin.write("go\n")
    tracer.stdin.flush()
    lines = [read_line(tracer.stdout) for _ in range(2)]
    assert [ln.strip() for ln in lines] == ["read 1048576", "writer exit 0"]
    err = finish(tracer)
    # stdout is a pipe too: each of its three lines is a write of its own
    nbytes = 1048576 + sum(len(ln) for ln in lines) + len(" ".join(line)) + 1
    assert f"pipe writes: 4 ({nbytes} bytes) on 2 pipes, 1 blocked" in err
    assert "exits: 2 processes (+0 threads); fatal signals: 0" in err
    assert "processes: 1 forks, 0 threads created, 1 execs" in err

    t = Trace(out)
    [pw] = t.pipe_writes()
    assert (pw["pid"], pw["tid"]) == (writer, writer)
    a = pw["args"]
    assert (a["pipe"], a["result"], a["requested"]) == (ino, 1048576, 1048576)
    assert a["blocked_by"] == reader
    assert "holds the read end and does not read" in a["blocked_reason"]
    assert a["blocked_ns"] >= 250_000_000
    # The wait inside it: interruptible, on the pipe, same blocker, inside the write.
    waits = [w for w in t.waits() if w["tid"] == writer]
    assert len(waits) >= 1
    long_wait = max(waits, key=lambda w: w["dur"])
    wa = long_wait["args"]
    assert (wa["state"], wa["killable"], wa["pipe"], wa["blocked_by"]) == ("S", True, ino, reader)
    assert "start_estimated" not in wa and "fatal_signal" not in wa
    assert frame_funcs(wa["kstack"])[0] == "__schedule"
    assert any(f in PIPE_WRITE_FUNCS for f in frame_funcs(wa["kstack"]))
    assert pw["_start"] <= long_wait["_start"] and long_wait["_end"] <= pw["_end"]
    # Process tree: the launched command forked the writer; both exited with 0.
    assert t.flows() == [(reader, reader, writer, writer, "fork")]
    exits = sorted((e["tid"], e["name"], e["args"]["code"]) for e in t.instants("exit"))
    assert exits == sorted([(writer, "exit", 0), (reader, "exit", 0)])
    assert t.process_names() == {reader: "pipestall", writer: "pwriter"}
    [ex] = t.instants("exec")
    assert ex["args"] == {"path": target("pipestall"), "comm": "pipestall"}
    assert_nothing_attached()


def stall_lines(lines, pid):
    return [ln for ln in lines if ln.startswith(f"spantrace: stall: pid {pid} ")]


def test_stuck_child_on_pipe_lock_ignores_sigkill(out):
    """The problem spantrace exists for: a child in D state in the pipe write path, waiting
    for the pipe lock held by a thread stalled elsewhere, with SIGKILL pending and not acted
    on. It was stuck before spantrace attached."""
    prog = subprocess.Popen([target("pipestall"), "lock"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    f = read_line(prog.stdout).split()
    holder, stuck, ino, parent = int(f[1]), int(f[3]), int(f[5]), int(f[7])
    tracer = subprocess.Popen([SPANTRACE, "-p", str(parent), "-o", out, "--stall", "0.2"],
                              stderr=subprocess.PIPE, text=True)
    try:
        lines = wait_stderr_for(tracer, f"stall: pid {stuck} ")
        first = stall_lines(lines, stuck)[-1]
        assert f"tid {stuck} (stuck) uninterruptible for about " in first
        assert f"blocked by tid {holder} (holder): holds the pipe lock; pipe {ino}" in first
        assert "pending" not in first
        assert re.search(r" in (anon_)?pipe_write \[(anon_)?pipe_write\+0x", first), first

        os.kill(stuck, signal.SIGKILL)
        time.sleep(0.1)
        with open(f"/proc/{stuck}/stat") as st:
            assert st.read().rsplit(")", 1)[1].split()[0] == "D"  # SIGKILL did not end it
        # Reported again once the wait has grown tenfold, now with the signal.
        lines = wait_stderr_for(tracer, f"stall: pid {stuck} ", timeout=30)
        second = stall_lines(lines, stuck)[-1]
        assert re.search(r"; SIGKILL pending \d+\.\d s: not killable; blocked by tid "
                         rf"{holder} \(holder\)", second), second
    finally:
        prog.stdin.write("release\n")
        prog.stdin.flush()
    assert read_line(prog.stdout).strip() == "stuck signal 9"
    assert read_line(prog.stdout).strip() == "holder wrote 4096"
    assert prog.wait(timeout=30) == 0
    err = finish(tracer)
    assert f"stall over: pid {stuck} tid {stuck} (stuck)" in err
    assert "fatal signals: 1" in err

    t = Trace(out)
    [dw] = [w for w in t.waits() if w["tid"] == stuck]
    a = dw["args"]
    assert (a["state"], a["killable"], a["fatal_signal"]) == ("D", False, "SIGKILL")
    assert (a["blocked_by"], a["blocked_reason"], a["pipe"]) == (holder, "holds the pipe lock", ino)
    assert a["start_estimated"] is True  # it began before attach
    assert frame_funcs(a["kstack"])[0] in PIPE_WRITE_FUNCS
    assert "unfinished" not in a
    # The holder: asleep in the userfault, holding the lock itself.
    [hw] = [w for w in t.waits() if w["tid"] == holder]
    assert hw["name"] == "sleep: handle_userfault"
    assert hw["args"]["blocked_reason"] == "holds the pipe lock itself while it sleeps here"
    # The signal, from this test, and the death it caused once the lock came free.
    [sig] = t.instants("signal")
    assert sig["tid"] == stuck
    assert sig["args"]["signal"] == "SIGKILL" and sig["args"]["sender_pid"] == os.getpid()
    assert dw["_start"] < round(sig["ts"] * 1000) < dw["_end"]
    [ex] = [e for e in t.instants("exit") if e["tid"] == stuck]
    assert ex["args"] == {"signal": "SIGKILL"}
    assert round(ex["ts"] * 1000) >= dw["_end"]
    # Both of the stuck child's pipe writes... one: it finished its 16 bytes, then died.
    [spw] = [p for p in t.pipe_writes() if p["tid"] == stuck]
    assert (spw["args"]["result"], spw["args"]["blocked_by"]) == (16, holder)
    assert t.thread_names()[holder] == "holder"
    assert_nothing_attached()


def test_exit_with_spans_open(out):
    """A process that calls exit() inside traced functions: the spans end at its exit,
    unfinished, and the exit carries the code."""
    tracer = subprocess.Popen([SPANTRACE, "-o", out, "-u", "outer_exit", "-u", "inner_exit",
                               "--", target("pipestall"), "exitspans"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    wait_stderr_for(tracer, "tracing")
    tracer.stdin.write("go\n")
    tracer.stdin.flush()
    assert read_line(tracer.stdout).strip() == "exiting"
    err = finish(tracer, rc=7)  # exitspans exits 7
    assert "2 spans (2 unfinished) on 1 threads" in err
    t = Trace(out)
    assert dict(t.parents()) == {(None, "outer_exit"): 1, ("outer_exit", "inner_exit"): 1}
    [ex] = t.instants("exit")
    assert ex["args"] == {"code": 7}
    exit_ns = round(ex["ts"] * 1000)
    for s in t.spans:
        assert s["args"]["unfinished"] is True
        assert s["_end"] == exit_ns  # ended by the exit, not by the stop


def test_family_tree(out):
    """Processes, a thread, an exec, exit codes and a signal death, all created while
    traced; the span function is traced in every process of the tree."""
    tracer = subprocess.Popen([SPANTRACE, "-o", out, "-u", "family_work", "--",
                               target("family")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    root = int(read_line(tracer.stdout).split()[1])
    tracer.stdin.write("go\n")
    tracer.stdin.flush()
    outl = [read_line(tracer.stdout).strip() for _ in range(5)]
    assert outl == ["A exit 3", "B exit 4", "D exit 5", "E signal 15", "done"]
    err = finish(tracer)
    assert "processes: 5 forks, 1 threads created, 2 execs" in err

    t = Trace(out)
    assert dict(t.counts()) == {"family_work": 7}
    flows = t.flows()
    forks = [f for f in flows if f[4] == "fork"]
    [thr] = [f for f in flows if f[4] == "thread"]
    assert len(forks) == 5 and thr[:3] == (root, root, root)
    kids = {f[2] for f in forks}
    # B forked C: the only fork not from the root
    [bc] = [f for f in forks if f[0] != root]
    b, c = bc[0], bc[2]
    assert {f[2] for f in forks if f[0] == root} == kids - {c}
    # Every process of the tree and the thread called family_work once.
    assert sorted((s["pid"], s["tid"]) for s in t.spans) == \
        sorted([(p, p) for p in kids | {root}] + [(root, thr[3])])
    exits = {e["pid"]: e["args"] for e in t.instants("exit") if e["name"] == "exit"}
    names = t.process_names()
    by_name = {names[p]: exits[p] for p in exits}
    assert by_name == {"fam-a": {"code": 3}, "fam-b": {"code": 4}, "fam-c": {"code": 0},
                       "sh": {"code": 5}, "fam-e": {"signal": "SIGTERM"},
                       "family": {"code": 0}}
    [sig] = t.instants("signal")
    assert names[sig["pid"]] == "fam-e"
    assert (sig["args"]["signal"], sig["args"]["sender_pid"]) == ("SIGTERM", root)
    execs = [e for e in t.instants("exec") if e["pid"] != root]
    assert [(names[e["pid"]], e["args"]["comm"]) for e in execs] == [("sh", "sh")]
    assert execs[0]["args"]["path"] == "/bin/sh"
    assert names[b] == "fam-b" and names[c] == "fam-c"


def test_traced_process_killed(out):
    """SIGKILL to the traced process itself: the trace ends with the kill and the death."""
    prog = subprocess.Popen([target("sleeper"), "600"], stdout=subprocess.PIPE, text=True)
    read_line(prog.stdout)
    tracer = subprocess.Popen([SPANTRACE, "-p", str(prog.pid), "-o", out, "-u", "hold"],
                              stderr=subprocess.PIPE, text=True)
    wait_stderr_for(tracer, "tracing")
    prog.kill()
    prog.wait(timeout=10)
    err = finish(tracer)
    assert "stopped: the process exited" in err
    t = Trace(out)
    [sig] = t.instants("signal")
    assert (sig["pid"], sig["args"]["signal"], sig["args"]["sender_pid"]) == \
        (prog.pid, "SIGKILL", os.getpid())
    [ex] = [e for e in t.instants("exit") if e["name"] == "exit"]
    assert (ex["pid"], ex["args"]) == (prog.pid, {"signal": "SIGKILL"})
    assert round(sig["ts"] * 1000) <= round(ex["ts"] * 1000)
    # hold() was entered before attach: no span, and its return never came
    assert t.spans == []


def test_killed_by_realtime_signal(out):
    """Real-time signals end a process by default: one that dies of SIGRTMIN+1 is a fatal
    signal like any other, while one it catches is not."""
    py = "/usr/bin/python3"
    die = "import os, signal; os.kill(os.getpid(), signal.SIGRTMIN + 1)"
    r = subprocess.run([SPANTRACE, "-o", out, "--", py, "-c", die],
                       capture_output=True, text=True, timeout=60)
    rtmin1 = signal.SIGRTMIN + 1
    assert r.returncode == 128 + rtmin1, r.stderr
    assert "fatal signals: 1" in r.stderr
    assert r.stderr.splitlines()[-1] == f"spantrace: {py} was killed by SIGRTMIN+1"
    sig = [e for e in Trace(out).instants("signal") if e["name"] == "fatal signal"]
    assert [e["args"]["signal"] for e in sig] == ["SIGRTMIN+1"]

    caught = ("import os, signal; signal.signal(signal.SIGRTMIN + 1, lambda *a: None); "
              "os.kill(os.getpid(), signal.SIGRTMIN + 1)")
    r = subprocess.run([SPANTRACE, "-o", out, "--", py, "-c", caught],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "fatal signals: 0" in r.stderr
    assert not [e for e in Trace(out).instants("signal") if e["name"] == "fatal signal"]
    assert_nothing_attached()
