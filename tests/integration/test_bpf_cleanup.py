# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The check that nothing stays attached (conftest.assert_nothing_attached) is only as good
as what it sees: while spantrace runs, it must see every program, map and link spantrace
loaded; after spantrace ends, none may be left."""
import subprocess

import pytest

import conftest
from conftest import LEGACY, MULTI, SPANTRACE, assert_nothing_attached, kernel_name, read_line, \
    target, wait_stderr_for

# The kernel-event programs attached here (no kprobes on this machine: tracepoints only).
KERNEL_EVENT_LINKS = ["on_exec", "on_exit_tp", "on_fork", "on_signal", "on_switch",
                      "on_sys_enter", "on_sys_exit"]


@pytest.mark.parametrize("env", [MULTI, LEGACY], ids=["multi", "legacy"])
def test_everything_seen_then_gone(env, out):
    prog = subprocess.Popen([target("threads"), "--wait", "2", "3"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    pid = int(read_line(prog.stdout).split()[1])
    tracer = subprocess.Popen([SPANTRACE, "-p", str(pid), "-o", out, "-u", "outer"],
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_stderr_for(tracer, "tracing")
        seen = conftest.spantrace_bpf_objects(conftest._bpf_before)
        prog_names, map_names = conftest.spantrace_bpf_names()
        # every program but the named-span one (loaded only for --span ...:name=), make
        # bench's empty one (only with SPANTRACE_BENCH_FLOOR) and the feature probe (closed
        # at once); every map, and the two of the data sections
        progs = prog_names - {"span_enter_named", "span_floor", "st_umulti_probe"}
        assert seen["progs"] == sorted(kernel_name(n) for n in progs)
        assert seen["maps"] == sorted(map_names | {"spantrac.rodata", "spantrac.bss"})
        # the kernel-event tracepoints, and the uprobes on outer: one uprobe_multi link per
        # object and direction (bpftool 7.1 knows no name for its type: 12), or one
        # perf-event link per function and direction
        links = [(p, "uprobe_multi" if t == "12" else t) for p, t in seen["links"]]
        uprobe = "uprobe_multi" if env is MULTI else "perf_event"
        assert links == sorted([(p, "raw_tracepoint") for p in KERNEL_EVENT_LINKS] +
                               [("span_enter", uprobe), ("span_exit", uprobe)])
    finally:
        prog.stdin.write("go\n")
        prog.stdin.close()
        assert prog.wait(timeout=30) == 0
        err = tracer.stderr.read()
        assert tracer.wait(timeout=30) == 0, err
    assert_nothing_attached()
