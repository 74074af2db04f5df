# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Pipe writes where the kernel has no kprobes (this machine): write's and writev's own
syscall tracepoints, which other processes' syscalls do not run, and where those are missing
the raw sys_enter/sys_exit that every syscall runs. Both see the same writes; -v says which;
the syscall tracepoints' ids come from tracefs without touching the host's mounts."""
import os
import subprocess
import time

import pytest

from conftest import SPANTRACE, Trace, assert_nothing_attached, read_line, target, wait_stderr_for

SYSCALL_TPS = dict(os.environ)
SYSCALL_TPS.pop("SPANTRACE_NO_SYSCALL_TPS", None)
RAW_TPS = dict(os.environ, SPANTRACE_NO_SYSCALL_TPS="1")

SAYS = {
    "syscall": "spantrace: pipe writes: no kprobes in this kernel → syscall tracepoints "
               "(write, writev on pipe fds) + stack attribution",
    "raw": "spantrace: pipe writes: no kprobes in this kernel → raw tracepoints "
           "sys_enter/sys_exit, which every syscall on the host pays for (write, writev on "
           "pipe fds; no syscall tracepoints: SPANTRACE_NO_SYSCALL_TPS is set) + stack "
           "attribution",
}


def without_kprobes():
    if os.access("/sys/bus/event_source/devices/kprobe/type", os.R_OK):
        pytest.skip("this kernel has kprobes: pipe writes are observed by a kprobe, not by "
                    "tracepoints (test_kprobes_qemu.py runs the tracepoints on such a kernel)")


@pytest.mark.parametrize("kind", ["syscall", "raw"])
def test_blocked_writer_either_way(kind, out, tmp_path):
    """The writer blocked on a full pipe (as in test_kernel_events.py), seen the same way
    through either set of tracepoints."""
    without_kprobes()
    # -v says much (libbpf's log): into a file, where it cannot fill a pipe and block
    errf = open(tmp_path / "stderr", "w+")
    tracer = subprocess.Popen([SPANTRACE, "-v", "-o", out, "--", target("pipestall"), "full"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf,
                              text=True, env=SYSCALL_TPS if kind == "syscall" else RAW_TPS)
    line = read_line(tracer.stdout).split()
    writer, reader, ino = int(line[1]), int(line[3]), int(line[5])
    time.sleep(0.3)  # blocked well beyond --min-wait: the write is in the trace
    tracer.stdin.write("go\n")
    tracer.stdin.flush()
    lines = [read_line(tracer.stdout) for _ in range(2)]
    assert [ln.strip() for ln in lines] == ["read 1048576", "writer exit 0"]
    rc = tracer.wait(timeout=30)
    errf.seek(0)
    err = errf.read()
    assert rc == 0, err
    assert SAYS[kind] in err.splitlines(), err
    nbytes = 1048576 + sum(len(ln) for ln in lines) + len(" ".join(line)) + 1
    assert f"pipe writes: 4 ({nbytes} bytes) on 2 pipes, 1 blocked" in err
    [pw] = Trace(out).pipe_writes()
    assert (pw["pid"], pw["tid"]) == (writer, writer)
    a = pw["args"]
    assert (a["pipe"], a["result"], a["requested"], a["blocked_by"]) == \
        (ino, 1048576, 1048576, reader)
    assert_nothing_attached()


def mounts():
    with open("/proc/1/mountinfo") as f:
        return f.read()


def test_host_mounts_untouched(out):
    """Where tracefs is not mounted, its event ids are read from a mount attached nowhere:
    the host's mount table is the same before, during and after."""
    without_kprobes()
    before = mounts()
    prog = subprocess.Popen(["sleep", "30"])
    tracer = subprocess.Popen([SPANTRACE, "-p", str(prog.pid), "-o", out],
                              stderr=subprocess.PIPE, text=True, env=SYSCALL_TPS)
    try:
        wait_stderr_for(tracer, "Ctrl-C to stop")
        during = mounts()
    finally:
        prog.kill()
        prog.wait()
    err = tracer.stderr.read()
    assert tracer.wait(timeout=30) == 0, err
    assert (during, mounts()) == (before, before)
