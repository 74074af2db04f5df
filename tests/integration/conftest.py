# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Helpers for running the real tracer against real targets (root only)."""
import collections
import functools
import json
import os
import select
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The build under test: build/ unless SPANTRACE_BUILD names another (make coverage runs
# these tests against its instrumented copy in build-cov/); relative to the top directory.
BUILD = os.path.join(ROOT, os.environ.get("SPANTRACE_BUILD", "build"))
SPANTRACE = os.path.join(BUILD, "spantrace")
TARGETS = os.path.join(BUILD, "targets")


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="integration tests need root (BPF and uprobes): run as root")
        for item in items:
            item.add_marker(skip)


def target(name):
    return os.path.join(TARGETS, name)


# What libbpf calls the object (the skeleton's name, Makefile): its data sections become
# maps named after it, e.g. "spantrac.rodata".
BPF_OBJECT = os.path.join(BUILD, "spantrace.bpf.o")
BPF_OBJECT_NAME = "spantrace_bpf"
BPF_DATA_SECTIONS = (".rodata", ".bss", ".data")
# The program user/live/kfeatures.c loads to ask whether the kernel has uprobe_multi links.
FEATURE_PROBE_PROG = "st_umulti_probe"
KERNEL_NAME_LEN = 15  # BPF_OBJ_NAME_LEN - 1: the kernel cuts names to this


def kernel_name(name):
    """A program's or map's name as the kernel keeps it (bpftool may show the whole name,
    from the program's BTF)."""
    return name[:KERNEL_NAME_LEN]


@functools.lru_cache(maxsize=None)
def spantrace_bpf_names():
    """(program names, map names) of spantrace's BPF object, from its BTF: its global
    functions, the variables of its .maps section, and the feature probe's program."""
    out = subprocess.run(["bpftool", "-j", "btf", "dump", "file", BPF_OBJECT],
                         capture_output=True, text=True, check=True).stdout
    types = {t["id"]: t for t in json.loads(out)["types"]}
    progs = {t["name"] for t in types.values()
             if t["kind"] == "FUNC" and t.get("linkage") == "global"}
    maps = {types[v["type_id"]]["name"] for t in types.values()
            if t["kind"] == "DATASEC" and t["name"] == ".maps" for v in t["vars"]}
    progs.add(FEATURE_PROBE_PROG)
    return progs, maps


def is_data_section_map(name):
    return any(name.endswith(sec) and BPF_OBJECT_NAME.startswith(name[:-len(sec)])
               for sec in BPF_DATA_SECTIONS)


def bpf_show(kind):
    """What `bpftool -j KIND show` lists: the kernel's BPF programs, maps or links."""
    out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out) or []


def bpf_ids():
    """The ids of every BPF program, map and link loaded now."""
    return {kind: {o["id"] for o in bpf_show(kind)} for kind in ("prog", "map", "link")}


def spantrace_bpf_objects(before):
    """spantrace's programs, maps and links loaded now that were not in before (bpf_ids()):
    those named as its object's programs and maps, and links to those programs. Names as
    the kernel keeps them (kernel_name)."""
    prog_names, map_names = ({kernel_name(n) for n in names} for names in spantrace_bpf_names())
    progs = [p for p in bpf_show("prog")
             if p["id"] not in before["prog"] and kernel_name(p.get("name", "")) in prog_names]
    maps = [m for m in bpf_show("map") if m["id"] not in before["map"] and
            (kernel_name(m.get("name", "")) in map_names or
             is_data_section_map(m.get("name", "")))]
    prog_name = {p["id"]: p["name"] for p in progs}
    links = [ln for ln in bpf_show("link")
             if ln["id"] not in before["link"] and ln.get("prog_id") in prog_name]
    return {"progs": sorted(kernel_name(p["name"]) for p in progs),
            "maps": sorted(kernel_name(m["name"]) for m in maps),
            "links": sorted((kernel_name(prog_name[ln["prog_id"]]), str(ln.get("type")))
                            for ln in links)}


_bpf_before = None  # bpf_ids() when the running test began, for assert_nothing_attached


@pytest.fixture(autouse=True)
def bpf_snapshot(request):
    """For tests that check that nothing stays attached: what was loaded before them, so
    that only what appeared during the test counts (other BPF users come and go)."""
    global _bpf_before
    _bpf_before = bpf_ids() if "assert_nothing_attached" in vars(request.module) else None
    yield


def assert_nothing_attached(timeout=10.0):
    """None of spantrace's programs, maps or links that appeared during this test is still
    loaded. The kernel frees a closed link, and then its program and maps, after an RCU
    grace period, so they can outlive spantrace by a moment: wait for that, bounded."""
    assert _bpf_before is not None, "the bpf_snapshot fixture did not run for this test"
    end = time.monotonic() + timeout
    while True:
        left = spantrace_bpf_objects(_bpf_before)
        if not any(left.values()) or time.monotonic() > end:
            break
        time.sleep(0.05)
    assert not any(left.values()), f"spantrace's BPF objects still loaded: {left}"


