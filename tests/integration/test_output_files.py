# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Where the trace (-o) and the records (--save-records) go, and what spantrace must never do
to the host while writing them: replace a device, a FIFO or a symlink by rename, follow a
planted symlink, leave a file readable by others or a temporary file behind, or go on tracing
into a full disk. Devices are made as private nodes in a temporary directory, so that a
spantrace that replaces them by rename (as it once did) harms nothing of the machine's."""
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import (SPANTRACE, Trace, assert_nothing_attached, read_line, run, target,
                      wait_stderr_for)

SPECS = ["-u", "outer", "-u", "middle", "-u", "leaf"]
NTHREADS, ITERS = 2, 5
NSPANS = NTHREADS * ITERS * 10  # outer, 3 middle, 6 leaf per iteration
ENOSPC_LINE = "No space left on device"


def one_line_failure(r, *needles):
    assert r.returncode == 1, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("spantrace: ")
    for n in needles:
        assert n in lines[0], lines[0]
    assert "tracing" not in r.stderr
    assert_nothing_attached()


def threads_run(out, *extra):
    """spantrace -o out on the threads target, from its start."""
    return run(["-o", out, *extra, *SPECS, "--", target("threads"), str(NTHREADS), str(ITERS)])


def check_spans(trace):
    assert trace.counts() == {"outer": NTHREADS * ITERS, "middle": NTHREADS * ITERS * 3,
                              "leaf": NTHREADS * ITERS * 6}


