# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Go programs: goroutines as tasks, RET probes instead of uretprobes, span pairs named from
Go string arguments, stripped binaries, panics. The target is tests/targets/go/gotasks.go."""
import collections
import os
import subprocess

import pytest

from conftest import (LEGACY, MULTI, SPANTRACE, Trace, assert_nothing_attached, read_line, run,
                      target, wait_stderr_for)

NWORKERS = 4
# WithTask(ctx context.Context, name string): ctx is two words (arg0, arg1), name is arg2/arg3.
GO_SPECS = ["--span", "main.WithTask:name=arg2=main.WithTask.func1",
            "--span", "main.WithSpan:name=arg2=main.WithSpan.func1",
            "-u", "main.grow", "-u", "main.explode", "-u", "main.guarded", "-u", "main.worker",
            "-u", "main.leave"]
TARGET_OUT = f"gotasks done ends=14 grow={[12] * NWORKERS} recovered=true\n".replace(",", "")

# Nesting on each worker's goroutine track: grow(3) recurses to grow(0) under send and recv.
WORKER_PARENTS = {(None, "main.worker"): 1, ("main.worker", "worker-K"): 1,
                  ("worker-K", "send"): 1, ("worker-K", "recv"): 1,
                  ("send", "main.grow"): 1, ("recv", "main.grow"): 1, ("main.grow", "main.grow"): 6}


def untraced(exe):
    r = subprocess.run([exe], capture_output=True, text=True, timeout=60)
    assert r.returncode == 3 and r.stdout == TARGET_OUT, (r.returncode, r.stdout, r.stderr)
    return r


def check_go_trace(path, pid, exe):
    t = Trace(path)
    names = t.thread_names()
    tracks = collections.defaultdict(list)
    for e in t.spans:
        assert e["pid"] == pid
        tracks[e["tid"]].append(e)
    # every span is on a goroutine track
    assert all(names[tid].startswith("goroutine ") for tid in tracks), names
    assert len(tracks) == 1 + NWORKERS + 1
    by_first = {min(l, key=lambda e: e["_start"])["name"]: tid for tid, l in tracks.items()}
    main_tid = by_first["replicate"]
    assert names[main_tid] == "goroutine 1"

    # the goroutine that ends itself with runtime.Goexit inside leave(): leave never returns,
    # and is cut where Goexit's deferred end() closes "quit" around it
    quit_tid = by_first["quit"]
    quit, leave = sorted(tracks.pop(quit_tid), key=lambda e: e["_start"])
    assert (quit["name"], leave["name"]) == ("quit", "main.leave")
    assert "unfinished" not in quit["args"]
    assert leave["args"]["unfinished"] is True and "panicked" not in leave["args"]
    assert quit["_start"] < leave["_start"] <= leave["_end"] == quit["_end"]

    # goroutine 1: the task around everything, and the panic recovered in guarded
    main_spans = sorted(tracks[main_tid], key=lambda e: e["_start"])
    assert [e["name"] for e in main_spans] == ["replicate", "main.guarded", "main.explode"]
    replicate, guarded, explode = main_spans
    assert replicate["args"] == {"func": "main.WithTask", "object": exe}
    assert guarded["args"] == {"func": "main.guarded", "object": exe}
    assert explode["args"]["unfinished"] is True and explode["args"]["panicked"] is True
    assert guarded["_start"] < explode["_start"] <= explode["_end"] <= guarded["_end"]
    assert replicate["_start"] < guarded["_start"] and guarded["_end"] <= replicate["_end"]

    # each worker: its own goroutine track, its task named from the argument
    workers = sorted(tid for tid in tracks if tid != main_tid)
    task_names = []
    for tid in workers:
        spans = tracks[tid]
        task = [e["name"] for e in spans if e["args"]["func"] == "main.WithTask"]
        assert len(task) == 1 and task[0].startswith("worker-")
        task_names.append(task[0])
        relabeled = [dict(e, name="worker-K" if e["name"] == task[0] else e["name"])
                     for e in spans]
        assert dict(t.parents(relabeled)) == WORKER_PARENTS
        assert not any(e["args"].get("unfinished") for e in spans)
        assert collections.Counter(e["args"]["func"] for e in spans) == {
            "main.worker": 1, "main.WithTask": 1, "main.WithSpan": 2, "main.grow": 8}
    assert sorted(task_names) == [f"worker-{i}" for i in range(NWORKERS)]
    assert len(t.spans) == 3 + NWORKERS * 12 + 2
    assert sorted(e["name"] for e in t.unfinished()) == ["main.explode", "main.leave"]

    # goroutine 1 created each worker and the quitter: one arrow each, from its track
    go_flows = [f for f in t.flows() if f[4] == "go"]
    assert go_flows == sorted((pid, main_tid, pid, tid, "go") for tid in workers + [quit_tid])
    return t


@pytest.mark.parametrize("env", [MULTI, LEGACY], ids=["multi", "legacy"])
@pytest.mark.parametrize("exe", ["gotasks", "gotasks_stripped", "gotasks_fewsyms",
                                 "gotasks_abssym", "gotasks_mainsyms"])
def test_go_tasks_and_spans(out, exe, env):
    """Named tasks and spans from Go string arguments, one track per goroutine, exact nesting
    through sleeps (the goroutines resume on other threads: GOMAXPROCS=2), stack growth and a
    recovered panic; the target's output and exit status are those of an untraced run. The
    stripped binary has no .symtab: its functions come from .gopclntab. The others have a
    partial .symtab (one symbol objcopy added, in .text or at an absolute address that aliases
    main.worker; or main.* only): .gopclntab names what it lacks, and the trace is the same."""
    untraced(target(exe))
    r = run(["-v", "-o", out, *GO_SPECS, "--", target(exe)], env=env)
    assert r.returncode == 3, r.stderr  # the command's own exit status
    assert r.stdout == TARGET_OUT
    # the entry probe sits on the stack check's jump, which the kernel emulates; a call whose
    # stack must grow passes it twice (morestack starts it over) and is still one span
    assert "main.grow: entry probe at +10, jb 0xa6: the kernel emulates it (one trap, no " \
        "single-step) (stepped over mov, sub); returns: 2 ways out (RETs, tail jumps)" in r.stderr
    assert "main.explode: entry probe at +4, jbe 0x75: the kernel emulates it" in r.stderr
    # a begin/end function right after the check: a pair's span has no depth to tell a
    # restart from a second call
    assert "main.WithSpan: entry probe at +6, after the stack check" in r.stderr
    if exe == "gotasks":
        assert "goroutine id at runtime.g+152, stack top at +8 (DWARF)" in r.stderr
    else:
        assert "goroutine id at runtime.g+152, stack top at +8 (version table)" in r.stderr
    assert "53 spans (2 unfinished) on 6 tasks (threads and goroutines); events lost: 0" \
        in r.stderr
    assert "goroutines: 9 created, 1 panics\n" in r.stderr
    assert "1 spans ended without their return (a panic or an exception unwound them" \
        in r.stderr
    t = check_go_trace(out, pid_of(r.stderr), target(exe))
    # the process's own exit status, as the kernel saw it
    assert [e["args"] for e in t.instants("exit") if e["name"] == "exit"] == [{"code": 3}]
    assert_nothing_attached()


def test_go_partial_symtab_no_match(tmp_path):
    """A pattern that matches nothing says which tables were searched: both."""
    exe = target("gotasks_fewsyms")
    r = run(["-o", str(tmp_path / "t.json"), "-u", "main.nosuch", "--", exe])
    assert r.returncode == 1
    line = r.stderr.strip()
    assert line.startswith(f"spantrace: 'main.nosuch' matches no function in {exe} "
                           "(searched .symtab and .gopclntab: "), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stdout == ""
    assert os.listdir(tmp_path) == []


def pid_of(stderr):
    line = next(l for l in stderr.splitlines() if "tracing " in l and " in process " in l)
    return int(line.split(" in process ")[1].split()[0])


def test_go_probe_at_entry(out):
    """With every entry probe at the first byte, a call whose stack grows passes the probe
    twice; the span tree still makes one span of it, and the names read there are the same."""
    r = run(["-v", "--probe-at=entry", "-o", out, *GO_SPECS, "--", target("gotasks")])
    assert r.returncode == 3, r.stderr
    assert r.stdout == TARGET_OUT
    assert "main.grow: entry probe at +0, first byte (--probe-at=entry)" in r.stderr
    check_go_trace(out, pid_of(r.stderr), target("gotasks"))


def test_go_attach_by_pid(out):
    """Attached to a running Go program: goroutines created after attach are followed."""
    prog = subprocess.Popen([target("gotasks"), "wait"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    pid = int(read_line(prog.stdout).split()[1])
    tracer = subprocess.Popen([SPANTRACE, "-p", str(pid), "-o", out, *GO_SPECS],
                              stderr=subprocess.PIPE, text=True)
    wait_stderr_for(tracer, "tracing")
    prog.stdin.write("go\n")
    prog.stdin.flush()
    assert prog.stdout.read() == TARGET_OUT
    assert prog.wait(timeout=30) == 3
    _, err = tracer.communicate(timeout=30)
    assert tracer.returncode == 0, err
    check_go_trace(out, pid, target("gotasks"))


@pytest.mark.parametrize("exe,needle", [
    ("gotasks_old", "was built with go1.16."),
    ("gotasks_unknown", "was built with go1.99."),
])
def test_go_version_refused(tmp_path, exe, needle):
    """A Go binary from before the register ABI, or of a version spantrace has no runtime.g
    layout for (and no DWARF to read it from): one line, non-zero, nothing attached, no file."""
    out = tmp_path / "t.json"
    r = run(["-o", str(out), "-u", "main.grow", "--", target(exe)])
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spantrace: ") and needle in lines[0], \
        r.stderr
    assert "rebuild it" in lines[0]
    assert r.stdout == ""  # the target never ran
    assert os.listdir(tmp_path) == []
    assert_nothing_attached()


def test_go_unknown_version_with_dwarf(out):
    """An unknown Go version still works when DWARF says where runtime.g keeps the id."""
    r = run(["-v", "-o", out, *GO_SPECS, "--", target("gotasks_unknown_dwarf")])
    assert r.returncode == 3, r.stderr
    assert "Go go1.99." in r.stderr and "(DWARF)" in r.stderr
    check_go_trace(out, pid_of(r.stderr), target("gotasks_unknown_dwarf"))


def test_go_function_without_ret(tmp_path, out):
    """main.fail never returns (its code has no RET): named exactly it is an error before
    anything is attached; matched by a glob it is skipped with a warning, the rest traced."""
    r = run(["-o", str(tmp_path / "t.json"), "-u", "main.fail", "--", target("gotasks")])
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "spantrace: cannot trace main.fail in " + target("gotasks") + ": it has no RET "
        "instruction nor tail jump (it never returns, or only through jumps no probe can "
        "tell), so its return cannot be probed on its instructions; trace its callers, or the "
        "functions it calls")
    assert r.stdout == ""
    assert not (tmp_path / "t.json").exists()

    r = run(["-o", out, "-u", "main.fai*", "-u", "main.explode", "--", target("gotasks")])
    # (main.fail is the only match of the glob)
    assert r.returncode == 3, r.stderr
    assert "warning: skipped 1 function: 1 with no RET or tail jump to probe; -v lists them" \
        in r.stderr
    assert r.stdout == TARGET_OUT
    t = Trace(out)
    # nothing traced returns after the panic, so nothing shows explode's frame gone: it is
    # open when the program exits
    assert [(e["name"], e["args"].get("unfinished")) for e in t.spans] == \
        [("main.explode", True)]
    assert_nothing_attached()


@pytest.mark.parametrize("spec,needle", [
    (["--span", "main.WithTask:name=arg8=main.WithTask.func1"],
     "main.WithTask: name=arg8 is out of range: a Go string is two words (pointer, length) "
     "and Go passes arg0 to arg8 in registers, so a name starts at arg7 at most"),
    (["-u", "main.grow:name=arg9"], "name=arg9 in 'main.grow:name=arg9' is out of range"),
    (["-u", "main.WithTask", "--span", "main.WithTask=main.WithTask.func1"],
     "main.WithTask is matched by both 'main.WithTask' and "
     "'main.WithTask=main.WithTask.func1', which trace it differently"),
])
def test_go_bad_arguments(tmp_path, spec, needle):
    r = run(["-o", str(tmp_path / "t.json"), *spec, "--", target("gotasks")])
    assert r.returncode in (1, 2)
    assert needle in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stdout == ""
    assert os.listdir(tmp_path) == []
