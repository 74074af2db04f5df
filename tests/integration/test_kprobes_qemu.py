# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The kprobe path, run for real: this machine's kernel has no kprobes, so Debian's own 6.1
kernel (kprobes, BTF) boots under qemu (TCG) from the initramfs `make` builds
(tests/qemu/), traces tests/qemu/guestprog.c with spantrace there, and prints the results on
the serial console between the marker lines of tests/qemu/init.sh."""
import glob
import json
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "tests", "qemu", "run.sh")
INITRAMFS = os.environ.get("SPANTRACE_QEMU_INITRAMFS",
                           os.path.join(ROOT, "build", "qemu", "initramfs.cpio.gz"))
QEMU = "qemu-system-x86_64"
KERNELS = "/boot/vmlinuz-6.1.*"

# What guestprog does: 100 writes of 4096 bytes into a pipe, then 5 processes exit
# (the reader 0, three children 1, 2 and 3, guestprog itself 0).
PIPE_WRITES, PIPE_BYTES = 100, 100 * 4096
EXIT_CODES = [0, 0, 1, 2, 3]

MARKER = re.compile(r"=== ([A-Z-]+)(?: (.*))?")
# Terminal control the firmware writes on the serial line (ESC c, ESC [ ... ).
ESCAPES = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z]|.)")


class Guest:
    """The serial log of one boot, split at init.sh's markers."""

    def __init__(self, log):
        self.log = log
        self.lines = [ESCAPES.sub("", ln).rstrip("\r") for ln in log.split("\n")]
        self.markers = set()
        self.rc = None
        self.go_rc = None
        self.tp_rc = None
        self.sections = {}
        inside = None
        for line in self.lines:
            m = MARKER.fullmatch(line.strip())
            if inside:
                if m and m.group(1) == inside + "-END":
                    inside = None
                else:
                    self.sections[inside].append(line)
                continue
            if not m:
                continue
            name = m.group(1)
            self.markers.add(name)
            if name.endswith("-BEGIN"):
                inside = name[:-len("-BEGIN")]
                self.sections[inside] = []
            elif name == "SPANTRACE-RC":
                self.rc = int(m.group(2))
            elif name == "GO-RC":
                self.go_rc = int(m.group(2))
            elif name == "TP-RC":
                self.tp_rc = int(m.group(2))

    def section(self, name):
        if name not in self.sections:
            return None
        return "\n".join(self.sections[name])

    @property
    def stderr(self):
        return self.section("STDERR") or ""

    @property
    def trace(self):
        return self.section("TRACE")

    def tail(self, n=40):
        return "\n".join(self.lines[-n:])


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    missing = []
    if not shutil.which(QEMU):
        missing.append(f"{QEMU} (install qemu-system-x86)")
    if not glob.glob(KERNELS):
        missing.append(f"a kernel {KERNELS} (install linux-image-amd64)")
    if not os.path.exists(INITRAMFS):
        missing.append(f"the initramfs {INITRAMFS} (make {os.path.relpath(INITRAMFS, ROOT)}, "
                       "or point SPANTRACE_QEMU_INITRAMFS at one)")
    if missing:
        pytest.skip("kprobe tests under qemu need " + " and ".join(missing))
    log = tmp_path_factory.mktemp("qemu") / "serial.log"
    res = subprocess.run([RUN, INITRAMFS, str(log)], capture_output=True, text=True,
                         timeout=300)
    text = log.read_text(errors="replace") if log.exists() else ""
    g = Guest(text)
    if res.returncode != 0:
        pytest.fail(f"run.sh exited {res.returncode}: {res.stderr.strip()}\n"
                    f"serial log {log}, last lines:\n{g.tail()}")
    if "GUEST-DONE" not in g.markers:
        pytest.fail(f"the guest never printed '=== GUEST-DONE'; serial log {log}, "
                    f"last lines:\n{g.tail()}")
    g.path = str(log)
    return g


def trace_events(guest):
    assert guest.trace is not None, f"no TRACE section in {guest.path}"
    doc = json.loads(guest.trace)
    assert isinstance(doc, dict) and isinstance(doc.get("traceEvents"), list), doc
    return doc["traceEvents"]


def test_guestprog_ran(guest):
    assert "guestprog done" in (ln.strip() for ln in guest.lines), \
        f"guestprog never printed 'guestprog done'; serial log {guest.path}"


def test_spantrace_exits_0(guest):
    assert guest.rc == 0, f"spantrace exited {guest.rc} in the guest; its stderr:\n{guest.stderr}"


def test_trace_is_json(guest):
    trace_events(guest)


# The kprobe path itself: what spantrace -v reports attaching, and what it counted.
def test_attached_kprobes(guest):
    assert "pipe writes: kprobe on pipe_write" in guest.stderr, guest.stderr
    assert "exits: kprobe on do_exit" in guest.stderr, guest.stderr


def test_summary_counts(guest):
    writes = re.findall(r"pipe writes: (\d+) \((\d+) bytes\)", guest.stderr)
    assert [(int(n), int(b)) for n, b in writes] == [(PIPE_WRITES, PIPE_BYTES)], guest.stderr
    exits = re.findall(r"exits: (\d+)", guest.stderr)
    assert [int(n) for n in exits] == [len(EXIT_CODES)], guest.stderr


def test_exit_events(guest):
    exits = [e for e in trace_events(guest) if e.get("ph") == "i" and e.get("cat") == "exit"]
    assert len(exits) == len(EXIT_CODES), exits
    assert sorted(e["args"]["code"] for e in exits) == EXIT_CODES, exits


# The same program where the kernel has no kprobes (SPANTRACE_NO_KPROBES) and tracefs is not
# mounted: write's and writev's own syscall tracepoints see the same pipe writes on 6.1.
def test_syscall_tracepoints(guest):
    err = guest.section("TP-STDERR") or ""
    assert guest.tp_rc == 0, f"spantrace without kprobes exited {guest.tp_rc}:\n{err}"
    assert ("pipe writes: SPANTRACE_NO_KPROBES is set → syscall tracepoints (write, writev "
            "on pipe fds) + stack attribution") in err, err
    writes = re.findall(r"pipe writes: (\d+) \((\d+) bytes\)", err)
    assert [(int(n), int(b)) for n, b in writes] == [(PIPE_WRITES, PIPE_BYTES)], err


# A Go program on this kernel: perf uprobes (no uprobe_multi before 6.6), RET probes, goroutine
# tracks, names from Go strings, the sleepable name probe. The same assertions as on the host.
def test_go_program(guest, tmp_path):
    from test_go import TARGET_OUT, check_go_trace, pid_of

    err = guest.section("GO-STDERR") or ""
    # spantrace exits with the command's status: gotasks exits 3
    assert guest.go_rc == 3, f"spantrace on the Go program exited {guest.go_rc}:\n{err}"
    assert "per-function perf uprobes" in err, err
    assert "refused a sleepable uprobe" not in err, err
    assert "53 spans (2 unfinished) on 6 tasks (threads and goroutines); events lost: 0" in err
    assert guest.section("GO-STDOUT") + "\n" == TARGET_OUT
    path = tmp_path / "go.json"
    path.write_text(guest.section("GO-TRACE"))
    check_go_trace(str(path), pid_of(err), "/gotasks")
