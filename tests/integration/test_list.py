# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--list: the functions a SPEC matches and where each would be probed, attaching nothing.

Each listing is checked against the files themselves (nm, readelf: names and file offsets)
and against what tracing decides for the same SPECs (-v, its errors): both come from the same
code. Targets: a C program, a stripped Go program (names from .gopclntab), libc (.dynsym), a
running process, the Go runtime's write barriers (runtime.gcWriteBarrierR8 is refused), a C++
program (returns on RETs where exceptions unwind)."""
import fnmatch
import json
import os
import re
import subprocess

import pytest

from conftest import SPANTRACE, read_line, run, target

DEMO = os.path.realpath(target("demo"))
SLEEPER = os.path.realpath(target("sleeper"))
GOTASKS = os.path.realpath(target("gotasks"))
GO_STRIPPED = os.path.realpath(target("gotasks_stripped"))
GO_OLD = os.path.realpath(target("gotasks_old"))
GOWORK = os.path.realpath(target("gowork"))
CXX = os.path.realpath(target("exceptions"))

COLUMNS = ("object", "symbol", "name", "offset", "status", "entry", "instruction", "kind",
           "return", "why")
PUSH_RBP = "push rbp: the kernel emulates it (one trap, no single-step)"
NO_RET = ("it has no RET instruction nor tail jump (it never returns, or only through jumps no "
          "probe can tell), so its return cannot be probed on its instructions")
XCHG_R8 = ("its instruction at +0, 49 90 (xchg with r8) is an instruction the kernel's uprobe "
           "code emulates as a nop: a probe there would skip the exchange")


def listing(args):
    """spantrace --list ARGS: (result, rows), each row a dict of the ten tab-separated
    columns; a successful run writes nothing on stderr."""
    r = run(["--list"] + args)
    rows = []
    for line in r.stdout.splitlines():
        fields = line.split("\t")
        assert len(fields) == len(COLUMNS), f"not {len(COLUMNS)} columns: {line!r}"
        rows.append(dict(zip(COLUMNS, fields)))
    if r.returncode == 0:
        assert r.stderr == ""
    return r, rows


def by_symbol(rows):
    return {row["symbol"]: row for row in rows}


def load_segments(path):
    """(vaddr, memsz, offset) of each PT_LOAD of path, from readelf."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True,
                         check=True).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[2], 16), int(f[5], 16), int(f[1], 16)))
    return segs


def functions(path, pattern, dynamic=False):
    """{name: file offset} of path's function symbols matching pattern, from nm."""
    segs = load_segments(path)
    out = subprocess.run(["nm", "-D" if dynamic else "--defined-only", path],
                         capture_output=True, text=True, check=True).stdout
    funcs = {}
    for line in out.splitlines():
        f = line.split()
        name = f[-1].split("@")[0]  # .dynsym: "malloc@@GLIBC_2.2.5"
        if len(f) == 3 and f[1] in "TtWi" and fnmatch.fnmatchcase(name, pattern):
            addr = int(f[0], 16)
            funcs[name] = next(addr - v + o for v, m, o in segs if v <= addr < v + m)
    return funcs


def libc_path():
    """The libc the C targets map, as ldd resolves it (the path maps shows)."""
    out = subprocess.run(["ldd", DEMO], capture_output=True, text=True, check=True).stdout
    return os.path.realpath(re.search(r"libc\.so\.6 => (\S+)", out).group(1))


def test_c_program():
    """A C program's functions: names and offsets as in the file, each probed on its
    push (emulated), returns by uretprobe."""
    r, rows = listing(["demo_*", DEMO])
    assert r.returncode == 0
    want = functions(DEMO, "demo_*")
    assert len(want) == 4
    assert [row["symbol"] for row in rows] == sorted(want)
    for row in rows:
        assert row == {"object": DEMO, "symbol": row["symbol"], "name": row["symbol"],
                       "offset": hex(want[row["symbol"]]), "status": "ok", "entry": "+0",
                       "instruction": "push rbp", "kind": "emulated", "return": "uretprobe",
                       "why": PUSH_RBP}


