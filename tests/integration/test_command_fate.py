# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""What becomes of a command started with --: it starts with the signal state spantrace was
given, Ctrl-C reaches it as without spantrace, spantrace traces until it ends (also when -d or
an error stops tracing first) and exits with its status; nothing is left behind."""
import fcntl
import os
import resource
import shlex
import shutil
import signal
import subprocess
import termios

import pytest

from conftest import SPANTRACE, Trace, assert_nothing_attached, read_line, target, wait_stderr_for

SHOW_SIGNALS = ["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]
SLEEPER_SPECS = ["-u", "wrapper", "-u", "hold", "-u", "done"]


def inherited_state():
    """What a parent may hand down: a script's background job ignores SIGINT and SIGQUIT, nohup
    ignores SIGHUP, a daemon SIGCHLD; some signals blocked."""
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2})


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def masks(status_lines):
    """{"SigBlk": bits, "SigIgn": bits} from /proc/PID/status lines (bit N-1: signal N)."""
    return {k: int(v, 16) for k, v in (ln.split(":\t") for ln in status_lines.splitlines())}


def group_members(pgid):
    """Processes (zombies too) whose process group is pgid."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
            pids.append(int(d))
    return pids


def last_line(err):
    return err.strip().splitlines()[-1]


def exit_args(t):
    return [e["args"] for e in t.instants("exit") if e["name"] == "exit"]


@pytest.mark.parametrize("state", [None, inherited_state], ids=["default", "inherited"])
def test_command_gets_the_signal_state_spantrace_was_given(out, state):
    plain = subprocess.run(SHOW_SIGNALS, capture_output=True, text=True, preexec_fn=state,
                           check=True).stdout
    r = subprocess.run([SPANTRACE, "-o", out, "--", *SHOW_SIGNALS], capture_output=True,
                       text=True, preexec_fn=state, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == plain
    if state:
        assert masks(plain)["SigBlk"] & 0xa00 == 0xa00  # SIGUSR1, SIGUSR2
        assert masks(plain)["SigIgn"] & 0x10007 == 0x10007  # SIGHUP, SIGINT, SIGQUIT, SIGCHLD
    # SIGCHLD ignored in spantrace still lets it read the command's status
    assert last_line(r.stderr) == "spantrace: grep exited with code 0"


def test_background_job_of_a_script_ignores_sigint_with_or_without_spantrace(out):
    """The SIG_IGN of SIGINT and SIGQUIT a command started in the background of a script has
    comes from the shell (POSIX: "&" without job control), not from spantrace."""
    cmd = shlex.join(SHOW_SIGNALS)
    plain = subprocess.run(["sh", "-c", f"{cmd} & wait"], capture_output=True, text=True,
                           check=True).stdout
    traced = subprocess.run(["sh", "-c", f"{SPANTRACE} -o {out} -- {cmd} 2>/dev/null & wait"],
                            capture_output=True, text=True, check=True).stdout
    assert masks(plain)["SigIgn"] & 0x6 == 0x6  # SIGINT, SIGQUIT
    assert traced == plain


def start_in_new_session(args, terminal):
    """spantrace as the foreground process group of a session, on a pseudo-terminal of its
    own if terminal (returns the master side too)."""
    if not terminal:
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True), None
    master, slave = os.openpty()
    tracer = subprocess.Popen(args, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, start_new_session=True,
                              preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    return tracer, master


def ctrl_c(tracer, master):
    """What Ctrl-C does: the terminal (^C on it), or SIGINT to the whole process group."""
    if master is not None:
        os.write(master, b"\x03")
    else:
        os.killpg(tracer.pid, signal.SIGINT)


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "killpg"])
def test_ctrl_c_reaches_the_command_and_its_cleanup_is_traced(out, terminal):
    exe = target("interrupt")
    tracer, master = start_in_new_session(
        [SPANTRACE, "-u", "started", "-u", "cleanup", "-o", out, "--", exe], terminal)
    try:
        pid = int(read_line(tracer.stdout).split()[1])
        ctrl_c(tracer, master)
        assert read_line(tracer.stdout) == "interrupted\n"
        _, err = tracer.communicate(timeout=60)
    finally:
        if master is not None:
            os.close(master)
    assert tracer.returncode == 130, err
    assert last_line(err) == f"spantrace: {exe} exited with code 130"
    assert "stopped: the process exited" in err
    # sent by a process (killpg) rather than the terminal, spantrace says it did not pass it on
    note = f"spantrace: SIGINT from process {os.getpid()} not passed on: {exe} gets Ctrl-C " \
        "from the terminal itself, and spantrace ends when it does (SIGTERM to spantrace is " \
        "passed on)"
    assert (note in err.splitlines()) == (not terminal), err
    t = Trace(out)
    assert dict(t.counts()) == {"started": 1, "cleanup": 3}
    assert {e["pid"] for e in t.spans} == {pid}
    assert exit_args(t) == [{"code": 130}]
    assert group_members(tracer.pid) == []
    assert_nothing_attached()


