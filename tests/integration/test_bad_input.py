# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Bad input: one clear line on stderr, a non-zero exit, nothing left attached, no file."""
import os
import subprocess

import pytest

from conftest import LEGACY, MULTI, SPANTRACE, assert_nothing_attached, read_line, run, target


def check_failed(r, *needles, rc=1):
    assert r.returncode == rc, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("spantrace: ")
    for n in needles:
        assert n in lines[0], lines[0]
    assert_nothing_attached()


@pytest.fixture
def outdir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    os.chmod(d, 0o777)
    yield d
    # Neither the trace nor its temporary file is left behind.
    assert os.listdir(d) == []


def free_pid():
    pid = int(open("/proc/sys/kernel/pid_max").read()) - 1
    while os.path.exists(f"/proc/{pid}"):
        pid -= 1
    return pid


@pytest.fixture
def waiting_threads():
    """A live target held at its prompt; afterwards it must still work untraced."""
    p = subprocess.Popen([target("threads"), "--wait", "2", "2"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert read_line(p.stdout).startswith("ready")
    yield p
    p.stdin.write("go\n")
    p.stdin.flush()
    assert read_line(p.stdout).strip() == "done 2 threads x 2"
    assert p.wait(timeout=10) == 0


def test_no_such_pid(outdir):
    pid = free_pid()
    r = run(["-p", str(pid), "-u", "outer", "-o", str(outdir / "t.json")])
    check_failed(r, f"no process with PID {pid}", "ps")


def test_pid_exits_during_attach(outdir):
    # exit_on_probe exits as soon as the first probe lands in it; every libc
    # function follows in the list, attached one by one (the per-function path), so
    # attaching is still under way.
    p = subprocess.Popen([target("exit_on_probe")], stdout=subprocess.PIPE, text=True)
    pid = int(read_line(p.stdout).split()[1])
    r = run(["-p", str(pid), "-u", "probe_me", "-u", "libc:*", "-o", str(outdir / "t.json")],
            env=LEGACY)
    assert p.wait(timeout=10) == 0
    check_failed(r, f"process {pid} exited while probes were being attached")


def test_spec_matches_nothing(outdir, waiting_threads):
    r = run(["-p", str(waiting_threads.pid), "-u", "outer", "-u", "outre",
             "-o", str(outdir / "t.json")])
    check_failed(r, "'outre' matches no function in", target("threads"),
                 "searched .symtab and .dynsym", "did you mean outer?")


def test_spec_matches_nothing_stripped(outdir):
    r = run(["-u", "middel", "-o", str(outdir / "t.json"), "--", target("threads_stripped")])
    check_failed(r, "'middel' matches no function in", "(searched .dynsym:",
                 "did you mean middle?")


def test_object_not_mapped(outdir, waiting_threads):
    r = run(["-p", str(waiting_threads.pid), "-u", "libnotthere:foo",
             "-o", str(outdir / "t.json")])
    check_failed(r, "no object matching 'libnotthere' is mapped", "libc.so.6",
                 "use a prefix of one of these names or an absolute path")


def test_absolute_object_not_mapped(outdir, waiting_threads):
    """An absolute OBJECT that is mapped nowhere: the paths that are, and no advice to give
    an absolute path to someone who gave one."""
    r = run(["-p", str(waiting_threads.pid), "-u", "/usr/lib/x86_64-linux-gnu/libz.so.1:deflate",
             "-o", str(outdir / "t.json")])
    check_failed(r, "no object at '/usr/lib/x86_64-linux-gnu/libz.so.1' is mapped in the target "
                 "(mapped: " + target("threads"), "/usr/lib/x86_64-linux-gnu/libc.so.6",
                 "); give one of these paths, or a prefix of its file name")
    assert "absolute path" not in r.stderr


def test_absolute_object_through_a_link(out, waiting_threads):
    """/lib/x86_64-linux-gnu/libc.so.6 leads to the libc the process maps at /usr/lib/...:
    the link is followed to find it (names only; what is probed is still the mapped file)."""
    real = os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")
    assert real != "/lib/x86_64-linux-gnu/libc.so.6"
    r = run(["-p", str(waiting_threads.pid), "-u", "/lib/x86_64-linux-gnu/libc.so.6:nanosleep",
             "-d", "0.3", "-o", out])
    assert r.returncode == 0, r.stderr
    assert "tracing 1 function in process" in r.stderr


def test_kernel_thread(outdir):
    """kthreadd (PID 2) runs no program: said plainly, not "exited" or "a kernel thread?"."""
    r = run(["-p", "2", "-o", str(outdir / "t.json")])
    check_failed(r, "process 2 (kthreadd) is a kernel thread: it runs no program of its own to "
                 "trace; give the PID of a user process")


def test_not_root(outdir):
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        SPANTRACE, "-u", "outer", "-o", str(outdir / "t.json"), "--",
                        target("threads"), "1", "1"], capture_output=True, text=True, timeout=30)
    check_failed(r, "need root or CAP_BPF and CAP_PERFMON", "sudo")