def test_stripped_go_program():
    """A stripped Go program: the functions of .gopclntab, the same names at the same
    offsets as the unstripped build's .symtab, each probed on its stack check's branch,
    its returns on its RETs; main.fail, which never returns, refused with the reason."""
    r, rows = listing(["main.*", GO_STRIPPED])
    assert r.returncode == 0
    want = functions(GOTASKS, "main.*")
    assert len(want) == 17
    assert {row["symbol"]: int(row["offset"], 16) for row in rows} == want
    fail = by_symbol(rows)["main.fail"]
    assert (fail["status"], fail["entry"], fail["instruction"], fail["kind"], fail["return"],
            fail["why"]) == ("refused", "-", "-", "-", "-", NO_RET)
    for row in rows:
        if row["symbol"] == "main.fail":
            continue
        assert row["status"] == "ok" and row["kind"] == "emulated", row
        assert re.fullmatch(r"jbe? 0x[0-9a-f]+", row["instruction"]), row
        assert re.fullmatch(r"exits=[12]", row["return"]), row
        assert row["why"].startswith(row["instruction"] + ": the kernel emulates it"), row
    # the unstripped build lists the very same, from .symtab
    r, full = listing(["main.*", GOTASKS])
    assert r.returncode == 0
    assert [dict(row, object=None) for row in full] == [dict(row, object=None) for row in rows]


def test_library_function_by_object():
    """OBJECT:GLOB in a library (libc, .dynsym only) of a command that is not started:
    the library its dynamic loader would map."""
    libc = libc_path()
    r, rows = listing(["libc:malloc", "--", DEMO])
    assert r.returncode == 0
    assert len(rows) == 1
    row = rows[0]
    assert (row["object"], row["symbol"], row["offset"], row["status"], row["return"]) == \
        (libc, "malloc", hex(functions(libc, "malloc", dynamic=True)["malloc"]), "ok",
         "uretprobe")
    # FILE resolves its libraries the same way
    assert listing(["libc:malloc", DEMO])[1] == rows


@pytest.fixture
def sleeper():
    p = subprocess.Popen([SLEEPER, "600"], stdout=subprocess.PIPE, text=True)
    assert read_line(p.stdout).startswith("holding ")
    yield p
    p.kill()
    p.wait()


def test_running_process(sleeper, tmp_path):
    """-p PID: its executable and libraries as it maps them, the same lines as its files
    give, and not one bpf() or perf_event_open() call: the process runs on untouched."""
    trace = tmp_path / "strace.txt"
    r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf,perf_event_open", "-o",
                        str(trace), SPANTRACE,
                        "--list", "hold", "--list", "libc:nanosleep", "-p", str(sleeper.pid)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert trace.read_text() == ""
    _, from_files = listing(["hold", "--list", "libc:nanosleep", "--", SLEEPER])
    assert len(from_files) == 2
    assert r.stdout.splitlines() == ["\t".join(row[c] for c in COLUMNS) for row in from_files]
    assert sleeper.poll() is None


def test_exclusion():
    """-x leaves functions out, in the listing as in tracing; all of them is an error."""
    _, every = listing(["main.*", GO_STRIPPED])
    r, rows = listing(["main.*", "-x", "main.With*", "-x", "main.*.func1", GO_STRIPPED])
    assert r.returncode == 0
    assert [row["symbol"] for row in rows] == \
        [row["symbol"] for row in every
         if not fnmatch.fnmatchcase(row["symbol"], "main.With*") and
         not fnmatch.fnmatchcase(row["symbol"], "main.*.func1")]
    assert len(rows) == 17 - 8  # 4 With*, and 4 more *.func1
    r, rows = listing(["main.W*", "-x", "main.With*", GO_STRIPPED])
    assert (r.returncode, rows, r.stderr) == \
        (1, [], "spantrace: every function the SPECs match is left out by -x; narrow the "
                "exclusions\n")