def test_ctrl_c_stops_python_as_without_spantrace(out):
    # Short sleeps: CPython acts on a SIGINT that lands just before a sleep's system call only
    # when the call returns (with or without spantrace).
    script = ("import sys, time\n"
              "try:\n"
              "    print('ready', flush=True)\n"
              "    while True:\n"
              "        time.sleep(0.05)\n"
              "except KeyboardInterrupt:\n"
              "    print('KeyboardInterrupt', flush=True)\n"
              "    sys.exit(130)\n")
    tracer, master = start_in_new_session(
        [SPANTRACE, "-o", out, "--", "/usr/bin/python3", "-c", script], True)
    try:
        assert read_line(tracer.stdout) == "ready\n"
        ctrl_c(tracer, master)
        assert read_line(tracer.stdout) == "KeyboardInterrupt\n"
        _, err = tracer.communicate(timeout=60)
    finally:
        os.close(master)
    assert tracer.returncode == 130, err
    assert last_line(err) == "spantrace: /usr/bin/python3 exited with code 130"
    assert exit_args(Trace(out)) == [{"code": 130}]
    assert group_members(tracer.pid) == []


@pytest.mark.parametrize("cmd,rc,how,args", [
    (["sh", "-c", "exit 3"], 3, "exited with code 3", {"code": 3}),
    (["sh", "-c", "kill -KILL $$"], 137, "was killed by SIGKILL", {"signal": "SIGKILL"}),
    (["/usr/bin/python3", "-c", "import os; os.abort()"], 134, "was killed by SIGABRT",
     {"signal": "SIGABRT"}),
], ids=["exit-3", "sigkill", "sigabrt"])
def test_exit_status_is_the_commands(out, cmd, rc, how, args):
    r = subprocess.run([SPANTRACE, "-o", out, "--", *cmd], capture_output=True, text=True,
                       preexec_fn=no_core, timeout=60)
    assert r.returncode == rc, r.stderr
    assert last_line(r.stderr) == f"spantrace: {cmd[0]} {how}"
    assert exit_args(Trace(out)) == [args]


