# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--save-records: the raw ring-buffer records of a run (format in user/core/recfile.h), and
bench/replay feeding them through the loader's decoder to the same spans."""
import json
import os
import re
import struct
import subprocess

import pytest

from conftest import BUILD, run, target

REPLAY = os.path.join(BUILD, "bench", "replay")
NTHREADS, ITERS = 4, 10
NSPANS = NTHREADS * ITERS * 10  # outer, 3 middle, 6 leaf
SPECS = ["-u", "outer", "-u", "middle", "-u", "leaf"]
ST_REC_SPAN_BEGIN, ST_REC_SPAN_END = 1, 2


def read_records(path):
    """(target pid, [(role, pair, name, func, object)], [record bytes])"""
    data = open(path, "rb").read()
    assert data[:8] == b"SPANREC1"
    pid, n = struct.unpack_from("<II", data, 8)
    pos, probes = 16, []
    for _ in range(n):
        role, pair = struct.unpack_from("<II", data, pos)
        pos += 8
        strs = []
        for _ in range(3):
            end = data.index(b"\0", pos)
            strs.append(data[pos:end].decode())
            pos = end + 1
        probes.append((role, pair, *strs))
    records = []
    while pos < len(data):
        (size,) = struct.unpack_from("<I", data, pos)
        pos += 4
        records.append(data[pos:pos + size])
        pos += size
    assert pos == len(data), "the file ends inside a record"
    return pid, probes, records


def span_lines(path):
    """The span events of a trace, one JSON line each, sorted."""
    with open(path) as f:
        return sorted(line.rstrip(",\n") for line in f if '"cat":"span"' in line)


def event_lines(path):
    """Every line of a trace without its separator, sorted: the writer's order of spans
    and kernel events depends on when the reorder window released them."""
    with open(path) as f:
        return sorted(line.rstrip(",\n") for line in f)


def test_save_records_and_replay(tmp_path):
    out, rec = str(tmp_path / "trace.json"), str(tmp_path / "rec.bin")
    r = run(["--save-records", rec, "-o", out, *SPECS, "--",
             target("threads"), str(NTHREADS), str(ITERS)])
    assert r.returncode == 0, r.stderr

    pid, probes, records = read_records(rec)
    trace = json.load(open(out))["traceEvents"]
    assert {e["pid"] for e in trace if e.get("cat") == "span"} == {pid}
    assert sorted(p[2] for p in probes) == ["leaf", "middle", "outer"]
    assert all(p[:2] == (0, 0) and p[2] == p[3] and p[4] == target("threads") for p in probes)
    # every record the loader read, spans and kernel events alike
    assert all(len(x) >= 16 for x in records)
    types = [x[0] for x in records]
    assert types.count(ST_REC_SPAN_BEGIN) == NSPANS
    assert types.count(ST_REC_SPAN_END) == NSPANS
    assert len(set(types)) > 2

    if not os.path.exists(REPLAY):
        pytest.skip(f"{REPLAY} not built: make {os.path.relpath(REPLAY, os.path.dirname(BUILD))}")
    replayed = str(tmp_path / "replay.json")
    p = subprocess.run([REPLAY, "--out", replayed, rec], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert f"spans {NSPANS} " in p.stdout
    assert span_lines(replayed) == span_lines(out)
    assert len(span_lines(out)) == NSPANS
    # The kernel events too, through the same decoder: with the kernel's symbols for the
    # stacks of waits, the whole trace is the loader's, but for what the loader measured of
    # the machine (otherData's probe costs, calibrated at start), which no record holds.
    p = subprocess.run([REPLAY, "--kallsyms", "/proc/kallsyms", "--out", replayed, rec],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert f"events {len(records)} " in p.stdout and "; 0 malformed;" in p.stdout
    loader = [re.sub(r',"probe_cost_ns":\{[^}]*\}', "", line) for line in event_lines(out)]
    assert event_lines(replayed) == loader
    t = json.load(open(replayed))["traceEvents"]
    assert {e.get("cat") for e in t} >= {"span", "task", "exec", "exit"}


def test_save_records_unwritable(tmp_path):
    bad = str(tmp_path / "no" / "such" / "dir" / "rec.bin")
    r = run(["--save-records", bad, "-o", str(tmp_path / "t.json"), *SPECS, "--",
             target("threads"), "1", "1"])
    assert r.returncode == 1
    assert f"cannot write the records to {bad}: No such file or directory" in r.stderr
    assert not os.path.exists(tmp_path / "t.json")


ST_REC_SPAN_NAMED, ST_NAME_F_FAULT = 12, 2
SPEC_BEGIN = 1


def named_fault_record(pid, tid, ts, ptr):
    """An ST_REC_SPAN_NAMED whose name the uprobe "could not read": at ptr in process pid."""
    hdr = struct.pack("<BBHIQ", ST_REC_SPAN_NAMED, 0, 0, tid, ts)
    # pid, probe, goid, ptr, sp, sdepth, len (0: to the NUL), nflags, pad, name[64]
    return hdr + struct.pack("<IIQQQIHBB64s", pid, 0, 0, ptr, 0, 0, 0, ST_NAME_F_FAULT, 0, b"")


def test_replay_reads_no_process_memory(tmp_path):
    """A crafted record file naming another process and an address in it: replay must not
    read that process's memory (it runs as whoever runs it, root here). The span keeps its
    function's name and the name is counted as unread."""
    if not os.path.exists(REPLAY):
        pytest.skip(f"{REPLAY} not built: make {os.path.relpath(REPLAY, os.path.dirname(BUILD))}")
    holder = subprocess.Popen(
        ["/usr/bin/python3", "-c",
         "import ctypes, os, sys\n"
         "secret = b'st-secret-' + os.urandom(8).hex().encode()\n"
         "buf = ctypes.create_string_buffer(secret)\n"
         "print(ctypes.addressof(buf), secret.decode(), flush=True)\n"
         "sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        addr, secret = holder.stdout.readline().split()
        rec = tmp_path / "crafted.bin"
        name = b"span_begin\0"
        header = b"SPANREC1" + struct.pack("<II", holder.pid, 1) + \
            struct.pack("<II", SPEC_BEGIN, 0) + name + name + b"/bin/crafted\0"
        record = named_fault_record(holder.pid, holder.pid, 1000, int(addr))
        rec.write_bytes(header + struct.pack("<I", len(record)) + record)
        replayed = tmp_path / "replay.json"
        p = subprocess.run([REPLAY, "--out", str(replayed), str(rec)], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        text = replayed.read_text()
        assert secret not in text and secret not in p.stdout + p.stderr
        spans = [e for e in json.loads(text)["traceEvents"] if e.get("cat") == "span"]
        assert [(e["name"], e["pid"], e["args"].get("unfinished")) for e in spans] == \
            [("span_begin", holder.pid, True)]
        assert "1 span names not read" in p.stdout
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
