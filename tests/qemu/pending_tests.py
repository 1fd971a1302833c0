#!/usr/bin/env python3
"""Pending swaps (docs/live-swap.md, "Pending swaps"): a swap of a cell its callers never leave
for long — busy, called back to back by busyload's tasks — commits every time: the callers are
held at the gate or caught by a return barrier as they leave, never by luck. A task that stays
inside past the deadline gets everything put back and finishes its call in the old version;
Ctrl-C does the same; a task that faults or is killed while carrying a barrier leaves nothing
behind; bt reads through a barrier. One VM per case.

    pending_tests.py --build DIR [--workdir DIR] CASE...
    pending_tests.py --list
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import KeelShell, run_cases  # noqa: E402
from keelctlrun import KeelCtl  # noqa: E402
from checks import check, has, hasnt, ok  # noqa: E402

FAULT = r"CPU exception|panic|PANIC|LEAK"
# Guest time can run ahead of the host's in bursts (TCG reads the host's TSC; seen on a loaded
# CI machine at 4 CPUs: seconds at once), so two deadlines a test races are never close: a swap
# that must outwait a task gets LONG_MS, a task that must outlast a short deadline OUTLAST_MS.
LONG_MS = 60000
OUTLAST_MS = 6000
STATUS = r"^busyload: (\d+) tasks, (\d+) calls, (\d+) wrong; by version:(.*)$"


def status(sh):
    """(tasks, calls, wrong, {version: calls}) of busyload."""
    m = has(ok(sh, "run busyload status"), STATUS)
    by = {int(v): int(n) for v, n in re.findall(r" v(\d+) (\d+)", m[4])}
    return int(m[1]), int(m[2]), int(m[3]), by


def version(sh):
    return int(has(ok(sh, "cells"), r"^busy\s+(\d+)\s+(?!retired,)")[1])


def start(sh, args="", load=True):
    """busy@1 loaded, busyload's tasks calling it; returns once they have made calls."""
    if load:
        has(ok(sh, "load busy@1"), r"^loaded busy@1 from ")
    has(ok(sh, f"run busyload start {args}".rstrip()), r"^busyload: task \d+")
    sh.vm.wait_until(lambda: status(sh)[1] > 0, what="busyload's first calls")


def soak(sh, swaps, args="", load=True):
    """swaps swaps of busy back and forth while busyload calls it: all of them done, every
    result right, and the callers go on in the version swapped in."""
    start(sh, args, load)
    out = sh.run(f"swap -r {swaps} busy 2", timeout=120 + 5 * swaps)
    has(out, rf"^swap: {swaps} swaps of busy between busy@2\.o and busy@1\.o$")
    hasnt(out, r"failed|exit status")
    # Whether a caller ran between two of the swaps is the scheduler's business (with one CPU
    # the swaps may follow each other before it does); that the callers go on in the version
    # swapped in is not: one more swap, and version 2 must answer.
    now = version(sh)
    has(ok(sh, f"swap busy {3 - now}", timeout=60), rf"^swapped busy: version {now} -> {3 - now}")
    before = status(sh)[3].get(3 - now, 0)
    sh.vm.wait_until(lambda: status(sh)[3].get(3 - now, 0) > before,
                     what=f"calls answered by version {3 - now}")
    out = ok(sh, "run busyload stop", timeout=60)
    m = has(out, STATUS)
    check(m[1] == "0" and int(m[2]) > 0 and m[3] == "0", "busyload: calls, none wrong", out)
    hasnt(sh.vm.since(0), FAULT)


def inside(sh, tid, fn):
    """Wait until bt shows task tid inside busy's function fn."""
    sh.run_until(f"bt {tid}", rf"^  #\d+\s+0x[0-9a-f]+  busy@\d+\s+{fn}\+",
                 what=f"task {tid} inside busy:{fn}")


