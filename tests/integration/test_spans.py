# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Span functions of real processes, traced by the real tracer."""
import os
import signal
import subprocess

import pytest

from conftest import (LEGACY, MULTI, SPANTRACE, Trace, assert_nothing_attached, read_line, run,
                      target, wait_stderr_for)

NTHREADS, ITERS = 4, 10
EXPECTED = {"outer": NTHREADS * ITERS, "middle": NTHREADS * ITERS * 3,
            "leaf": NTHREADS * ITERS * 6}
EXPECTED_PARENTS = {(None, "outer"): NTHREADS * ITERS, ("outer", "middle"): NTHREADS * ITERS * 3,
                    ("middle", "leaf"): NTHREADS * ITERS * 6}
SPECS = ["-u", "outer", "-u", "middle", "-u", "leaf"]


def check_threads_trace(path, pid, comm="threads"):
    t = Trace(path)
    assert dict(t.counts()) == EXPECTED
    assert dict(t.parents()) == EXPECTED_PARENTS
    assert t.unfinished() == []
    # One track per worker thread, named by the thread itself; the main thread
    # has a track of its own for the threads it creates and its exit.
    names = t.thread_names()
    assert names.pop(pid) == comm
    assert sorted(names.values()) == [f"worker-{i}" for i in range(NTHREADS)]
    assert {e["tid"] for e in t.spans} == set(names)
    assert {e["pid"] for e in t.events} == {pid}
    assert list(t.process_names().values()) == [comm]
    # The kernel's side: each worker created by the main thread, and its exit.
    assert t.flows() == sorted((pid, pid, pid, tid, "thread") for tid in names)
    assert sorted(e["tid"] for e in t.instants("exit") if e["name"] == "thread exit") == \
        sorted(names)
    assert [(e["tid"], e["args"]) for e in t.instants("exit") if e["name"] == "exit"] == \
        [(pid, {"code": 0})]
    # Each worker calls outer ITERS times: spans split evenly over the tracks.
    per_tid = {tid: sum(1 for e in t.spans if e["tid"] == tid and e["name"] == "outer")
               for tid in names}
    assert set(per_tid.values()) == {ITERS}
    for e in t.spans:
        assert e["args"]["func"] == e["name"]
        assert e["cat"] == "span"
    return t