def read_line(stream, timeout=10.0):
    """One line from a pipe, failing the test instead of hanging. Reads the fd byte-wise
    so that no line waits in Python's buffer while select() sleeps on the fd."""
    fd = stream.fileno()
    buf = b""
    end = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = end - time.monotonic()
        r, _, _ = select.select([fd], [], [], max(left, 0))
        assert r, f"timed out waiting for a line (got {buf!r})"
        c = os.read(fd, 1)
        if not c:
            break
        buf += c
    return buf.decode()


def wait_stderr_for(proc, needle, timeout=60.0):
    """Reads spantrace's stderr until a line contains needle; returns the lines read."""
    lines = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = read_line(proc.stderr, end - time.monotonic())
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"spantrace never said {needle!r}; stderr so far: {lines!r}")


class Trace:
    """A Chrome trace, parsed with the json module, with exact-nesting checks."""

    def __init__(self, path):
        with open(path) as f:
            self.doc = json.load(f)
        assert isinstance(self.doc, dict) and isinstance(self.doc["traceEvents"], list)
        self.events = self.doc["traceEvents"]
        self.slices = [e for e in self.events if e["ph"] == "X"]
        for e in self.slices:
            assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float))
            assert e["dur"] >= 0
            # Integer nanoseconds: the writer prints microseconds with 3 decimals.
            e["_start"] = round(e["ts"] * 1000)
            e["_end"] = e["_start"] + round(e["dur"] * 1000)
        self.meta = [e for e in self.events if e["ph"] == "M"]
        # span functions; kernel events are slices and instants of other categories
        self.spans = [e for e in self.slices if e.get("cat") == "span"]

    def of_cat(self, cat, ph="X"):
        return [e for e in self.events if e.get("cat") == cat and e["ph"] == ph]

    def waits(self):
        return self.of_cat("wait")

    def pipe_writes(self):
        return self.of_cat("pipe")

    def instants(self, cat):
        return self.of_cat(cat, "i")

    def flows(self):
        """(from_pid, from_tid, to_pid, to_tid, name) per flow, checking start and end pair up."""
        starts = {e["id"]: e for e in self.events if e["ph"] == "s"}
        ends = {e["id"]: e for e in self.events if e["ph"] == "f"}
        assert starts.keys() == ends.keys(), "flow starts and ends do not pair up"
        return sorted((starts[i]["pid"], starts[i]["tid"], ends[i]["pid"], ends[i]["tid"],
                       starts[i]["name"]) for i in starts)

    def counts(self):
        return collections.Counter(e["name"] for e in self.spans)

    def thread_names(self):
        return {e["tid"]: e["args"]["name"] for e in self.meta if e["name"] == "thread_name"}

    def process_names(self):
        return {e["pid"]: e["args"]["name"] for e in self.meta if e["name"] == "process_name"}

    def unfinished(self):
        return [e for e in self.spans if e.get("args", {}).get("unfinished")]

    def parents(self, slices=None):
        """Counter of (parent name or None, child name), checking exact nesting per thread:
        a child lies inside its parent (in nanoseconds, and in doubles as a
        strict validator adds ts and dur) and siblings never overlap. Spans by default."""
        pairs = collections.Counter()
        by_tid = collections.defaultdict(list)
        for e in (self.spans if slices is None else slices):
            by_tid[(e["pid"], e["tid"])].append(e)
        for spans in by_tid.values():
            spans.sort(key=lambda e: (e["_start"], -e["_end"]))
            stack = []
            for e in spans:
                while stack and stack[-1]["_end"] <= e["_start"]:
                    stack.pop()
                if stack:
                    p = stack[-1]
                    assert e["_end"] <= p["_end"], f"{e['name']} overlaps its parent {p['name']}"
                    # as a strict validator reads it: ts + dur in doubles
                    assert e["ts"] + e["dur"] <= p["ts"] + p["dur"], \
                        f"{e['name']} ends after its parent {p['name']} in double arithmetic"
                pairs[(stack[-1]["name"] if stack else None, e["name"])] += 1
                stack.append(e)
        return pairs


def run(args, env=None, **kw):
    return subprocess.run([SPANTRACE] + args, capture_output=True, text=True, timeout=120,
                          env=env, **kw)


# Attach paths: uprobe_multi links where the kernel has them, and the per-function
# perf-event uprobes older kernels need, forced here so this kernel tests both.
MULTI = dict(os.environ, SPANTRACE_NO_UPROBE_MULTI="0")
LEGACY = dict(os.environ, SPANTRACE_NO_UPROBE_MULTI="1")


@pytest.fixture
def out(tmp_path):
    return str(tmp_path / "trace.json")
