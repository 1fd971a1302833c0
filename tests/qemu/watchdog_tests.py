#!/usr/bin/env python3
"""QEMU system tests of hang detection (tasking/watchdog.c; docs/fault-injection.md, "Hangs: the
watchdog and the CPU budget"): an infinite loop in a task with a heartbeat is ended by the
watchdog as a fault of kind hang and the task restarts; a task that runs without blocking longer
than the CPU budget is ended the same way while the shell carries on, and runs to its end with
the budget off; the watchdog command refuses bad arguments and changes nothing then. The IPC
drop cases that the watchdog recovers are in ipc_fault_tests.py (s1, r1).

    watchdog_tests.py --build DIR [--workdir DIR] CASE...
    watchdog_tests.py --list
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fault_table, has, hasnt, ok  # noqa: E402
from keelctlrun import KeelCtl  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402

GOLDEN = "4bfc3b45dc7a7f50"  # pingpong, seed 1, 256 rounds (workload_tests.py)
DIGEST = rf"^workload pingpong seed 1 rounds 256: digest {GOLDEN}$"


def case_loop(build, workdir):
    """inject loop at wl_pingpong's body: the workload task (heartbeat 1 s) spins in cell code;
    the watchdog ends it as a hang charged to wl_pingpong where it spun; the restart runs into
    the same loop. With the default quiet period (1 s, no longer than the heartbeat) the second
    hang still climbs the ladder — a hang counts from when it began, right after the restart,
    not from when the watchdog took it — so the cell is reloaded and the workload ends golden;
    no partner is left behind."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "recovery"), r"quiet 1000 ms")
        ok(sh, "load wl_pingpong")
        has(ok(sh, "inject loop wl_pingpong --at wl_pingpong_main"), r"^  new eb fe$")
        out = sh.run("workload run pingpong", timeout=120)
        hangs = out.count("hung: no heartbeat for more than 1000000 us at "
                          "wl_pingpong:wl_pingpong_main+0x0; ended as a fault of cell wl_pingpong")
        check(hangs == 2, "2 hangs reported", out)
        has(out, r"^workload pingpong: restarted 2 times$")
        has(out, DIGEST)
        rows, _ = fault_table(ok(sh, "faults"))
        got = [(r["kind"], r["step"], r["outcome"]) for r in rows]
        hang = "hang(heartbeat)"
        check(got == [(hang, "ended", "ok"), (hang, "restart", "ok"), (hang, "ended", "ok"),
                      (hang, "restart", "ok"), (hang, "reload_cell", "ok")],
              "two hangs, the second one reloading the cell", rows)
        for r in rows:
            check(r["cell"] == "wl_pingpong@1" and r["name"] == "wl_pingpong",
                  "a heartbeat hang charged to wl_pingpong", r)
        has(ok(sh, "inject status"), r"^  activated at \d+ ns by task \d+ 'wl_pingpong'")
        hasnt(ok(sh, "ps"), r"wl_pingpong")  # no partner left behind by the hung runs


def case_loop_reload(build, workdir):
    """The same loop with a quiet period longer than the heartbeat (recovery default --quiet-ms
    5000): the second hang comes within it, so it climbs wl_pingpong's ladder to a reload from
    the pristine object, which takes the injected jmp away: the task restarted after it runs to
    the golden digest — an infinite loop detected by the watchdog and recovered."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "recovery default --quiet-ms 5000")
        ok(sh, "load wl_pingpong")
        has(ok(sh, "inject loop wl_pingpong --at wl_pingpong_main"), r"^  new eb fe$")
        out = sh.run("workload run pingpong", timeout=120)
        has(out, r"recovery: cell 'wl_pingpong' reloaded after the fault of task \d+")
        has(out, r"^workload pingpong: restarted 2 times$")
        has(out, DIGEST)
        rows, _ = fault_table(ok(sh, "faults"))
        got = [(r["kind"], r["step"], r["outcome"]) for r in rows]
        hang = "hang(heartbeat)"
        check(got == [(hang, "ended", "ok"), (hang, "restart", "ok"), (hang, "ended", "ok"),
                      (hang, "restart", "ok"), (hang, "reload_cell", "ok")],
              "two hangs, the second one reloading the cell", rows)
        has(sh.run("inject restore"), r"was unloaded or replaced: nothing restored")
        out = ok(sh, "workload run pingpong", timeout=60)
        has(out, DIGEST)
        hasnt(out, "restarted|hung")


def case_budget(build, workdir):
    """watchdog budget 50: spin --busy 400 (no blocking) is ended as a cpu_budget hang charged
    to cmd_spin; the shell (which blocks) survives; keelctl faults --json says the same; with
    the budget off the same spin runs to its end. (The budget is on only around the spin: a
    50 ms budget would judge any command that prints for long too.)"""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        out = ok(sh, "watchdog")
        has(out, r"^watchdog: CPU budget off$")
        has(out, r"^no task has a heartbeat$")
        has(ok(sh, "spin --busy 100"), r"^spin: ran 100 ms without blocking$")
        has(ok(sh, "watchdog budget 50"), r"^watchdog: CPU budget 50000 us \(tasks without "
            r"their own\)$")
        out = sh.run("spin --busy 400")
        has(ok(sh, "watchdog budget off"), r"^watchdog: CPU budget off$")
        has(out, r"^keel: task \d+ 'spin' hung: ran without blocking for more than 50000 us at "
            r"cmd_spin:\S+; ended as a fault of cell cmd_spin$")
        has(out, r"^keel: spin hung: CPU budget limit 50000 us, ended at cmd_spin:\S+$")
        hasnt(out, "ran 400 ms")
        has(ok(sh, "echo alive"), r"^alive$")
        rows, _ = fault_table(ok(sh, "faults"))
        check(len(rows) == 1 and rows[0]["kind"] == "hang(cpu_budget)" and
              rows[0]["cell"] == "cmd_spin@1" and rows[0]["step"] == "ended" and
              rows[0]["where"].startswith("cmd_spin:"), "one cpu_budget hang of cmd_spin", rows)
        rec = json.loads(KeelCtl(build, sh.vm)("faults", "--json"))["faults"][0]
        check(rec["kind"] == "hang" and rec["hang_by"] == "cpu_budget" and
              rec["hang_limit_ns"] == 50000000 and rec["cell"] == "cmd_spin", "JSON", rec)
        has(ok(sh, "spin --busy 400"), r"^spin: ran 400 ms without blocking$")
        rows, _ = fault_table(ok(sh, "faults"))
        check(len(rows) == 1, "no new fault with the budget off", rows)


def case_refusals(build, workdir):
    """Bad arguments: usage, exit status 2, and the budget unchanged."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "watchdog budget 20")
        for line, why in [("watchdog budget", r"budget wants <ms> or off"),
                          ("watchdog budget 0", r"bad budget '0': 1\.\.3600000 ms, or off"),
                          ("watchdog budget 3600001", r"bad budget '3600001'"),
                          ("watchdog budget -5", r"bad budget '-5'"),
                          ("watchdog budget 10ms", r"bad budget '10ms'"),
                          ("watchdog budget 5 6", r"too many arguments"),
                          ("watchdog frob", r"unknown subcommand 'frob'"),
                          ("spin --busy 0", r"bad --busy '0'")]:
            out = sh.run(line)
            has(out, rf"^\w+: {why}")
            has(out, r"^usage: ")
            has(out, r"exit status 2$")
        has(ok(sh, "watchdog"), r"^watchdog: CPU budget 20000 us")
        has(ok(sh, "help watchdog"), r"watchdog budget <ms>\|off")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