def attach_and_run(exe, out, specs=SPECS, extra=(), env=None):
    """Starts exe held at a prompt, attaches by PID, lets it work, returns (proc, tracer)."""
    prog = subprocess.Popen([exe, "--wait", str(NTHREADS), str(ITERS)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    pid = int(read_line(prog.stdout).split()[1])
    tracer = subprocess.Popen([SPANTRACE, "-p", str(pid), "-o", out, *specs, *extra],
                              stderr=subprocess.PIPE, text=True, env=env)
    wait_stderr_for(tracer, "tracing")
    prog.stdin.write("go\n")
    prog.stdin.flush()
    assert read_line(prog.stdout).strip() == f"done {NTHREADS} threads x {ITERS}"
    assert prog.wait(timeout=30) == 0
    err = tracer.stderr.read()
    assert tracer.wait(timeout=30) == 0, err
    return pid, err


@pytest.mark.parametrize("exe,env", [("threads", MULTI), ("threads", LEGACY),
                                     ("threads_nopie", None), ("threads_stripped", None)],
                         ids=["pie-multi", "pie-legacy", "nopie", "stripped"])
def test_attach_by_pid(exe, env, out):
    pid, err = attach_and_run(target(exe), out, env=env)
    check_threads_trace(out, pid, exe[:15])  # the kernel's comm is 15 characters
    assert "events lost: 0" in err
    assert "stopped: the process exited" in err
    assert_nothing_attached()


@pytest.mark.parametrize("env", [MULTI, LEGACY], ids=["multi", "legacy"])
def test_launch_command(out, env):
    r = run([*SPECS, "-o", out, "--", target("threads"), str(NTHREADS), str(ITERS)], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"done {NTHREADS} threads x {ITERS}\n"
    t = Trace(out)
    pid = t.spans[0]["pid"]
    check_threads_trace(out, pid)
    # The summary: one line per span name with its exact count.
    lines = {l.split()[0]: l.split() for l in r.stderr.splitlines() if l and l.split()[0] in EXPECTED}
    assert {k: int(v[1]) for k, v in lines.items()} == EXPECTED
    assert "events lost: 0" in r.stderr


def test_glob_matches_several(out):
    # 'outer' and 'middle' via one glob-free pattern each is covered above; here one glob.
    r = run(["-u", "[ol]e*", "-u", "outer", "-o", out, "--", target("threads"), "2", "3"])
    assert r.returncode == 0, r.stderr
    assert dict(Trace(out).counts()) == {"outer": 6, "leaf": 36}


def test_exclude(out):
    """-x leaves out of the globs' matches what it names: in every object without OBJECT."""
    r = run(["-u", "*", "-u", "libc:pthread_create", "-x", "main", "-x", "[_dfrw]*",
             "-x", "middle", "-o", out, "--", target("threads"), "2", "3"])
    assert r.returncode == 0, r.stderr
    assert dict(Trace(out).counts()) == {"outer": 6, "leaf": 36, "pthread_create": 2}
    r = run(["-u", "libc:pthread_create", "-x", "*", "-o", out, "--", target("threads"), "1", "1"])
    assert r.returncode == 1
    assert r.stderr == "spantrace: every function the SPECs match is left out by -x; narrow " \
        "the exclusions\n"


SQL = " ".join(f"select {i};" for i in range(1, 11))


def check_sqlite(out, pid=None):
    t = Trace(out)
    # Each of the 10 statements is prepared once and stepped twice (row, done).
    assert dict(t.counts()) == {"sqlite3_prepare_v2": 10, "sqlite3_step": 20}
    assert dict(t.parents()) == {(None, "sqlite3_prepare_v2"): 10, (None, "sqlite3_step"): 20}
    assert len(t.thread_names()) == 1
    assert t.unfinished() == []
    objs = {e["args"]["object"] for e in t.spans}
    assert len(objs) == 1 and os.path.basename(objs.pop()).startswith("libsqlite3.so")
    if pid:
        assert {e["pid"] for e in t.spans} == {pid}


def test_shared_library_launch(out):
    r = run(["-u", "libsqlite3:sqlite3_prepare_v2", "-u", "libsqlite3:sqlite3_step", "-o", out,
             "--", "sqlite3", ":memory:", SQL])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(i) for i in range(1, 11)]
    check_sqlite(out)


def test_shared_library_attach_by_pid(out):
    # The library is already loaded when spantrace attaches.
    prog = subprocess.Popen(["sqlite3", ":memory:"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    prog.stdin.write("select 0;\n")
    prog.stdin.flush()
    assert read_line(prog.stdout).strip() == "0"
    tracer = subprocess.Popen([SPANTRACE, "-p", str(prog.pid), "-o", out,
                               "-u", "libsqlite3:sqlite3_prepare_v2",
                               "-u", "libsqlite3:sqlite3_step"], stderr=subprocess.PIPE,
                              text=True)
    wait_stderr_for(tracer, "tracing")
    stdout, _ = prog.communicate(SQL.replace("; ", ";\n") + "\n", timeout=30)
    assert stdout.split() == [str(i) for i in range(1, 11)]
    assert tracer.wait(timeout=30) == 0
    check_sqlite(out, prog.pid)


def stop_early(out, how):
    """Tracing stops while wrapper() and hold() are open: after -d with a command (which runs on,
    waited for), or on SIGINT with -p. Returns the sleeper's pid, stderr up to the stop, and
    what to wait for: spantrace, and the sleeper if spantrace did not start it."""
    specs = ["-u", "wrapper", "-u", "hold", "-u", "done", "-o", out]
    if how == "duration":
        tracer = subprocess.Popen([SPANTRACE, *specs, "-d", "0.5", "--", target("sleeper"), "30"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        pid, procs = int(read_line(tracer.stdout).split()[1]), [tracer]
    else:
        prog = subprocess.Popen([target("sleeper"), "30", "wait"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        pid = int(read_line(prog.stdout).split()[1])
        tracer = subprocess.Popen([SPANTRACE, "-p", str(pid), *specs], stderr=subprocess.PIPE,
                                  text=True)
        wait_stderr_for(tracer, "tracing")
        prog.stdin.write("go\n")
        prog.stdin.flush()
        assert read_line(prog.stdout) == f"holding {pid}\n"
        os.kill(tracer.pid, signal.SIGINT)
        procs = [tracer, prog]
    # The sleeper keeps the inherited pipes open: read up to the stop line, not to EOF.
    err = "".join(wait_stderr_for(tracer, "stopped:"))
    assert ("interrupted" if how == "sigint" else "the duration elapsed") in err
    return pid, err, procs


@pytest.mark.parametrize("how", ["duration", "sigint"])
def test_unfinished_spans(out, how):
    pid, err, procs = stop_early(out, how)
    try:
        t = Trace(out)
        assert dict(t.counts()) == {"done": 1, "wrapper": 1, "hold": 1}
        assert dict(t.parents()) == {(None, "done"): 1, (None, "wrapper"): 1, ("wrapper", "hold"): 1}
        unf = sorted(e["name"] for e in t.unfinished())
        assert unf == ["hold", "wrapper"]
        # Both end at the stop time.
        ends = {e["_end"] for e in t.unfinished()}
        assert len(ends) == 1
        assert "3 spans (2 unfinished) on 1 threads; events lost: 0" in err
    finally:
        os.kill(pid, signal.SIGKILL)
    # -p: spantrace has stopped; with a command it waited for it, and exits with its status
    assert procs[0].wait(timeout=30) == (128 + signal.SIGKILL if how == "duration" else 0)
    for p in procs[1:]:
        p.wait(timeout=30)


@pytest.mark.parametrize("env", [MULTI, LEGACY], ids=["multi", "legacy"])
def test_glob_skips_unprobeable_function(out, env):
    # pthread_spin_lock starts with a lock-prefixed instruction, which the kernel will not
    # probe: a glob that matches it still traces the rest, and says what it skipped.
    r = run(["-v", "-u", "libc:pthread_spin_*", "-u", "outer", "-o", out, "--",
             target("threads"), "1", "2"], env=env)
    assert r.returncode == 0, r.stderr
    assert "skipped pthread_spin_lock in" in r.stderr
    assert "warning: skipped 1 function: 1 refused by the kernel (" in r.stderr
    assert dict(Trace(out).counts()) == {"outer": 2}
