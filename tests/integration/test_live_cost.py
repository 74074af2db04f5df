# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Seeing and bounding the cost while tracing (issue 13, part 3): the live status line on
a terminal, --max-size, and -c (count only). Real targets, outputs parsed."""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

from conftest import SPANTRACE, read_line, run, target

THREADS, ITERS = 4, 50
THREADS_SPECS = ["-u", "outer", "-u", "middle", "-u", "leaf"]
# threads: each worker calls outer ITERS times, outer calls middle 3 times, middle leaf twice
THREADS_CALLS = {"outer": THREADS * ITERS, "middle": THREADS * ITERS * 3,
                 "leaf": THREADS * ITERS * 6}

STATUS_RE = re.compile(
    r"^(\d+)s \| ([\d.]+[kMGTP]?) events/s \| ([\d.]+[kMGTP]?) spans, ([\d.]+[kMGTP]?) open \| "
    r"([\d.]+[kMGTP]?) lost \| trace ([\d.]+[kMGTP]?|none \(-c\))( \(cut\))? \| "
    r"overhead (-|[\d.]+%)$")


def number(text):
    """ "1.23k" -> 1230.0 (status counts: powers of 1000; sizes: 1024, see statusline.h)."""
    scale = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
    return float(text[:-1]) * scale[text[-1]] if text[-1] in scale else float(text)


def summary_table(stderr):
    """{function: (calls, returned)} from the summary's table (and its probe/call column)."""
    rows = {}
    for line in stderr.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)\s+(\d+)\s+\S+ \S+\s+\S+ \S+\s+\S+ \S+(\s+\S+ \S+)?$",
                     line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return rows


