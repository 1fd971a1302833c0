#!/usr/bin/env python3
"""QEMU system tests of the fault log (tasking/fault.c, docs/fault-injection.md): each fault is
charged to a cell — the cell whose code faulted (faulty's NULL dereference), the calling cell
for a fault in core code on a task's behalf (badptr handing kprintf a bad pointer), the task's
entry cell for a stack overflow (badptr recursing until its guard page) — a restart is a
record of its own, and the shell's
`faults` and `keelctl faults` (text and JSON) show the same records; the ring keeps the newest
and says how many it dropped.

    faultlog_tests.py --build DIR [--workdir DIR] CASE...
    faultlog_tests.py --list
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelctlrun import KeelCtl  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402
from checks import check, fault_table, has  # noqa: E402

RING = 32  # FAULT_RING_SIZE (tasking/fault_ring.h)
PANIC = r"PANIC|survived a bad pointer"


def faults(sh):
    rows, dropped = fault_table(sh.run("faults"))
    return rows, dropped


def case_cell_code(build, workdir):
    """faulty's init dereferences NULL: one record, charged to faulty@1, WHERE its function,
    CR2 0, step ended with outcome ok, no CALLED FROM column."""
    with KeelShell(build, workdir=workdir) as sh:
        has(sh.run("load faulty"), r"faulted: CPU exception 14")
        rows, dropped = faults(sh)
        check(len(rows) == 1 and dropped == 0, "one record", rows)
        r = rows[0]
        check(r["seq"] == 1 and r["name"] == "faulty" and r["kind"] == "#PF(14)", "task, kind", r)
        check(re.fullmatch(r"faulty:faulty_dereference\+0x[0-9a-f]+", r["where"]),
              "WHERE names faulty's function", r)
        check(r["cr2"] == "0x" + "0" * 16, "CR2 is NULL", r)
        check(r["cell"] == "faulty@1", "charged to the cell whose code faulted", r)
        check(r["step"] == "ended" and r["outcome"] == "ok", "step and outcome", r)
        check(r["caller"] is None, "no CALLED FROM column", r)
        sh.vm.forbid(PANIC)


def case_core_code(build, workdir):
    """badptr hands kprintf a bad pointer: the fault is in core code (WHERE strlen/kvformat)
    but charged to the calling cell, badptr, whose frame is in CALLED FROM — not to "core"."""
    with KeelShell(build, workdir=workdir) as sh:
        has(sh.run("run badptr kprintf"), r"^keel: task \d+ 'badptr' faulted")
        rows, _ = faults(sh)
        check(len(rows) == 1, "one record", rows)
        r = rows[0]
        check(re.fullmatch(r"(strlen|strnlen|kvformat)\+0x[0-9a-f]+", r["where"]),
              "WHERE is the core function (ksyms)", r)
        check(re.fullmatch(r"badptr@\d+", r["cell"]), "charged to the calling cell", r)
        check(re.fullmatch(r"badptr:bad_kprintf\+0x[0-9a-f]+", r["caller"]),
              "CALLED FROM is the cell frame", r)
        sh.vm.forbid(PANIC)


def case_overflow(build, workdir):
    """badptr recurses (calling ksnprintf at each level) until its stack hits the guard page:
    a stack overflow, charged to the task's entry cell (badptr) wherever the last push landed."""
    with KeelShell(build, workdir=workdir) as sh:
        has(sh.run("run badptr overflow"), r"^keel: task \d+ 'badptr' faulted: .*\(stack "
                                           r"overflow\)$")
        check(sh.run("echo alive") == "alive", "the shell goes on")
        rows, _ = faults(sh)
        check(len(rows) == 1, "one record", rows)
        r = rows[0]
        check(r["kind"] in ("#DF(8)", "#PF(14)"), "a double fault or page fault", r)
        check(re.fullmatch(r"badptr@\d+", r["cell"]), "charged to the entry cell", r)
        check(r["step"] == "ended", "the task ended", r)
        sh.vm.forbid(PANIC)