@pytest.mark.parametrize("path", ["/nonexistent/dir/t.json", "/proc/t.json"])
def test_unwritable_output(path, waiting_threads):
    r = run(["-p", str(waiting_threads.pid), "-u", "outer", "-o", path])
    check_failed(r, f"cannot write the trace to {path}", "choose another path with -o")
    assert not os.path.exists(path)


@pytest.mark.parametrize("cmd,needle", [
    (["/no/such/prog"], "cannot run '/no/such/prog': No such file or directory"),
    (["no-such-command-xyz"], "cannot run 'no-such-command-xyz': command not found in PATH"),
])
def test_command_not_found(outdir, cmd, needle):
    r = run(["-u", "outer", "-o", str(outdir / "t.json"), "--", *cmd])
    check_failed(r, needle)


@pytest.mark.parametrize("args,needle", [
    (["-p", "abc", "-u", "x"], "-p needs a process id"),
    (["-u", "x"], "nothing to trace"),
    (["-p", "1", "-u", "x", "--", "true"], "not both"),
    (["-p", "1", "-u", "lib:"], "bad -u 'lib:'"),
    (["--bogus"], "unknown option '--bogus'"),
    # a duration too long to be meant (and to convert to nanoseconds without overflow)
    (["-d", "1e300", "--", "true"], "-d needs a number of seconds above 0 and at most 2678400 "
     "(31 days), got '1e300'"),
])
def test_bad_command_line(args, needle):
    r = run(args)
    check_failed(r, needle, rc=2)


@pytest.mark.parametrize("env", [MULTI, LEGACY], ids=["multi", "legacy"])
def test_exact_function_kernel_refuses(outdir, env):
    r = run(["-u", "libc:pthread_spin_lock", "-o", str(outdir / "t.json"), "--",
             target("threads"), "1", "1"], env=env)
    check_failed(r, "failed to attach a uprobe to pthread_spin_lock in", "libc.so.6",
                 "the kernel cannot probe the instruction there")


def test_kernel_without_btf(tmp_path):
    """A kernel without BTF, as spantrace sees it: /sys/kernel/btf hidden under an empty tmpfs
    in a mount namespace of its own. One line naming the missing piece, nothing loaded."""
    prog = subprocess.Popen([target("sleeper"), "600"], stdout=subprocess.PIPE, text=True)
    try:
        read_line(prog.stdout)
        out = tmp_path / "t.json"
        r = subprocess.run(["unshare", "-m", "sh", "-c",
                            'mount -t tmpfs none /sys/kernel/btf && exec "$@"', "sh",
                            SPANTRACE, "-p", str(prog.pid), "-o", str(out)],
                           capture_output=True, text=True, timeout=60)
        check_failed(r, "this kernel has no BTF", "CONFIG_DEBUG_INFO_BTF")
        assert os.listdir(tmp_path) == []
    finally:
        prog.kill()
        prog.wait()