def test_count_only_writes_no_trace(tmp_path):
    r = run(["-c", *THREADS_SPECS, "--", target("threads"), str(THREADS), str(ITERS)],
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"done {THREADS} threads x {ITERS}"
    table = summary_table(r.stderr)
    assert table == {f: (n, n) for f, n in THREADS_CALLS.items()}, r.stderr
    assert f"{sum(THREADS_CALLS.values())} spans (0 unfinished)" in r.stderr
    assert "counted only (-c), no trace written" in r.stderr
    assert os.listdir(tmp_path) == []  # not even the default spantrace.json


def test_count_refuses_output(tmp_path):
    r = run(["-c", "-o", str(tmp_path / "t.json"), "-u", "outer", "--", target("threads")])
    assert r.returncode == 2
    assert r.stderr == ("spantrace: -c (--count) writes no trace, only the summary; drop -c "
                        "to write one, or drop --output\n")
    assert os.listdir(tmp_path) == []


def test_max_size_cuts_a_valid_trace(out):
    limit = 8192
    r = run(["--max-size", "8k", *THREADS_SPECS, "-o", out, "--", target("threads"),
             str(THREADS), str(ITERS)])
    assert r.returncode == 0, r.stderr
    size = os.path.getsize(out)
    assert size <= limit
    with open(out, "rb") as f:
        raw = f.read()
    doc = json.loads(raw)
    other = doc["otherData"]
    cut_at = other["truncated_at_bytes"]
    # the events end at the cut; the document's end follows at once
    assert raw[cut_at:cut_at + 3] == b"\n],"
    spans = [e for e in doc["traceEvents"] if e.get("cat") == "span"]
    assert 0 < len(spans) < sum(THREADS_CALLS.values())
    # at least every span not in the file is counted as not written (kernel events too)
    assert other["unwritten_events"] >= sum(THREADS_CALLS.values()) - len(spans)
    # the statistics count on past the cut
    assert summary_table(r.stderr) == {f: (n, n) for f, n in THREADS_CALLS.items()}
    assert (f"the trace reached --max-size {limit}: cut at {cut_at} bytes of events, "
            f"{other['unwritten_events']} events after that not written") in r.stderr


def test_max_size_not_reached_says_nothing(out):
    r = run(["--max-size", "64m", "-u", "outer", "-o", out, "--", target("threads"), "2", "5"])
    assert r.returncode == 0, r.stderr
    doc = json.loads(open(out).read())
    assert "truncated_at_bytes" not in doc["otherData"]
    assert len([e for e in doc["traceEvents"] if e.get("cat") == "span"]) == 10
    assert "--max-size" not in r.stderr


def run_on_pty(args, timeout=60, interrupt_after=None):
    """Runs spantrace with stderr on a pseudo-terminal (SIGINT after interrupt_after seconds,
    if given); returns (exit code, what it wrote)."""
    master, slave = pty.openpty()
    # wide enough that no line is cut to the terminal's width (status.c)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
    p = subprocess.Popen([SPANTRACE] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    data = b""
    start = time.monotonic()
    deadline = start + timeout
    while time.monotonic() < deadline:
        if interrupt_after is not None and time.monotonic() - start > interrupt_after:
            p.send_signal(signal.SIGINT)
            interrupt_after = None
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            data += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    return p.wait(timeout=10), data.decode(errors="replace")


def status_lines(text):
    """The status lines drawn: each starts after "\\r\\x1b[K" and ends at the next "\\r"
    (a line spantrace says takes the status line away, "\\r\\x1b[K", and starts after it)."""
    return [m for m in re.findall(r"\r\x1b\[K([^\r\n]*)", text)
            if m and not m.startswith("spantrace: ")]


def test_status_line_on_a_terminal(out):
    # the overhead guard off: it would stop tracing these hot functions after a second
    code, text = run_on_pty(["--max-overhead", "off", "-u", "hot_fn", "-u", "hot_inner", "-o",
                             out, "--", target("hammer"), "1", "4"])
    assert code == 0, text
    lines = status_lines(text)
    assert len(lines) >= 2, repr(text)
    parsed = []
    for line in lines:
        m = STATUS_RE.match(line)
        assert m, repr(line)
        parsed.append(m.groups())
    secs = [int(g[0]) for g in parsed]
    spans = [number(g[2]) for g in parsed]
    sizes = [number(g[5]) for g in parsed]
    assert secs == sorted(secs) and secs[-1] >= 2
    assert spans == sorted(spans) and spans[-1] > 0
    assert sizes == sorted(sizes) and sizes[-1] > 0
    assert all(number(g[1]) > 0 for g in parsed[1:])  # hot_fn runs throughout
    # no estimate without the overhead guard (test_guard.py shows it with the guard)
    assert all(g[6] is None and g[7] == "-" for g in parsed)
    # the line is taken away before any other line: each begins at the terminal's first column
    for m in re.finditer("spantrace: ", text):
        assert m.start() == 0 or text[:m.start()].endswith(("\n", "\r\x1b[K")), repr(text)
    plain = re.sub(r"\r\x1b\[K[^\r\n]*", "", text).replace("\r\n", "\n")
    assert "spantrace: tracing 2 functions in process" in plain
    assert "\nspantrace: stopped: the process exited; wrote " in plain
    assert re.search(r"^hot_fn\s+\d+", plain, re.M), plain


def test_status_line_quiet_or_not_a_terminal(out):
    code, text = run_on_pty(["-q", "-u", "hot_fn", "-o", out, "--", target("hammer"), "1", "2"])
    assert code == 0, text
    assert "\x1b[K" not in text and "events/s" not in text
    assert "spantrace: stopped: the process exited" in text
    r = run(["-u", "hot_fn", "-o", out, "--", target("hammer"), "1", "2"])
    assert r.returncode == 0, r.stderr
    assert "\x1b[K" not in r.stderr and "events/s" not in r.stderr


def test_stall_reports_keep_their_lines(out):
    """A stall report printed while the status line is up: the line is taken away before it
    and drawn again after it, so the report starts at the first column, whole."""
    prog = subprocess.Popen([target("pipestall"), "lock"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    f = read_line(prog.stdout).split()
    stuck, parent = int(f[3]), int(f[7])
    try:
        code, text = run_on_pty(["-p", str(parent), "-o", out, "--stall", "0.2"],
                                interrupt_after=3.5)
    finally:
        prog.stdin.write("release\n")
        prog.stdin.flush()
        prog.wait(timeout=30)
    assert code == 0, text
    reports = [m.start() for m in re.finditer(f"spantrace: stall: pid {stuck} ", text)]
    assert reports, repr(text)
    for at in reports:
        assert text[:at].endswith(("\n", "\r\x1b[K")), repr(text)
        line_end = text.index("\n", at)
        assert "events/s" not in text[at:line_end], repr(text)
    # drawn again after the first report, before the summary
    after = text[reports[0]:text.index("\nspan ") if "\nspan " in text else len(text)]
    assert any(STATUS_RE.match(ln) for ln in status_lines(after)), repr(text)