def case_busy_caller(build, workdir):
    """A task inside busy when the swap starts (a 3 s call): the swap is pending — it says so
    while it waits, naming the task, and its report too, with the task's return barrier — and
    commits once the task leaves, which finishes its call in version 1; then 100 swaps back and
    forth while a caller calls busy back to back, every one committed, every result right."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load busy@1"), r"^loaded busy@1 from ")
        tid = hold(sh, 3000)
        inside(sh, tid, "busy_hold")
        out = ok(sh, f"swap -t {LONG_MS} busy 2", timeout=60)
        # The swap says it is pending (after 200 ms, then each second), naming the task inside,
        # then reports.
        m = has(out, r"^swap: busy 1 -> 2 pending for (\d+) ms \(gives up in (\d+) ms\), \d+ "
                     r"checks?: \d+ call sites? gated, 1 return barrier not yet reached, \d+ tasks? "
                     r"held$")
        check(int(m[1]) >= 200 and int(m[1]) + int(m[2]) <= LONG_MS,
              f"first progress after 200 ms, the deadline counting down from {LONG_MS} ms", out)
        has(out, rf"^  inside at the last check: task {tid} 'busyhold' \(\w+\) is inside the "
                 r"old version: <busy:busy_hold\+0x[0-9a-f]+>$")
        has(out, r"^swapped busy: version 1 -> 2")
        has(out, r"^  pending: \d+ call sites? gated, 1 return barrier, \d+ tasks? held at most$")
        check(out.index("pending for") < out.index("swapped busy"), "progress before the report",
              out)
        ended(sh, tid)
        has(ok(sh, "run busyload status"),
            r"^busyload: the last hold returned through busy version 1$")
        has(ok(sh, "swap busy 1"), r"^swapped busy: version 2 -> 1")  # nobody inside: at once
        soak(sh, 100, load=False)


def case_busy_caller_4cpu(build, workdir):
    """Four callers on four CPUs, 20 swaps."""
    with KeelShell(build, workdir=workdir, smp=4) as sh:
        soak(sh, 20, "4")


def case_deep(build, workdir):
    """Callers 50 calls deep inside busy (busy_deep): the barrier goes on the outermost frame;
    40 swaps, every result right."""
    with KeelShell(build, workdir=workdir) as sh:
        soak(sh, 40, "2 50")


def hold(sh, ms):
    """A task inside busy for ms in one call: its id."""
    return int(has(ok(sh, f"run busyload hold {ms}"), r"^busyload: task (\d+)$")[1])


def ended(sh, tid):
    sh.vm.wait_until(lambda: not re.search(rf"^\s*{tid}\s", ok(sh, "ps"), re.M),
                     timeout=60, what=f"task {tid} to end")


def case_deadline(build, workdir):
    """A task inside busy for 6 s: the swap with a 200 ms deadline is refused naming the task and
    its frame, everything put back; the task finishes its call in version 1; then the swap
    commits at once."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load busy@1"), r"^loaded busy@1 from ")
        tid = hold(sh, OUTLAST_MS)
        inside(sh, tid, "busy_hold")
        out = sh.run("swap -t 200 busy 2", timeout=30)
        has(out, rf"^swap: not quiescent within 200 ms \(\d+ checks?\): task {tid} 'busyhold' "
                 r"\(\w+\) is inside the old version: <busy:busy_hold\+0x[0-9a-f]+>; "
                 r"nothing changed$")
        check(version(sh) == 1, "busy 1 still in place", "")
        ended(sh, tid)
        has(ok(sh, "run busyload status"),
            r"^busyload: the last hold returned through busy version 1$")
        out = ok(sh, "swap busy 2")
        has(out, r"^swapped busy: version 1 -> 2")
        hasnt(out, r"pending:")
        hasnt(sh.vm.since(0), FAULT)


def pending_status(ctl, tid):
    """keelctl query swap while the swap of busy 1 -> 2 is pending: text and JSON agree."""
    out = ctl("query", "swap")
    has(out, r"^swap: since boot \d+ calls? held at a gate, \d+ us there in all$")
    has(out, r"^swap: busy 1 -> 2 pending for \d+ ms \(gives up in \d+ ms\), \d+ checks?: \d+ "
             r"call sites? gated, 1 return barrier not yet reached, \d+ tasks? held$")
    has(out, rf"^  inside at the last check: task {tid} 'busyhold' ")
    st = json.loads(ctl("query", "swap", "--json"))["swap_status"]
    check(st["pending"] is True and st["cell"] == "busy" and st["old_version"] == 1
          and st["new_version"] == 2 and st["barriers"] == 1
          and 0 < st["deadline_ns"] <= LONG_MS * 10**6 and st["quiescence_checks"] >= 1
          and f"task {tid} 'busyhold'" in st["inside"], "keelctl query swap --json", str(st))


