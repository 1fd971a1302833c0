#!/usr/bin/env python3
"""QEMU system tests of the litmus command (docs/litmus.md, docs/shell/litmus.md): x86
memory-model litmus tests run across real vCPUs (multi-threaded TCG), every outcome checked
against x86-TSO: at -smp 2 MP, SB, SB+mfence and LB in text and every test in JSON (IRIW skipped
for want of 4 CPUs); at -smp 4 every test, IRIW included (label qemu-smp4); one CPU skips all;
bad arguments are refused with nothing run; Ctrl-C ends a long run whose threads keep taking the
world-stop IPI (a live swap from the host meanwhile), and a new run works at once; the watchdog's
CPU budget ends a run's threads and the run fails, saying so.

    litmus_tests.py --build DIR [--workdir DIR] CASE...
    litmus_tests.py --list
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import PROMPT, KeelShell, case, run_cases  # noqa: E402
from keelctlrun import KeelCtl  # noqa: E402
from checks import EXIT_STATUS, check, has, hasnt, ok  # noqa: E402

# Each command's own bound: a loaded host slows multi-threaded TCG a lot (4 vCPUs on 2 cores).
RUN_TIMEOUT = 240
ROW = re.compile(r"^  ((?:[rxy]\d?=\d ?)+?)\s+(\d+)  (allowed|forbidden)(\s+<- relaxed)?$")
ALL = ["MP", "SB", "SB+mfence", "LB", "CoRR", "2+2W", "IRIW"]


def text_tables(out):
    """The text report: {test: {"rows": [(outcome, count, allowed, relaxed)], "ok": line}}."""
    tests, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^(\S+): T0: ", line)
        if m:
            cur = tests.setdefault(m.group(1), {"rows": [], "ok": None, "skipped": None})
            continue
        r = ROW.match(line)
        if r and cur is not None:
            cur["rows"].append((r.group(1).strip(), int(r.group(2)), r.group(3) == "allowed",
                                bool(r.group(4))))
        m = re.match(r"^  (\S+): ok: (\d+) runs, no forbidden outcome; relaxed (.+) seen (\d+) "
                     r"times, \d+ ms$", line)
        if m and cur is not None:
            cur["ok"] = (int(m.group(2)), m.group(3), int(m.group(4)))
        m = re.match(r"^  (\S+): skipped: needs (\d) CPUs \((\d+) online\)$", line)
        if m and cur is not None:
            cur["skipped"] = (int(m.group(2)), int(m.group(3)))
    return tests


def check_text_test(out, tests, name, iterations, outcomes):
    t = tests.get(name)
    check(t is not None, f"no report of {name}", out)
    rows = t["rows"]
    check(len(rows) == outcomes, f"{name}: {len(rows)} outcome rows, not {outcomes}", out)
    check(sum(r[1] for r in rows) == iterations,
          f"{name}: counts add up to {sum(r[1] for r in rows)}, not {iterations}", out)
    forbidden = [r for r in rows if not r[2]]
    check(all(r[1] == 0 for r in forbidden), f"{name}: a forbidden outcome was observed", out)
    relaxed = [r for r in rows if r[3]]
    check(len(relaxed) == 1, f"{name}: one relaxed outcome marked", out)
    check(t["ok"] == (iterations, relaxed[0][0], relaxed[0][1]), f"{name}: verdict line", out)
    return relaxed[0]


def check_json_test(t, iterations, outcomes):
    name = t["name"]
    where = json.dumps(t, indent=1)
    check(t["status"] == "ok" and t["verdict"] == "ok", f"{name}: not ok", where)
    check(t["runs"] == iterations and t["forbidden"] == 0 and t["invalid"] == 0,
          f"{name}: runs/forbidden/invalid", where)
    outs = t["outcomes"]
    check(len(outs) == outcomes, f"{name}: {len(outs)} outcomes, not {outcomes}", where)
    check(sum(o["count"] for o in outs) == iterations, f"{name}: counts do not add up", where)
    check(all(o["count"] == 0 for o in outs if not o["allowed"]),
          f"{name}: a forbidden outcome was observed", where)
    check(sum(o["relaxed"] for o in outs) == 1, f"{name}: one relaxed outcome", where)


def report_json(sh, line):
    out = ok(sh, line, timeout=RUN_TIMEOUT)
    try:
        return json.loads(out)
    except ValueError as e:
        raise AssertionError(f"litmus --json printed no JSON ({e})\n--- output ---\n{out}")


def case_smp2(build, workdir):
    """-smp 2: MP, SB, SB+mfence and LB, 200000 runs each by default: four outcome rows each,
    adding up to the runs, no forbidden outcome; SB's relaxed count is reported, not required."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        out = ok(sh, "litmus MP SB SB+mfence LB", timeout=RUN_TIMEOUT)
        has(out, r"^litmus: 2 CPUs online, 200000 runs per test, outcomes checked against "
                 r"x86-TSO$")
        tests = text_tables(out)
        check(sorted(tests) == sorted(["MP", "SB", "SB+mfence", "LB"]), "the tests run", out)
        for name in tests:
            relaxed = check_text_test(out, tests, name, 200000, 4)
            check(relaxed[2] == (name == "SB"), f"{name}: relaxed outcome allowed?", out)
        has(out, r"^litmus: 4 ok, 0 failed, 0 skipped$")
        print(f"SB relaxed r0=0 r1=0 seen {tests['SB']['ok'][2]} times in 200000 runs")


