# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The files spantrace reads and probes are the very files the traced process maps, whatever
its root or mount namespace, deleted or not; nothing the target controls can make root's
spantrace open something else (a FIFO that blocks it, another ELF) or probe another inode."""
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile

import pytest

from conftest import SPANTRACE, Trace, assert_nothing_attached, read_line, target, wait_stderr_for
from test_spans import (EXPECTED, EXPECTED_PARENTS, ITERS, NTHREADS, SPECS,
                        check_threads_trace)

# Attaching takes well under this; an open() blocked on a FIFO never ends.
ATTACH_TIMEOUT = 20


@pytest.fixture
def jail():
    """A scratch directory under /tmp (not pytest's kept tmp dirs: FIFOs, mount points and
    copies of programs must not outlive the test)."""
    d = tempfile.mkdtemp(prefix="st-objects-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)


class Held:
    """A threads target started with --wait: it says "ready PID", then works on a line."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.pid = int(read_line(self.proc.stdout).split()[1])

    def finish(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        assert read_line(self.proc.stdout).strip() == f"done {NTHREADS} threads x {ITERS}"
        assert self.proc.wait(timeout=30) == 0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        for f in (self.proc.stdin, self.proc.stdout):
            f.close()


def trace_held(prog, out, args, during=None, wrap=()):
    """spantrace -p (run under the wrap command) on a held target while it works; during()
    runs once probes are in place. Returns spantrace's stderr; fails (instead of hanging) if
    attaching never ends."""
    tracer = subprocess.Popen([*wrap, SPANTRACE, "-p", str(prog.pid), "-o", out, *args],
                              stderr=subprocess.PIPE, text=True)
    try:
        lines = wait_stderr_for(tracer, "tracing", timeout=ATTACH_TIMEOUT)
        if during:
            during()
        prog.finish()
        err = "".join(lines) + tracer.stderr.read()
        assert tracer.wait(timeout=30) == 0, err
        return err
    finally:
        if tracer.poll() is None:
            tracer.kill()
            tracer.wait(timeout=30)
        tracer.stderr.close()
        prog.kill()


def held_args():
    return ["--wait", str(NTHREADS), str(ITERS)]


# --- chroot ------------------------------------------------------------------------------

def doubled_path(jail, name):
    """Where spantrace used to look for the jail's /NAME: /proc/PID/root + the host's path,
    i.e. JAIL/JAIL/NAME seen from outside."""
    return os.path.join(jail, jail.lstrip("/"), name)


@pytest.mark.parametrize("plant", [None, "fifo", "elf"])
def test_chrooted_target(jail, plant):
    """A chrooted target is traced through the process itself: exact spans. A FIFO its
    jail plants where spantrace used to look cannot block it; an ELF planted there is never
    read or probed."""
    prog_path = os.path.join(jail, "prog")
    shutil.copy(target("threads_static"), prog_path)
    if plant:
        trap = doubled_path(jail, "prog")
        os.makedirs(os.path.dirname(trap))
        if plant == "fifo":
            os.mkfifo(trap)
        else:
            shutil.copy(target("threads_static"), trap)
    out = os.path.join(jail, "trace.json")
    prog = Held(["chroot", jail, "/prog", *held_args()])
    trace_held(prog, out, SPECS)
    check_threads_trace(out, prog.pid, "prog")
    if plant == "fifo":
        assert stat.S_ISFIFO(os.stat(doubled_path(jail, "prog")).st_mode)
    assert_nothing_attached()


# --- private mount namespace --------------------------------------------------------------

def test_private_mount_namespace(jail):
    """A process in its own mount namespace runs another file at the same path (another build
    of the program, bind-mounted there): its spans are recorded exactly, and the host's file at
    that path, run meanwhile, is neither disturbed nor traced."""
    path = os.path.join(jail, "prog")
    inner = os.path.join(jail, "inner-build")
    shutil.copy(target("threads"), path)          # the host's file (PIE)
    shutil.copy(target("threads_nopie"), inner)   # what the namespace runs there
    prog = Held(["unshare", "-m", "--propagation", "private", "sh", "-c",
                 'mount --bind "$0" "$1" && exec "$@"', inner, path, *held_args()])
    host_runs = []

    def run_host_copy():
        r = subprocess.run([path, "2", "3"], capture_output=True, text=True, timeout=30)
        host_runs.append(r)

    out = os.path.join(jail, "trace.json")
    trace_held(prog, out, SPECS, during=run_host_copy)
    check_threads_trace(out, prog.pid, "prog")  # only the inner process's pid in the trace
    (r,) = host_runs
    assert (r.returncode, r.stdout) == (0, "done 2 threads x 3\n"), r.stderr
    assert_nothing_attached()


def test_overlayfs_target(jail):
    """A program on overlayfs, as in a container: stat() there reports another device than
    /proc/PID/maps does, and the file is still recognised as the one mapped."""
    for d in ("lower", "upper", "work", "merged"):
        os.mkdir(os.path.join(jail, d))
    shutil.copy(target("threads"), os.path.join(jail, "lower", "prog"))
    # Mounted in the target's own mount namespace: it goes away with the process.
    prog = Held(["unshare", "-m", "--propagation", "private", "sh", "-c",
                 'mount -t overlay overlay -o "lowerdir=$0/lower,upperdir=$0/upper,'
                 'workdir=$0/work" "$0/merged" && exec "$0/merged/prog" "$@"',
                 jail, *held_args()])
    out = os.path.join(jail, "trace.json")
    trace_held(prog, out, SPECS)
    check_threads_trace(out, prog.pid, "prog")
    assert_nothing_attached()


# --- deleted executable -------------------------------------------------------------------

def start_deleted(jail):
    path = os.path.join(jail, "prog")
    shutil.copy(target("threads"), path)
    prog = Held([path, *held_args()])
    os.unlink(path)  # as a package upgrade replaces a running daemon's executable
    return prog, path


def test_deleted_executable_kernel_events(jail):
    """Without -u nothing of the executable is needed: a deleted one is no reason to refuse."""
    prog, _ = start_deleted(jail)
    out = os.path.join(jail, "trace.json")
    trace_held(prog, out, [])
    t = Trace(out)
    assert t.spans == []
    assert [(e["tid"], e["args"]) for e in t.instants("exit") if e["name"] == "exit"] == \
        [(prog.pid, {"code": 0})]
    assert_nothing_attached()


def test_deleted_executable_spans(jail):
    """Its functions are read and probed through the process: exact spans, and the trace and
    -v say the file was deleted."""
    prog, path = start_deleted(jail)
    out = os.path.join(jail, "trace.json")
    err = trace_held(prog, out, [*SPECS, "-v"])
    t = check_threads_trace(out, prog.pid, "prog")
    assert {e["args"]["object"] for e in t.spans} == {path + " (deleted)"}
    assert f"{path}: deleted since the process mapped it" in err, err
    assert_nothing_attached()


# --- -- COMMAND ------------------------------------------------------------------------------

def test_command_not_a_regular_file(jail):
    """-- COMMAND opens its objects once, with O_PATH: a FIFO there (executable bits set) is
    refused in one line instead of blocking spantrace in open()."""
    fifo = os.path.join(jail, "cmd")
    os.mkfifo(fifo)
    os.chmod(fifo, 0o755)
    r = subprocess.run([SPANTRACE, "-u", "main", "-o", os.path.join(jail, "trace.json"), "--",
                        fifo], capture_output=True, text=True, timeout=ATTACH_TIMEOUT)
    assert (r.returncode, r.stderr) == \
        (1, f"spantrace: cannot read {fifo}: it is a FIFO, not a regular file\n")
    assert os.listdir(jail) == ["cmd"]
    assert_nothing_attached()


# --- without CAP_SYS_ADMIN ---------------------------------------------------------------

NO_SYS_ADMIN = ["setpriv", "--bounding-set=-sys_admin,-checkpoint_restore",
                "--inh-caps=-sys_admin,-checkpoint_restore"]


def test_without_cap_sys_admin(jail):
    """With CAP_BPF and CAP_PERFMON but not CAP_SYS_ADMIN, /proc/PID/map_files cannot be
    followed: the main executable is read through /proc/PID/exe, and a library through the
    path its maps line shows, once checked to be the very file mapped. Exact spans."""
    out = os.path.join(jail, "trace.json")
    prog = Held([target("threads"), *held_args()])
    trace_held(prog, out, [*SPECS, "-u", "libc:pthread_create"], wrap=NO_SYS_ADMIN)
    t = Trace(out)
    assert dict(t.counts()) == {**EXPECTED, "pthread_create": NTHREADS}
    assert dict(t.parents()) == {**EXPECTED_PARENTS, (None, "pthread_create"): NTHREADS}
    assert {e["args"]["object"] for e in t.spans if e["name"] == "pthread_create"} == \
        {os.path.realpath("/usr/lib/x86_64-linux-gnu/libc.so.6")}
    assert_nothing_attached()


def test_object_not_the_mapped_file(jail):
    """Without CAP_SYS_ADMIN, a library of a process in its own mount namespace can only be
    looked for at its path on the host, where another file is: that file is refused, in one
    line that says which file it is and which it should be. As root the mapped file itself is
    read through /proc/PID/map_files and the same SPEC is traced."""
    lib = os.path.join(jail, "libpre.so")
    inner = os.path.join(jail, "inner.so")
    shutil.copy(os.path.realpath("/usr/lib/x86_64-linux-gnu/libz.so.1"), lib)
    shutil.copy(os.path.realpath("/usr/lib/x86_64-linux-gnu/liblzma.so.5"), inner)
    out = os.path.join(jail, "trace.json")
    prog = Held(["unshare", "-m", "--propagation", "private", "sh", "-c",
                 'mount --bind "$0" "$1" && export LD_PRELOAD="$1" && shift && exec "$@"',
                 inner, lib, target("threads"), *held_args()])
    spec = ["-u", "libpre:lzma_version_string"]
    try:
        r = subprocess.run([*NO_SYS_ADMIN, SPANTRACE, "-p", str(prog.pid), "-o", out, *spec],
                           capture_output=True, text=True, timeout=60)
        host, mapped = os.stat(lib), os.stat(inner)
        dev = f"{os.major(host.st_dev):02x}:{os.minor(host.st_dev):02x}"
        assert r.returncode == 1, r.stderr
        assert re.fullmatch(
            f"spantrace: cannot read {re.escape(lib)} as process {prog.pid} maps it: "
            f"/proc/{prog.pid}/map_files/[0-9a-f]+-[0-9a-f]+ needs CAP_SYS_ADMIN "
            r"\(or CAP_CHECKPOINT_RESTORE\), and the file at its path is not it "
            fr"\(it is device {dev} inode {host.st_ino}, not {dev} inode {mapped.st_ino} "
            r"as its maps line says\); run spantrace as root\n", r.stderr), r.stderr
        assert not os.path.exists(out)
    except BaseException:
        prog.kill()
        raise
    err = trace_held(prog, out, spec)
    assert "tracing 1 function in process" in err
    assert Trace(out).spans == []
    assert_nothing_attached()