def test_refused_write_barrier(tmp_path):
    """The Go runtime's write barriers: gcWriteBarrierR8 starts with `49 90`, refused with
    the reason tracing gives; the others where tracing -v puts them."""
    r, rows = listing(["runtime.gcWriteBarrier*", GOWORK])
    assert r.returncode == 0
    assert [row["symbol"] for row in rows] == sorted(functions(GOWORK, "runtime.gcWriteBarrier*"))
    assert len(rows) == 7
    r8 = by_symbol(rows)["runtime.gcWriteBarrierR8"]
    assert (r8["status"], r8["why"]) == ("refused", XCHG_R8)
    # tracing it alone refuses it with the very reason
    t = run(["-u", "runtime.gcWriteBarrierR8", "-o", str(tmp_path / "t.json"), "--", GOWORK])
    assert t.returncode == 1
    assert t.stderr == (f"spantrace: cannot trace runtime.gcWriteBarrierR8 in {GOWORK}: "
                        f"{r8['why']}; trace its callers, or the functions it calls\n")
    # tracing the others says where their entry probes sit, as the listing does
    t = run(["-v", "-u", "runtime.gcWriteBarrier*", "-o", str(tmp_path / "t.json"), "--",
             GOWORK, "1000"])
    assert t.returncode == 0, t.stderr
    placed = dict(re.findall(r"^spantrace: (runtime\.gcWriteBarrier\w*): (entry probe at .*)$",
                             t.stderr, re.M))
    ok = [row for row in rows if row["status"] == "ok"]
    assert len(ok) == 6
    for row in ok:
        assert row["return"] == "exits=1"
        assert placed[row["symbol"]] == (f"entry probe at {row['entry']}, {row['why']}; "
                                         "returns: 1 way out (RETs, tail jumps)")


def test_json_lines():
    """--format json: one object a line, parsed by the json module, saying what the text
    columns say."""
    _, text = listing(["runtime.gcWriteBarrier*", GOWORK])
    r = run(["--list", "runtime.gcWriteBarrier*", "--format", "json", GOWORK])
    assert r.returncode == 0 and r.stderr == ""
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(objs) == len(text) == 7
    for o, row in zip(objs, text):
        exits = row["return"].startswith("exits=")
        assert o == {"object": row["object"], "symbol": row["symbol"], "name": row["name"],
                     "offset": int(row["offset"], 16), "status": row["status"],
                     "entry": None if row["entry"] == "-" else int(row["entry"][1:]),
                     "instruction": None if row["instruction"] == "-" else row["instruction"],
                     "kind": None if row["kind"] == "-" else row["kind"],
                     "return": "exits" if exits else None if row["return"] == "-" else
                     row["return"],
                     **({"exits": int(row["return"][6:]), "hidden": 0} if exits else {}),
                     "why": row["why"]}


def test_cxx_returns_on_rets():
    """A C++ program maps libstdc++: exceptions can unwind, so returns are probed on RETs,
    listed from its file as from its command."""
    r, rows = listing(["main", CXX])
    assert r.returncode == 0
    assert len(rows) == 1 and re.fullmatch(r"exits=\d+", rows[0]["return"])
    assert listing(["main", "--", CXX])[1] == rows
    # the unwinder's own throw never returns: refused, with why a uretprobe would not do
    r, rows = listing(["libstdc++:__cxa_throw", CXX])
    assert r.returncode == 0
    assert rows[0]["status"] == "refused"
    assert rows[0]["why"] == NO_RET + (", and in a process that can unwind exceptions a "
                                       "uretprobe would end it in std::terminate when one "
                                       "passes")