def case_smp2_json(build, workdir):
    """-smp 2, --json, every test: six ok with counts adding up to --iterations; IRIW skipped
    as needing 4 CPUs (also in the text report, exit status 0)."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        rep = report_json(sh, "litmus --json --iterations 50000")
        check(rep["cpus"] == 2 and rep["iterations"] == 50000, "header", json.dumps(rep))
        check([t["name"] for t in rep["tests"]] == ALL, "the tests, in order", json.dumps(rep))
        for t in rep["tests"]:
            if t["name"] == "IRIW":
                check(t["status"] == "skipped" and t["reason"] == "needs 4 CPUs",
                      "IRIW skipped", json.dumps(t))
            else:
                check_json_test(t, 50000, 4)
        check((rep["passed"], rep["failed"], rep["skipped"]) == (6, 0, 1), "totals",
              json.dumps(rep))
        out = ok(sh, "litmus --iterations 1000 IRIW")
        has(out, r"^  IRIW: skipped: needs 4 CPUs \(2 online\)$")
        has(out, r"^litmus: 0 ok, 0 failed, 1 skipped$")


@case(timeout=600)
def case_smp4(build, workdir):
    """-smp 4 (label qemu-smp4): every test, IRIW on four CPUs with its 16 outcomes; no
    forbidden outcome, counts adding up to --iterations."""
    with KeelShell(build, workdir=workdir, smp=4) as sh:
        rep = report_json(sh, "litmus --json --iterations 50000")
        check(rep["cpus"] == 4, "4 CPUs", json.dumps(rep))
        check([t["name"] for t in rep["tests"]] == ALL, "the tests, in order", json.dumps(rep))
        for t in rep["tests"]:
            check_json_test(t, 50000, 16 if t["name"] == "IRIW" else 4)
        check((rep["passed"], rep["failed"], rep["skipped"]) == (7, 0, 0), "totals",
              json.dumps(rep))


def case_one_cpu(build, workdir):
    """-smp 1: every test needs 2 or 4 CPUs and is skipped, saying so; nothing fails."""
    with KeelShell(build, workdir=workdir, smp=1) as sh:
        out = ok(sh, "litmus")
        has(out, r"^litmus: 1 CPU online, ")
        for name in ALL:
            need = 4 if name == "IRIW" else 2
            has(out, rf"^  {re.escape(name)}: skipped: needs {need} CPUs \(1 online\)$")
        has(out, r"^litmus: 0 ok, 0 failed, 7 skipped$")


def refused(sh, line, message):
    out = sh.run(line)
    lines = out.splitlines()
    check(lines == [f"litmus: {message}", "usage: litmus [--iterations N] [--json] [TEST...]",
                    "keel: litmus: exit status 2"], f"'{line}': refusal", out)


def case_bad_args(build, workdir):
    """Bad arguments: one line saying what is wrong, the usage, exit status 2, and nothing run
    (no litmus task, the same tasks as before); --help and -h print the help."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        before = ok(sh, "ps")
        refused(sh, "litmus --iterations 0", "bad --iterations '0': a number from 1 to 100000000")
        refused(sh, "litmus --iterations 100000001 MP",
                "bad --iterations '100000001': a number from 1 to 100000000")
        refused(sh, "litmus --iterations ten", "bad --iterations 'ten': a number from 1 to "
                "100000000")
        refused(sh, "litmus MP --iterations", "--iterations needs a number")
        refused(sh, "litmus --fast", "unknown option '--fast'")
        refused(sh, "litmus XY", "no test 'XY' (tests: MP SB SB+mfence LB CoRR 2+2W IRIW)")
        refused(sh, "litmus SB sb", "test 'SB' named twice")
        hasnt(ok(sh, "ps"), r"\blitmus\d")
        check(len(ok(sh, "ps").splitlines()) == len(before.splitlines()), "tasks changed",
              before)
        for flag in ("--help", "-h"):
            out = ok(sh, f"litmus {flag}")
            has(out, r"^usage: litmus \[--iterations N\] \[--json\] \[TEST\.\.\.\]$")
            has(out, r"^  --iterations N  runs per test, 1 to 100000000 \(default 200000\)$")
            for name in ALL:
                has(out, rf"^  {re.escape(name)} +T0: ")
            hasnt(out, r"CPUs online")
        has(ok(sh, "help litmus"), r"^usage: litmus \[--iterations N\] \[--json\] \[TEST\.\.\.\]$")