def start_sleeper(out, *extra):
    """spantrace running the sleeper, and a pidfd of the sleeper: kill_sleeper after a failed
    test can never hit another process that got its pid."""
    tracer = subprocess.Popen([SPANTRACE, *SLEEPER_SPECS, "-o", out, *extra, "--",
                               target("sleeper"), "60"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    pid = int(read_line(tracer.stdout).split()[1])
    return tracer, pid, os.pidfd_open(pid)


def kill_sleeper(tracer, pidfd):
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.close(pidfd)
    tracer.wait(timeout=60)


def alive(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except FileNotFoundError:
        return False


def test_duration_writes_the_trace_then_waits_for_the_command(out):
    exe = target("sleeper")
    tracer, pid, pidfd = start_sleeper(out, "-d", "0.5")
    try:
        err = "".join(wait_stderr_for(tracer, "waiting for"))
        assert "stopped: the duration elapsed; wrote " + out in err
        assert last_line(err) == \
            f"spantrace: waiting for {exe} (pid {pid}) to end, untraced; Ctrl-C goes to it"
        # the trace is complete while the command runs on, untraced
        t = Trace(out)
        assert dict(t.counts()) == {"done": 1, "wrapper": 1, "hold": 1}
        assert sorted(e["name"] for e in t.unfinished()) == ["hold", "wrapper"]
        assert alive(pid)
        assert_nothing_attached()
        # a supervisor stopping spantrace stops the command it waits for
        tracer.send_signal(signal.SIGTERM)
        _, rest = tracer.communicate(timeout=60)
    finally:
        kill_sleeper(tracer, pidfd)
    assert tracer.returncode == 128 + signal.SIGTERM, rest
    assert rest.splitlines() == [f"spantrace: SIGTERM passed on to {exe}",
                                 f"spantrace: {exe} was killed by SIGTERM"]
    assert group_members(tracer.pid) == []


def test_signals_sent_to_spantrace_alone(out):
    """kill -INT spantrace: not passed on (the terminal sends Ctrl-C to the command itself);
    kill -TERM spantrace: passed on, and the command's end is traced."""
    exe = target("sleeper")
    tracer, pid, pidfd = start_sleeper(out)
    try:
        wait_stderr_for(tracer, "tracing")
        tracer.send_signal(signal.SIGINT)
        err = "".join(wait_stderr_for(tracer, "not passed on"))
        assert alive(pid)
        tracer.send_signal(signal.SIGTERM)
        _, rest = tracer.communicate(timeout=60)
        err += rest
    finally:
        kill_sleeper(tracer, pidfd)
    assert tracer.returncode == 128 + signal.SIGTERM, err
    assert f"spantrace: SIGINT from process {os.getpid()} not passed on" in err
    assert f"spantrace: SIGTERM passed on to {exe}\n" in err
    assert "stopped: the process exited" in err
    assert last_line(err) == f"spantrace: {exe} was killed by SIGTERM"
    t = Trace(out)
    assert dict(t.counts()) == {"done": 1, "wrapper": 1, "hold": 1}
    assert exit_args(t) == [{"signal": "SIGTERM"}]
    sig = [e for e in t.instants("signal") if e["name"] == "fatal signal"]
    assert [(e["args"]["signal"], e["args"]["sender_pid"]) for e in sig] == \
        [("SIGTERM", tracer.pid)]
    assert group_members(tracer.pid) == []


def test_failure_mid_trace_waits_for_the_command(tmp_path):
    """spantrace fails after the command started (here the trace's directory goes away): one
    error line, nothing attached, and the command is waited for, never left behind."""
    exe = target("sleeper")
    d = tmp_path / "out"
    d.mkdir()
    tracer, pid, pidfd = start_sleeper(str(d / "t.json"), "-d", "0.5")
    try:
        shutil.rmtree(d)
        err = "".join(wait_stderr_for(tracer, "waiting for"))
        assert f"spantrace: cannot write the trace to {d}/t.json: No such file or directory; " \
            "choose another path with -o" in err.splitlines()
        assert alive(pid)
        assert_nothing_attached()
        tracer.send_signal(signal.SIGTERM)
        _, rest = tracer.communicate(timeout=60)
    finally:
        kill_sleeper(tracer, pidfd)
    assert tracer.returncode == 1, rest
    assert last_line(rest) == f"spantrace: {exe} was killed by SIGTERM"
    assert group_members(tracer.pid) == []


def test_pid_mode_exits_0_and_says_how_the_process_ended(out):
    """-p: the process is not spantrace's child; spantrace exits 0, and the last line says how
    the process ended, as its exit record in the trace does."""
    prog = subprocess.Popen(["sh", "-c", "echo ready; read x; exit 3"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert read_line(prog.stdout) == "ready\n"
    tracer = subprocess.Popen([SPANTRACE, "-p", str(prog.pid), "-o", out],
                              stderr=subprocess.PIPE, text=True)
    wait_stderr_for(tracer, "tracing")
    prog.stdin.write("go\n")
    prog.stdin.flush()
    assert prog.wait(timeout=30) == 3
    _, err = tracer.communicate(timeout=30)
    assert tracer.returncode == 0, err
    assert "stopped: the process exited" in err
    assert last_line(err) == f"spantrace: process {prog.pid} (sh) exited with code 3"
    assert exit_args(Trace(out)) == [{"code": 3}]
