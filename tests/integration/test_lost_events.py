# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Lost events: a ring buffer far too small (--ringbuf-size 4096) for two threads that call
hot_fn -> hot_inner as fast as they can. Events are lost; the trace says how many and on how
many threads, and every span it does not mark after_loss is exactly right: each hot_fn holds
exactly one hot_inner and lies in no other span, each hot_inner lies in a hot_fn, and it
ended. The summary leaves the marked spans out of its table and says how many."""
import collections
import re

from conftest import Trace, assert_nothing_attached, run, target


def nest(spans):
    """Each span's enclosing span (by time, on its track) and its children."""
    by_track = collections.defaultdict(list)
    for e in spans:
        e["_kids"] = []
        by_track[(e["pid"], e["tid"])].append(e)
    for track in by_track.values():
        track.sort(key=lambda e: (e["_start"], -e["_end"]))
        stack = []
        for e in track:
            while stack and stack[-1]["_end"] <= e["_start"]:
                stack.pop()
            e["_parent"] = stack[-1] if stack else None
            if stack:
                stack[-1]["_kids"].append(e)
            stack.append(e)


def test_tiny_ring_buffer(out):
    # the guard off: hot_fn is as hot as a function can be, and this is about loss
    r = run(["--ringbuf-size", "4096", "--max-overhead", "off", "-u", "hot_fn", "-u",
             "hot_inner", "-o", out, "--", target("hammer"), "2", "1"])
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"calls \d+\n", r.stdout)
    t = Trace(out)
    t.parents()  # every span, marked or not, nests exactly in time

    # the loss, told: the loader's count, on the worker threads
    lost = int(re.search(r"; events lost: (\d+)$", r.stderr, re.M).group(1))
    assert lost > 0, r.stderr
    other = t.doc["otherData"]
    marked = [e for e in t.spans if e["args"].get("after_loss")]
    assert other["lost_events"] == lost
    workers = {e["tid"] for e in t.spans}
    assert len(workers) == 2
    assert 1 <= other["lost_events_tasks"] <= len(workers)
    assert other["after_loss_spans"] == len(marked)
    m = re.search(r"^span events were lost on (\d+) tasks?: (\d+) spans they may have made "
                  r"wrong are marked after_loss in the trace and left out of the table above$",
                  r.stderr, re.M)
    assert m, r.stderr
    assert (int(m.group(1)), int(m.group(2))) == (other["lost_events_tasks"], len(marked))

    # every unmarked span is exactly right
    nest(t.spans)
    wrong = collections.Counter()
    for e in t.spans:
        if e["args"].get("after_loss"):
            continue
        p = e["_parent"]
        if e["args"].get("unfinished"):
            wrong["unfinished"] += 1
        if e["name"] == "hot_inner":
            if not p or p["name"] != "hot_fn":
                wrong["hot_inner outside hot_fn"] += 1
            if e["_kids"]:
                wrong["spans inside hot_inner"] += 1
        else:
            assert e["name"] == "hot_fn"
            if p:
                wrong[f"hot_fn inside {p['name']}"] += 1
            if [k["name"] for k in e["_kids"]] != ["hot_inner"]:
                wrong[f"hot_fn holding {len(e['_kids'])} spans"] += 1
    assert not wrong, wrong

    # the summary's table counts the unmarked spans only
    table = {l.split()[0]: int(l.split()[1]) for l in r.stderr.splitlines()
             if l.split()[:1] in (["hot_fn"], ["hot_inner"])}
    assert table == collections.Counter(e["name"] for e in t.spans
                                        if not e["args"].get("after_loss"))
    assert_nothing_attached()