def case_ctrl_c(build, workdir):
    """Ctrl-C while a swap is pending: it gives up at once, puts everything back, and the task
    inside finishes its call in version 1. While it is pending, keelctl query swap shows how far
    it is; after, nothing pending."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        has(ok(sh, "load busy@1"), r"^loaded busy@1 from ")
        ok(sh, "swap -n busy 2")  # the swap command's cell, loaded before
        ctl = KeelCtl(build, sh.vm)
        ctl.tasks()
        tid = hold(sh, OUTLAST_MS)
        inside(sh, tid, "busy_hold")
        sh.vm.skip()
        mark = sh.vm.mark()
        sh.send(f"swap -t {LONG_MS} busy 2\r")
        sh.vm.wait_until(lambda: any(t["name"] == "swap" and t["state"] in ("blocked", "sleeping")
                                     for t in ctl.tasks()),
                         what="the swap to be pending")
        pending_status(ctl, tid)
        sh.send("\x03")
        sh.expect(r"keel> ", timeout=30)
        text = sh.vm.since(mark)
        has(text, r"^swap: interrupted while waiting for quiescence; nothing changed$")
        check(version(sh) == 1, "busy 1 still in place", "")
        ended(sh, tid)
        has(ok(sh, "run busyload status"),
            r"^busyload: the last hold returned through busy version 1$")
        has(ctl("query", "swap"), r"^swap: no swap is pending$")
        check(json.loads(ctl("query", "swap", "--json"))["swap_status"]["pending"] is False,
              "nothing pending after Ctrl-C", "")
        hasnt(sh.vm.since(0), FAULT)


def case_ctl_pending(build, workdir):
    """keelctl swap of a cell a task is inside: pending as from the shell, and its report says
    so in text and JSON (sites_gated, barriers, held); keelctl's --deadline-ms refuses naming
    the task, and nothing changes."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        has(ok(sh, "load busy@1"), r"^loaded busy@1 from ")
        ctl = KeelCtl(build, sh.vm)
        tid = hold(sh, 1500)
        inside(sh, tid, "busy_hold")
        rep = json.loads(ctl("swap", "--json", "--deadline-ms", str(LONG_MS), "busy", "busy@2.o"))
        check(rep["cells"][0]["new_version"] == 2 and rep["barriers"] == 1
              and rep["sites_gated"] >= 1 and rep["held"] >= 0, "keelctl swap --json: pending",
              json.dumps(rep))
        ended(sh, tid)
        has(ok(sh, "run busyload status"),
            r"^busyload: the last hold returned through busy version 1$")
        tid = hold(sh, OUTLAST_MS)
        inside(sh, tid, "busy_hold")
        out = ctl("swap", "--deadline-ms", "200", "busy", "busy@1.o", want=1)
        has(out, rf"not quiescent within 200 ms \(\d+ checks?\): task {tid} 'busyhold' "
                 r"\(\w+\) is inside the old version: <busy:busy_hold\+0x[0-9a-f]+>; "
                 r"nothing changed")
        check(version(sh) == 2, "busy 2 still in place", out)
        ended(sh, tid)
        has(ok(sh, "run busyload status"),
            r"^busyload: the last hold returned through busy version 2$")
        tid = hold(sh, 1500)
        inside(sh, tid, "busy_hold")
        out = ctl("swap", "--deadline-ms", str(LONG_MS), "busy", "busy@1.o")
        has(out, r"^swapped busy: version 2 -> 1")
        has(out, r"^  pending: \d+ call sites? gated, 1 return barrier, \d+ tasks? held at most$")
        hasnt(sh.vm.since(0), FAULT)


