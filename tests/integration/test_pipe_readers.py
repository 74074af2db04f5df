# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Who holds up a writer waiting for room in a pipe: the reader, found in /proc by a search
that never holds up the event loop. Until the search has settled it, a pipe write says its
readers are not known yet; never "nobody". Real pipes, real writers (pipestall trickle: a
writer that waits briefly, many times, in one 1 MiB write, so that no single wait is long
enough for the loop to ask about it while it lasts: the first question comes from the
write's own record, when it ends)."""
import subprocess
import time

from conftest import SPANTRACE, Trace, assert_nothing_attached, read_line, target, wait_stderr_for

NOT_KNOWN_YET = "the pipe is full; its readers are not known yet (/proc was still being searched)"
HOLDS_READ_END = "the pipe is full; holds the read end and does not read"
MIN_WAIT = "200"  # each wait of the writer is ~DELAY_MS, its whole write far longer
MIB = 1048576


def trickle(writes, delay_ms):
    """pipestall trickle, untraced: (process, writer pid, reader pid, pipe inode)."""
    prog = subprocess.Popen([target("pipestall"), "trickle", str(writes), str(delay_ms)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    f = read_line(prog.stdout).split()
    return prog, int(f[1]), int(f[3]), int(f[5])


def go(prog):
    prog.stdin.write("go\n")
    prog.stdin.flush()


def trace_writer(writer, out, *extra):
    """spantrace -p writer, attached."""
    tracer = subprocess.Popen([SPANTRACE, "-p", str(writer), "-o", out, "--min-wait", MIN_WAIT,
                               *extra], stderr=subprocess.PIPE, text=True)
    wait_stderr_for(tracer, "tracing ")
    return tracer


def test_untraced_reader_not_known_yet_then_found(out):
    """The reader is not traced: the search reads the traced processes (the writer alone
    here), then the rest of the host. The first write ends before it has begun: not known
    yet. By the second write it has settled: the reader, from the rest of the host."""
    prog, writer, reader, ino = trickle(2, 2)
    tracer = trace_writer(writer, out)
    try:
        go(prog)
        assert read_line(prog.stdout, 30).strip() == f"read {MIB}"
        time.sleep(1)  # the search, a slice at a time between reads of the ring
        go(prog)
        assert read_line(prog.stdout, 30).strip() == f"read {MIB}"
        assert read_line(prog.stdout, 30).strip() == "writer exit 0"
    finally:
        prog.stdin.close()
    assert prog.wait(timeout=30) == 0
    err = tracer.stderr.read()
    assert tracer.wait(timeout=30) == 0, err
    assert "pipe writes: 2 (2097152 bytes) on 1 pipe, 2 blocked" in err

    t = Trace(out)
    first, second = sorted(t.pipe_writes(), key=lambda e: e["ts"])
    for pw in (first, second):
        assert (pw["pid"], pw["tid"]) == (writer, writer)
        assert (pw["args"]["pipe"], pw["args"]["result"]) == (ino, MIB)
        assert "unfinished" not in pw["args"]
    assert first["args"]["blocked_reason"] == NOT_KNOWN_YET
    assert "blocked_by" not in first["args"]
    assert (second["args"]["blocked_by"], second["args"]["blocked_reason"]) == \
        (reader, HOLDS_READ_END)
    # no single wait for room was long enough to be drawn, nor to be asked about while it
    # lasted (those drawn are for the parent's word, on another pipe)
    assert [w for w in t.waits() if w["args"].get("pipe") == ino] == []
    assert_nothing_attached()


def test_traced_reader_not_known_yet_then_found(out):
    """The reader is the traced parent: found among the traced processes, the first part of
    the search. Still not known when the first write ends: the search begins with it."""
    tracer = subprocess.Popen([SPANTRACE, "-o", out, "--min-wait", MIN_WAIT, "--",
                               target("pipestall"), "trickle", "2", "2"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    f = read_line(tracer.stdout).split()
    writer, reader, ino = int(f[1]), int(f[3]), int(f[5])
    go(tracer)
    assert read_line(tracer.stdout, 30).strip() == f"read {MIB}"
    time.sleep(1)
    go(tracer)
    assert read_line(tracer.stdout, 30).strip() == f"read {MIB}"
    assert read_line(tracer.stdout, 30).strip() == "writer exit 0"
    err = tracer.stderr.read()
    assert tracer.wait(timeout=30) == 0, err

    t = Trace(out)
    first, second = sorted((p for p in t.pipe_writes() if p["args"]["pipe"] == ino),
                           key=lambda e: e["ts"])
    assert first["args"]["blocked_reason"] == NOT_KNOWN_YET
    assert "blocked_by" not in first["args"]
    assert (second["args"]["blocked_by"], second["args"]["blocked_reason"]) == \
        (reader, HOLDS_READ_END)
    assert {first["tid"], second["tid"]} == {writer}
    assert_nothing_attached()


def test_reader_searched_for_at_the_stop(out):
    """A write still waiting when tracing stops, never asked about before (each of its
    waits is short): at the stop nothing more comes into the ring, so the search runs
    while the last record asks, and the unfinished write names its reader."""
    prog, writer, reader, ino = trickle(1, 8)  # 1 MiB at 4 KiB per 8 ms: about 2 s
    tracer = trace_writer(writer, out, "-d", "1")
    try:
        go(prog)
        err = tracer.stderr.read()
        assert tracer.wait(timeout=30) == 0, err
        assert "stopped: the duration elapsed" in err
        assert read_line(prog.stdout, 30).strip() == f"read {MIB}"
        assert read_line(prog.stdout, 30).strip() == "writer exit 0"
    finally:
        prog.stdin.close()
    assert prog.wait(timeout=30) == 0

    [pw] = Trace(out).pipe_writes()
    assert (pw["tid"], pw["args"]["pipe"], pw["args"]["unfinished"]) == (writer, ino, True)
    assert (pw["args"]["blocked_by"], pw["args"]["blocked_reason"]) == (reader, HOLDS_READ_END)
    assert_nothing_attached()