class Waiting:
    """threads --wait: attach to it by PID, then let it work."""

    def __init__(self, nthreads, iters):
        self.p = subprocess.Popen([target("threads"), "--wait", str(nthreads), str(iters)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = int(read_line(self.p.stdout).split()[1])

    def go(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()

    def alive(self):
        return self.p.poll() is None

    def kill(self):
        if self.alive():
            self.p.kill()
        self.p.wait(timeout=10)


@pytest.fixture
def waiting():
    made = []

    def make(nthreads=NTHREADS, iters=ITERS):
        made.append(Waiting(nthreads, iters))
        return made[-1]

    yield make
    for w in made:
        w.kill()


def mknod(path, kind, rdev):
    os.mknod(path, kind | 0o666, rdev)
    return os.lstat(path)


def assert_same_node(path, before):
    after = os.lstat(path)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode), \
        f"{path} was replaced by a {stat.filemode(after.st_mode)}"
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


# --- what -o accepts ----------------------------------------------------------------


def test_null_device(tmp_path):
    """A character device is written to, never replaced: first a private null device (1:3),
    then the machine's own /dev/null, only once the private one came through unharmed."""
    null = str(tmp_path / "null")
    before = mknod(null, stat.S_IFCHR, os.makedev(1, 3))
    r = threads_run(null)
    assert r.returncode == 0, r.stderr
    assert_same_node(null, before)
    assert os.listdir(tmp_path) == ["null"]

    before = os.lstat("/dev/null")
    r = threads_run("/dev/null")
    assert r.returncode == 0, r.stderr
    assert_same_node("/dev/null", before)
    assert f"wrote /dev/null" in r.stderr


def test_full_device(tmp_path):
    """/dev/full fails every write with ENOSPC: the first flush of the trace stops tracing
    with one line naming it."""
    full = str(tmp_path / "full")
    before = mknod(full, stat.S_IFCHR, os.makedev(1, 7))
    rc, err, alive = run_until_it_stops(["-o", full])
    assert rc == 1, err
    assert alive, "spantrace stopped only when the target ended"
    assert err.splitlines()[-1] == (f"spantrace: failed to write the trace to {full}: "
                                    f"{ENOSPC_LINE}; free some space or choose another path "
                                    "with -o"), err
    assert_same_node(full, before)
    assert_nothing_attached()


def test_stdout(waiting, tmp_path):
    w = waiting()
    p = subprocess.Popen([SPANTRACE, "-o", "-", "-p", str(w.pid), *SPECS], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_stderr_for(p, "tracing")
    w.go()
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    doc = json.loads(out)
    assert sum(1 for e in doc["traceEvents"] if e.get("cat") == "span") == NSPANS
    assert "wrote standard output" in err
    assert os.listdir(tmp_path) == []


def test_stdout_reader_goes_away(waiting, tmp_path):
    """A reader that stops reading (| head -c 1) ends tracing with one line, not a SIGPIPE."""
    w = waiting(2, 10 ** 8)
    rd, wr = os.pipe()
    p = subprocess.Popen([SPANTRACE, "-o", "-", "-p", str(w.pid), *SPECS], cwd=tmp_path,
                         stdout=wr, stderr=subprocess.PIPE, text=True)
    os.close(wr)
    try:
        wait_stderr_for(p, "tracing")
        w.go()
        assert select.select([rd], [], [], 30)[0], "nothing came on standard output"
        assert os.read(rd, 1) == b"{"
        os.close(rd)
        p.wait(timeout=60)
    finally:
        p.kill()
    err = p.stderr.read()
    assert p.returncode == 1, err
    assert err.splitlines()[-1] == ("spantrace: failed to write the trace to standard output: "
                                    "Broken pipe; choose another path with -o"), err
    assert w.alive()
    assert_nothing_attached()


def read_fifo_while(proc, fd):
    data = b""
    while True:
        r, _, _ = select.select([fd], [], [], 0.1)
        chunk = os.read(fd, 1 << 16) if r else b""
        data += chunk
        if not chunk and proc.poll() is not None:
            break
    while chunk := os.read(fd, 1 << 16):
        data += chunk
    return data


def test_fifo(tmp_path):
    fifo = str(tmp_path / "trace.fifo")
    os.mkfifo(fifo)
    before = os.lstat(fifo)
    rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        p = subprocess.Popen([SPANTRACE, "-o", fifo, *SPECS, "--", target("threads"),
                              str(NTHREADS), str(ITERS)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            data = read_fifo_while(p, rd)
        finally:
            p.kill()
            p.wait()
    finally:
        os.close(rd)
    assert p.returncode == 0, p.stderr.read()
    doc = json.loads(data)
    assert sum(1 for e in doc["traceEvents"] if e.get("cat") == "span") == NSPANS
    assert_same_node(fifo, before)
    assert os.listdir(tmp_path) == ["trace.fifo"]


def test_fifo_without_reader(tmp_path):
    fifo = str(tmp_path / "trace.fifo")
    os.mkfifo(fifo)
    before = os.lstat(fifo)
    r = threads_run(fifo)
    one_line_failure(r, f"-o {fifo} is a FIFO that no process reads", "start its reader first")
    assert_same_node(fifo, before)


@pytest.mark.parametrize("dangling", [False, True], ids=["to-file", "dangling"])
def test_symlink_refused(tmp_path, dangling):
    """A symlink at -o is never followed or replaced: refused, the link and its target as
    they were."""
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_text("precious\n")
    link = tmp_path / "trace.json"
    link.symlink_to(victim)
    r = threads_run(str(link))
    one_line_failure(r, f"-o {link} is a symbolic link", "name the file itself")
    assert os.readlink(link) == str(victim)
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text() == "precious\n"
    assert sorted(os.listdir(tmp_path)) == sorted(["trace.json"] + ([] if dangling else ["victim"]))


def test_stdout_symlink_points_to_dash(tmp_path):
    """A link like /dev/stdout (a private one: a spantrace that replaces links by rename
    would replace the machine's) is refused too, pointing to -o -."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    r = threads_run(str(link))
    one_line_failure(r, f"-o {link} is a symbolic link", "-o - for standard output")
    assert os.readlink(link) == "/proc/self/fd/1"


def test_directory_refused_at_start(waiting, tmp_path):
    """-o DIR is refused before anything is attached (it was once found only after tracing)."""
    w = waiting()
    r = run(["-p", str(w.pid), "-d", "5", *SPECS, "-o", str(tmp_path)])
    one_line_failure(r, f"-o {tmp_path} is a directory",
                     f"give a file name such as {tmp_path}/spantrace.json")
    assert os.listdir(tmp_path) == []


@pytest.fixture
def loop_disk(tmp_path):
    """A 1 MiB disk image on a loop device; yields (device, image)."""
    if not shutil.which("losetup"):
        pytest.skip("losetup (util-linux) is not installed: no block device to test on")
    img = tmp_path / "disk.img"
    img.write_bytes(bytes(range(256)) * 4096)
    r = subprocess.run(["losetup", "--find", "--show", str(img)], capture_output=True,
                       text=True)
    if r.returncode != 0:
        pytest.skip(f"no loop device for a block-device test: {r.stderr.strip()}")
    dev = r.stdout.strip()
    try:
        yield dev, img
    finally:
        subprocess.run(["losetup", "-d", dev], check=True)


def test_block_device_refused(tmp_path, loop_disk):
    dev, img = loop_disk
    node = str(tmp_path / "disk")
    before = mknod(node, stat.S_IFBLK, os.lstat(dev).st_rdev)
    content = img.read_bytes()
    r = threads_run(node)
    one_line_failure(r, f"-o {node} is a block device", "never writes over a disk")
    assert_same_node(node, before)
    with open(node, "rb") as f:
        assert f.read(len(content)) == content
    assert img.read_bytes() == content


def test_other_character_device_refused(tmp_path):
    """Only terminals, /dev/null and /dev/full: a write to another device may act on hardware
    (/dev/watchdog reboots the machine, /dev/mem is its memory). The node here has a number
    no driver serves (240: local/experimental), so even a wrong open could do nothing."""
    dev = str(tmp_path / "watchdog")
    before = mknod(dev, stat.S_IFCHR, os.makedev(240, 0))
    r = threads_run(dev)
    one_line_failure(r, f"-o {dev} is a character device", "terminals, /dev/null")
    assert_same_node(dev, before)


# --- files written as root -------------------------------------------------------------


def test_files_are_private(tmp_path):
    """The trace and the records hold argument strings, exec paths and thread names: 0600,
    whatever the umask."""
    out, rec = tmp_path / "trace.json", tmp_path / "rec.bin"
    out.write_text("old trace, world-readable\n")
    os.chmod(out, 0o644)
    r = run(["-o", str(out), "--save-records", str(rec), *SPECS, "--", target("threads"),
             str(NTHREADS), str(ITERS)], umask=0o022)
    assert r.returncode == 0, r.stderr
    check_spans(Trace(out))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(rec).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["rec.bin", "trace.json"]


def test_records_symlink_not_followed(tmp_path):
    """Another user plants --save-records PATH as a symlink to a file of root's: refused,
    the file untouched."""
    victim = tmp_path / "root-owned"
    victim.write_text("root's data\n")
    os.chmod(victim, 0o600)
    # the other user's own directory: not sticky, so fs.protected_symlinks does not apply
    plant = tmp_path / "user-dir"
    plant.mkdir()
    os.chown(plant, 65534, 65534)
    link = plant / "rec.bin"
    os.symlink(victim, link)
    os.lchown(link, 65534, 65534)
    out = tmp_path / "trace.json"
    r = threads_run(str(out), "--save-records", str(link))
    one_line_failure(r, f"--save-records {link} is a symbolic link")
    assert victim.read_text() == "root's data\n"
    assert os.readlink(link) == str(victim)
    assert not out.exists()


def test_fifo_of_another_user_in_sticky_dir_refused(tmp_path):
    """A FIFO another user made in /tmp-like directory would hand them the trace."""
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    fifo = str(sticky / "trace.json")
    os.mkfifo(fifo)
    os.chown(fifo, 65534, 65534)
    rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        r = threads_run(fifo)
    finally:
        os.close(rd)
    one_line_failure(r, f"-o {fifo} is a FIFO of another user (uid 65534)")


def test_trace_and_records_same_file(tmp_path):
    """The records would be renamed over the finished trace."""
    out = tmp_path / "t.json"
    r = threads_run(str(out), "--save-records", f"{tmp_path}/./t.json")
    one_line_failure(r, f"-o {out} and --save-records {tmp_path}/./t.json are the same file")
    assert os.listdir(tmp_path) == []


# --- nothing left behind -----------------------------------------------------------------


def kill_mid_trace(out, rec):
    """spantrace -o out --save-records rec on a long run, SIGKILLed once it has written MBs."""
    w = Waiting(2, 10 ** 8)
    p = subprocess.Popen([SPANTRACE, "-o", out, "--save-records", rec, "-p", str(w.pid),
                          *SPECS], stderr=subprocess.PIPE, text=True)
    try:
        wait_stderr_for(p, "tracing")
        w.go()
        time.sleep(2)
        assert p.poll() is None
        # the outputs hold MBs by now, in files with no name in the directory
        fds = f"/proc/{p.pid}/fd"
        sizes = [os.stat(f"{fds}/{fd}").st_size for fd in os.listdir(fds)
                 if os.readlink(f"{fds}/{fd}").startswith(os.path.dirname(out) + "/")]
        assert len(sizes) == 2 and min(sizes) > 1 << 20, sizes
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
    finally:
        p.kill()
        p.wait()
        w.kill()
    assert_nothing_attached()


def test_sigkill_leaves_nothing(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    kill_mid_trace(str(d / "trace.json"), str(d / "rec.bin"))
    assert os.listdir(d) == []


@pytest.fixture
def no_tmpfile_dir(tmp_path):
    """A directory on a filesystem without O_TMPFILE: bindfs (FUSE) over a temporary one."""
    if not shutil.which("bindfs"):
        pytest.skip("bindfs is not installed (scripts/install-deps.sh installs it): "
                    "no filesystem without O_TMPFILE to test the fallback on")
    src, mnt = tmp_path / "src", tmp_path / "mnt"
    src.mkdir()
    mnt.mkdir()
    r = subprocess.run(["bindfs", "--no-allow-other", str(src), str(mnt)], capture_output=True,
                       text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount bindfs (FUSE): {r.stderr.strip()}")
    try:
        try:
            os.close(os.open(mnt, os.O_TMPFILE | os.O_WRONLY, 0o600))
            pytest.skip("bindfs supports O_TMPFILE here: the fallback cannot be tested on it")
        except OSError:
            pass
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_fallback_without_tmpfile(no_tmpfile_dir):
    """Where the filesystem has no unnamed files, a hidden .NAME.XXXXXX beside -o (0600),
    renamed at the end; nothing else left."""
    out = no_tmpfile_dir / "trace.json"
    r = run(["-v", "-o", str(out), "--save-records", str(no_tmpfile_dir / "rec.bin"), *SPECS,
             "--", target("threads"), str(NTHREADS), str(ITERS)], umask=0o022)
    assert r.returncode == 0, r.stderr
    assert "has no unnamed files (O_TMPFILE)" in r.stderr
    check_spans(Trace(out))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(no_tmpfile_dir / "rec.bin").st_mode) == 0o600
    assert sorted(os.listdir(no_tmpfile_dir)) == ["rec.bin", "trace.json"]


def test_fallback_failure_leaves_nothing(no_tmpfile_dir):
    """A run that fails after the fallback's hidden file was made removes it."""
    out = no_tmpfile_dir / "trace.json"
    r = run(["-o", str(out), "-u", "libc:pthread_spin_lock", "--", target("threads"), "1", "1"])
    assert r.returncode == 1
    assert "failed to attach a uprobe to pthread_spin_lock" in r.stderr
    assert os.listdir(no_tmpfile_dir) == []


# --- a full disk ----------------------------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path):
    d = tmp_path / "small"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "spantrace-test",
                    str(d)], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=True)


def run_until_it_stops(args, timeout=60):
    """spantrace -p on a target that works for far longer than the test: returns
    (returncode, stderr, target still alive when spantrace ended)."""
    w = Waiting(2, 10 ** 8)
    p = subprocess.Popen([SPANTRACE, "-p", str(w.pid), *SPECS, *args],
                         stderr=subprocess.PIPE, text=True)
    try:
        wait_stderr_for(p, "tracing")
        w.go()
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail("spantrace went on tracing with a full disk")
        alive = w.alive()
        return p.returncode, p.stderr.read(), alive
    finally:
        p.kill()
        p.wait()
        w.kill()


def test_disk_full_stops_at_first_failed_write(small_tmpfs):
    out = small_tmpfs / "trace.json"
    rc, err, alive = run_until_it_stops(["-o", str(out)])
    assert rc == 1, err
    assert alive, "spantrace stopped only when the target ended"
    assert err.splitlines()[-1] == (f"spantrace: failed to write the trace to {out}: "
                                    f"{ENOSPC_LINE}; free some space or choose another path "
                                    "with -o"), err
    assert_nothing_attached()
    assert os.listdir(small_tmpfs) == []


def test_disk_full_records_keep_trace(small_tmpfs, tmp_path):
    """--save-records fills its disk: the trace (elsewhere) is complete up to the stop and
    kept, the partial records file removed, and the exit status says it failed."""
    out, rec = tmp_path / "trace.json", small_tmpfs / "rec.bin"
    rc, err, alive = run_until_it_stops(["-o", str(out), "--save-records", str(rec)])
    assert rc == 1, err
    assert alive, "spantrace stopped only when the target ended"
    last = err.splitlines()[-1]
    assert last.startswith(f"spantrace: failed to write the records to {rec}: {ENOSPC_LINE}"), err
    assert f"the trace was kept in {out}" in last
    trace = Trace(out)
    assert trace.counts()["outer"] > 0
    assert trace.parents()[("outer", "middle")] > 0
    assert os.listdir(small_tmpfs) == []
    assert_nothing_attached()