def case_fail_while_pending(build, workdir):
    """A swap that was pending and then fails at a later step (--fail-at transfer, then
    rewrite): everything is put back — busy 1 in place, its dependents' sites as linked (deps),
    the task inside finishes in version 1, the callers held at the gate go on into version 1
    with every result right; then a real swap commits and the callers reach version 2."""
    with KeelShell(build, workdir=workdir) as sh:
        start(sh, "2")
        ok(sh, "swap -n busy 2")  # the swap command's cell, loaded before
        deps = ok(sh, "deps busy")
        for step in ("transfer", "rewrite"):
            tid = hold(sh, 800)
            inside(sh, tid, "busy_hold")
            out = sh.run(f"swap -t {LONG_MS} --fail-at {step} busy 2", timeout=60)
            has(out, r"^swap: busy 1 -> 2 pending for \d+ ms ")
            has(out, rf"^swap: failure injected at step '{step}'; nothing changed$")
            has(out, rf"^swap: stopped at step '{step}'; nothing was swapped$")
            has(out, r"^keel: swap: exit status 1$")
            check(version(sh) == 1, f"busy 1 still in place after a failure at {step}", out)
            now = ok(sh, "deps busy")
            check(now == deps, "deps busy as before", f"before:\n{deps}\nafter:\n{now}")
            ended(sh, tid)
            has(ok(sh, "run busyload status"),
                r"^busyload: the last hold returned through busy version 1$")
            tasks, calls, wrong, by = status(sh)
            check(wrong == 0 and set(by) == {1}, "every call right, all in version 1",
                  str((tasks, calls, wrong, by)))
        has(ok(sh, "swap busy 2", timeout=60), r"^swapped busy: version 1 -> 2")
        calls = status(sh)[3].get(2, 0)
        sh.vm.wait_until(lambda: status(sh)[3].get(2, 0) > calls, what="calls into version 2")
        out = ok(sh, "run busyload stop", timeout=60)
        m = has(out, STATUS)
        check(m[3] == "0", "no wrong result", out)
        hasnt(sh.vm.since(0), FAULT)


def case_fault_with_barrier(build, workdir):
    """A task that faults inside busy while carrying a return barrier: it ends (the fault is
    contained and logged), its barrier goes with it, and the pending swap commits."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load busy@1"), r"^loaded busy@1 from ")
        hold(sh, 0)  # loads busyload
        tid = int(has(ok(sh, "run busyload crash 3000"), r"^busyload: task (\d+)$")[1])
        inside(sh, tid, "busy_crash")
        out = ok(sh, f"swap -t {LONG_MS} busy 2", timeout=60)
        has(out, r"^swapped busy: version 1 -> 2")
        has(out, r"^  pending: \d+ call sites? gated, 1 return barrier, \d+ tasks? held at most$")
        # The fault came while the swap waited: its report is in the swap's output, and its
        # backtrace reads through the barrier (the caller, not the trampoline).
        has(out, rf"^keel: task {tid} 'busycrash' faulted: CPU exception 14")
        has(out, r"^  #1  0x[0-9a-f]+ busyload:crash_main\+0x[0-9a-f]+$")
        check(version(sh) == 2, "busy 2 in place", "")
        hasnt(sh.vm.since(0), r"panic|PANIC")


def case_kill_with_barrier(build, workdir):
    """A task killed inside busy while carrying a return barrier (the watchdog's CPU budget
    kills it mid-call while the swap is pending): it ends, its barrier goes with it, the swap
    commits; swap --status then has nothing pending and counts the calls held at a gate."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load busy@1"), r"^loaded busy@1 from ")
        tid = hold(sh, 60000)
        inside(sh, tid, "busy_hold")
        ok(sh, "watchdog budget 3000")  # the task has run about a second: killed 2 s from now
        out = ok(sh, "swap -t 30000 busy 2", timeout=60)
        has(out, r"^swapped busy: version 1 -> 2")
        has(out, r"^  pending: \d+ call sites? gated, 1 return barrier, \d+ tasks? held at most$")
        ended(sh, tid)
        ok(sh, "watchdog budget off")
        check(version(sh) == 2, "busy 2 in place", "")
        rows = ok(sh, "faults")
        has(rows, rf"^\s+\d+\s+\d+\s+{tid} busyhold\s+hang")
        out = ok(sh, "swap --status")
        has(out, r"^swap: no swap is pending$")
        has(out, r"^swap: since boot \d+ calls? held at a gate, \d+ us there in all$")
        line = has(ok(sh, "swap --status --json"), r"^(\{\"swap_status\".*)$")[1]
        st = json.loads(line)["swap_status"]
        check(st["pending"] is False and st["gate_calls"] >= 0 and st["gate_wait_ns"] >= 0,
              "swap --status --json", line)
        out = sh.run("swap --status now")
        has(out, r"^swap: --status takes only --json$")
        has(out, r"^keel: swap: exit status 2$")
        hasnt(sh.vm.since(0), r"panic|PANIC")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