def case_interrupt_world_stop(build, workdir):
    """A long run (-smp 2): while its threads spin on both CPUs, a live swap from the host stops
    the world (the threads take the stop IPI: they never hold interrupts off); Ctrl-C then ends
    the run, its threads end on their own, and a new run works at once."""
    with KeelShell(build, workdir=workdir, smp=2, ctl_socket=True) as sh:
        ctl = KeelCtl(build, sh.vm)
        has(sh.run("load counter@1"), r"^loaded counter@1 from ")
        sh.vm.skip()
        sh.send("litmus --iterations 100000000 MP\r")
        sh.expect(r"MP: T0: x=1; y=1 \| T1: r0=y; r1=x\n")
        # The ctl task answering takes one CPU for a moment: the thread pinned there is ready.
        sh.vm.wait_until(lambda: sum(t["name"] in ("litmus0", "litmus1") and
                                     t["state"] in ("running", "ready") for t in ctl.tasks()) == 2,
                         timeout=60, what="both litmus threads started")
        out = ctl("swap", "counter", os.path.join(build, "cells", "counter@2.o"))
        has(out, r"^swapped counter: version 1 -> 2")
        has(out, r"stop-the-world [\d.]+ us$")
        check(sum(t["name"] in ("litmus0", "litmus1") for t in ctl.tasks()) == 2,
              "the litmus threads are still there after the swap", out)
        sh.send("\x03")
        sh.expect(r"litmus: MP: interrupted\n", timeout=60)
        sh.expect(r"keel: litmus interrupted\n" + re.escape(PROMPT), timeout=60)
        sh.vm.wait_until(lambda: not any(t["name"].startswith("litmus") for t in ctl.tasks()),
                         timeout=60, what="the litmus threads to end")
        out = ok(sh, "litmus --iterations 20000 MP SB", timeout=RUN_TIMEOUT)
        tests = text_tables(out)
        for name in ("MP", "SB"):
            check_text_test(out, tests, name, 20000, 4)
        hasnt(out, EXIT_STATUS)


def case_watchdog(build, workdir):
    """A global CPU budget shorter than a run ends its threads (they never block): the run fails
    saying so, no litmus task is left, and with the budget off the next run passes."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        ok(sh, "watchdog budget 50")
        out = sh.run("litmus --iterations 100000000 MP", timeout=RUN_TIMEOUT)
        has(out, r"^litmus: MP: thread \d on CPU \d ended by the watchdog \(cpu_budget\); it "
                 r"never blocks$")
        has(out, r"^litmus: 0 ok, 1 failed, 0 skipped$")
        has(out, r"^keel: litmus: exit status 1$")
        ok(sh, "watchdog budget off")
        sh.run_until("ps", lambda o: not re.search(r"\blitmus\d", o), what="no litmus task")
        out = ok(sh, "litmus --iterations 20000 MP")
        check_text_test(out, text_tables(out), "MP", 20000, 4)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