def test_pairs_and_unsupported_go():
    """--span's ends are listed as begin and end, after Go's stack check; a Go older than
    the register ABI is listed, every function refused with tracing's own error."""
    r, rows = listing(["main.grow", "--span", "main.WithSpan:name=arg2=main.WithSpan.func1",
                       GO_STRIPPED])
    assert r.returncode == 0
    rows = by_symbol(rows)
    assert [(s, rows[s]["return"], rows[s]["entry"]) for s in sorted(rows)] == \
        [("main.WithSpan", "begin", "+6"), ("main.WithSpan.func1", "end", "+6"),
         ("main.grow", "exits=2", "+10")]
    assert rows["main.WithSpan"]["why"] == ("after the stack check, where a begin/end function "
                                            "passes once even when its stack grows")
    r, rows = listing(["main.*", GO_OLD])
    assert r.returncode == 0 and len(rows) == 17
    t = run(["-u", "main.grow", "--", GO_OLD])
    assert t.returncode == 1
    why = t.stderr.removeprefix("spantrace: ").removesuffix("\n")
    assert re.fullmatch(re.escape(GO_OLD) + r" was built with go1\.16\.\d+, before Go's "
                        r"register ABI \(1\.17\).*", why)
    assert {(row["status"], row["why"]) for row in rows} == {("refused", why)}


def test_loader_not_run_unless_system_file(tmp_path):
    """FILE whose dynamic loader is not a system file: not run to list its libraries."""
    loader = tmp_path / "ld.sh"
    ran = tmp_path / "ran"
    loader.write_text(f"#!/bin/sh\ntouch {ran}\n")
    loader.chmod(0o777)
    src = tmp_path / "p.c"
    src.write_text("int f(void) { return 1; }\nint main(void) { return f(); }\n")
    prog = tmp_path / "p"
    subprocess.run(["cc", "-O1", f"-Wl,--dynamic-linker={loader}", str(src), "-o", str(prog)],
                   check=True)
    r, rows = listing(["f", str(prog)])
    assert (r.returncode, rows) == (1, [])
    assert r.stderr == (f"spantrace: will not run {loader}, the dynamic loader {prog} names, "
                        "to find its libraries: not a system file (a regular file owned by "
                        "root, in a directory of root's, that no one else may write); give -- "
                        f"{prog} to resolve it as the command would start, or -p PID while it "
                        "runs\n")
    assert not ran.exists()


def test_errors(tmp_path):
    """Bad input: one line, no listing, exit 1 (2 for the command line)."""
    notelf = tmp_path / "notelf"
    notelf.write_text("not an ELF file\n")
    cases = [
        (["nosuchfn", DEMO], 1,
         rf"'nosuchfn' matches no function in {re.escape(DEMO)} \(searched \.symtab and "
         r"\.dynsym: \d+ functions\)"),
        (["demo_parze", DEMO], 1,
         rf"'demo_parze' matches no function in {re.escape(DEMO)} \(searched \.symtab and "
         r"\.dynsym: \d+ functions\); did you mean demo_parse.*\?"),
        (["libnothere:f", DEMO], 1,
         r"no object matching 'libnothere' is mapped in the target \(mapped: demo, "
         r"ld-linux-x86-64\.so\.2, libc\.so\.6\); use a prefix of one of these names or an "
         r"absolute path"),
        (["f", str(notelf)], 1, rf"cannot read symbols of {re.escape(str(notelf))}: not an ELF "
         r"file"),
        (["f", str(tmp_path / "missing")], 1,
         rf"cannot read {re.escape(str(tmp_path / 'missing'))}: No such file or directory"),
        (["f", str(tmp_path)], 1, rf"cannot read {re.escape(str(tmp_path))}: it is a directory, "
         r"not a regular file"),
        (["f", "--", "no-such-command-anywhere"], 1,
         r"cannot run 'no-such-command-anywhere': command not found in PATH"),
        (["f", "-p", "2147483647"], 1, r"no process with PID 2147483647; check the PID with ps"),
        (["f"], 2, r"--list needs where to look: -p PID, -- COMMAND or FILE; see --help"),
        (["f", "-o", "t.json", DEMO], 2,
         r"-o \(--output\) has no use with --list, which attaches nothing and writes no trace; "
         r"drop it"),
        (["f", DEMO, "x"], 2,
         r"unexpected argument 'x'; --list looks into one FILE, or a command given after '--'"),
    ]
    for args, rc, msg in cases:
        r = run(["--list"] + args)
        assert (r.returncode, r.stdout) == (rc, ""), (args, r)
        assert re.fullmatch("spantrace: " + msg + "\n", r.stderr), (args, r.stderr)