def case_restart(build, workdir):
    """A restartable task that faults (phoenix): two records about the one fault, both charged
    to phoenix: the incarnation ended, then the restart done (outcome ok); keelctl's JSON names
    the new task."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        out = sh.run("run phoenix")
        m = has(out, r"^phoenix v(\d+): started task (\d+)$")
        version, tid = m.group(1), m.group(2)
        # The task faults on its own time, on any CPU: its report and the restart's log line
        # come first (typed over, they would land inside the table's output).
        restarted = rf"task {tid} 'phoenix' restarted as task \d+"
        if not re.search(restarted, out):  # not yet in run's own output: wait for it
            sh.vm.expect(restarted)
        # Ask until both records are there (or give up).
        for _ in range(100):
            rows, _ = faults(sh)
            if len(rows) >= 2:
                break
        check([r["step"] for r in rows] == ["ended", "restart"], "ended, then restart", rows)
        check(all(r["cell"] == f"phoenix@{version}" and r["task"] == tid and r["outcome"] == "ok"
                  for r in rows), "both charged to phoenix, about its first task", rows)
        check(rows[0]["time_us"] == rows[1]["time_us"] and rows[0]["where"] == rows[1]["where"],
              "the same fault", rows)
        recs = json.loads(KeelCtl(build, sh.vm)("faults", "--json"))["faults"]
        check(recs[1]["new_task"] > int(tid) and recs[0]["new_task"] == 0,
              "the restart names the new task", recs)
        sh.vm.forbid(PANIC)


def case_keelctl(build, workdir):
    """keelctl faults prints the shell's table word for word, and as JSON the same records
    with times in ns; --clear empties the log."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        ctl = KeelCtl(build, sh.vm)
        check(ctl("faults").strip() == "no faults", "no faults after boot")
        sh.run("load faulty")
        sh.run("run badptr kprintf")
        shell_out = sh.run("faults")
        shell_rows, _ = fault_table(shell_out)
        text = ctl("faults")
        ctl_rows, dropped = fault_table(text.rstrip("\n"))
        check(shell_rows == ctl_rows and dropped == 0, "keelctl faults and the shell's differ",
              f"{shell_out}\n---\n{text}")
        doc = json.loads(ctl("faults", "--json"))
        recs = doc["faults"]
        check(doc["dropped"] == 0 and doc["written"] == 2 and doc["capacity"] == RING,
              "JSON counts", doc)
        check(len(recs) == 2, "two JSON records", recs)
        for r, row in zip(recs, shell_rows):
            cell = r["cell"] + (f"@{r['cell_version']}" if r["cell_version"] else "")
            check(r["seq"] == row["seq"] and str(r["task"]) == row["task"] and
                  r["task_name"] == row["name"] and r["where"] == row["where"] and
                  cell == row["cell"] and r["step"] == row["step"] and
                  r["outcome"] == row["outcome"] and r["time_ns"] // 1000 == row["time_us"] and
                  f"{r['vector_name']}({r['vector']})" == row["kind"] and
                  r["kind"] == "exception" and f"0x{r['cr2']:016x}" == row["cr2"],
                  "a JSON record and its row differ", f"{r}\n{row}")
            check(abs(r["duration_ns"] / 1000 - row["took_us"]) < 0.001, "duration in ns",
                  f"{r}\n{row}")
        check(recs[0]["cell"] == "faulty" and recs[0]["cell_version"] == 1, "faulty charged",
              recs[0])
        check(recs[1]["cell"] == "badptr" and recs[1]["caller"].startswith("badptr:bad_kprintf+"),
              "badptr charged, with its call site", recs[1])
        ctl("faults", "--clear")
        check(sh.run("faults") == "no faults", "keelctl faults --clear emptied the log")
        sh.vm.forbid(PANIC)


def case_wrap(build, workdir):
    """More faults than the ring holds: the newest RING are kept (sequence numbers up to the
    last fault), the older ones are counted as dropped, in the shell and in keelctl's JSON."""
    total = RING + 3
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        for _ in range(total):
            sh.run("crash")
        rows, dropped = faults(sh)
        check(len(rows) == RING, f"the ring keeps {RING}", rows)
        check([r["seq"] for r in rows] == list(range(total - RING + 1, total + 1)),
              "the newest records, oldest first", [r["seq"] for r in rows])
        check(dropped == total - RING, f"{total - RING} dropped", dropped)
        check(all(r["cell"] == "cmd_crash@1" for r in rows), "each charged to cmd_crash", rows)
        doc = json.loads(KeelCtl(build, sh.vm)("faults", "--json"))
        check(doc["dropped"] == total - RING and doc["written"] == total and
              doc["faults"][-1]["seq"] == total, "keelctl sees the same", doc)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="build"))
