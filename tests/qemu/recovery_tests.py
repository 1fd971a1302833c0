#!/usr/bin/env python3
"""QEMU system tests of the recovery ladder (kernel/recovery/; docs/fault-injection.md, "The
recovery ladder"): corrupted text in a cell is cured by reloading the cell from its pristine
object (the workload's golden digest comes back); repeated faults climb restart -> reload ->
reload with dependents -> give up, each rung in the fault log; a given-up cell refuses new tasks
until `recovery reset`; the `recovery` command's default policy and its refusals.

    recovery_tests.py --build DIR [--workdir DIR] CASE...
    recovery_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fault_table, has, hasnt, ok  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402

STORM_SEED1 = "14101ff352170315"  # workload_tests.py GOLDEN["storm"][0]
PIPELINE_SEED1 = "d21f928b4bbb9109"  # workload_tests.py GOLDEN["pipeline"][0]
USAGE = ("recovery | recovery default [--top restart|reload|dependents|give_up] "
         "[--state carry|reset] [--quiet-ms N] | recovery reset <cell>")


def steps(sh, cell):
    """The fault log's (task, step, outcome) rows charged to cell, oldest first."""
    rows = []
    for line in ok(sh, "faults").splitlines():
        m = re.match(rf"^\s*\d+\s+\d+\s+(\d+) \S+\s+.*\s{cell}@\d+\s+(\w+)\s+(\w+)\s", line)
        if m:
            rows.append((int(m.group(1)), m.group(2), m.group(3)))
    return rows


def case_reload_text(build, workdir):
    """A forced exception at wl_storm's entry: the restarted task faults again (the text is still
    corrupt), the second fault reloads wl_storm from its object, and the task restarted after it
    runs the pristine code: the golden digest. The fault log shows ended, restart, ended, restart,
    reload_cell (ok), all charged to wl_storm; the injected bytes went with the old version."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "load wl_storm")
        out = sh.run("inject exception wl_storm --at wl_storm_main")
        has(out, r"^  new 0f 0b$")
        out = sh.run("workload run storm --seed 1", timeout=60)
        has(out, r"recovery: cell 'wl_storm' reloaded after the fault of task \d+")
        has(out, r"^workload storm: restarted 2 times$")
        has(out, rf"^workload storm seed 1 rounds 32: digest {STORM_SEED1}$")
        got = [(s, o) for _, s, o in steps(sh, "wl_storm")]
        check(got == [("ended", "ok"), ("restart", "ok"), ("ended", "ok"), ("restart", "ok"),
                      ("reload_cell", "ok")], f"fault log steps {got}")
        has(ok(sh, "recovery"), r"^wl_storm\s+reload\s+2\s+\d+\s+top give_up, state reset")
        # The reloaded cell runs clean: the next run is golden without any fault.
        out = sh.run("workload run storm --seed 1", timeout=60)
        has(out, rf"digest {STORM_SEED1}$")
        hasnt(out, r"faulted|restarted")
        out = sh.run("inject restore")
        has(out, r"cell 'wl_storm' was unloaded or replaced: nothing restored")


def case_silent_corruption(build, workdir):
    """A bit flipped in wl_pipeline's salt (a constant in rodata that only feeds the digest):
    the fault is activated (the watchpoint names the pipeline's task reading it), nothing faults
    and nothing is recovered, and the digest is wrong — silent data corruption, which only the
    golden run reveals. Restored, the golden digest comes back."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "load wl_pipeline")
        out = sh.run("inject bitflip wl_pipeline --at pipe_salt --seed 3")
        has(out, r"^inject: bitflip in cell wl_pipeline, rodata, seed 3$")
        out = ok(sh, "workload run pipeline --seed 1", timeout=60)
        m = has(out, r"^workload pipeline seed 1 rounds \d+: digest ([0-9a-f]{16})$")
        check(m.group(1) != PIPELINE_SEED1, "the corrupted salt left the digest golden", out)
        hasnt(out, r"faulted|restarted")
        has(ok(sh, "faults"), r"^no faults$")
        has(ok(sh, "inject status"), r"^  activated at \d+ ns by task \d+ 'wl_pipeline")
        ok(sh, "inject restore")
        out = ok(sh, "workload run pipeline --seed 1", timeout=60)
        has(out, rf"digest {PIPELINE_SEED1}$")


def case_evict_parent(build, workdir):
    """A loop in wl_storm's child function, workload run with --fail-stop: the children hang (CPU
    budget), restart, hang again; the ladder reloads wl_storm while its parent task is blocked
    inside it joining them — the reload evicts the parent and the children (fault kind
    `evicted`), they restart in the fresh instance, and the workload ends with its golden
    digest. Without eviction the reload found the parent inside and the ladder gave up."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "watchdog budget 250")
        m = has(ok(sh, "workload run storm --rounds 8"),
                r"^workload storm seed 1 rounds 8: digest ([0-9a-f]{16})$")
        golden = m.group(1)
        has(ok(sh, "inject loop wl_storm --at storm_child"), r"^  new eb fe$")
        out = sh.run("workload run storm --rounds 8 --fail-stop", timeout=60)
        has(out, rf"^workload storm seed 1 rounds 8: digest {golden}$")
        has(out, r"^workload storm: restarted \d+ times?$")
        rows, _ = fault_table(ok(sh, "faults"))
        steps_done = [(r["kind"], r["step"], r["outcome"]) for r in rows]
        check(("evicted", "ended", "ok") in steps_done, "nothing was evicted", str(steps_done))
        check(any(st == "reload_cell" and o == "ok" for _, st, o in steps_done),
              "no successful reload", str(steps_done))
        check(not any(st in ("reload_dependents", "give_up") for _, st, _ in steps_done),
              "the ladder climbed past the reload", str(steps_done))
        has(ok(sh, "inject status"), r"^  activated at \d+ ns by task \d+ 'wl_storm.child'")


def late_line(sh, out, pattern):
    """A log line of the recovery task: in the command's output, or, when that task runs on
    another CPU, after the prompt (then waited for)."""
    if not re.search(pattern, out, re.M):
        sh.vm.expect(pattern)


def case_climb_and_give_up(build, workdir):
    """fbvictim's task (policy: the whole ladder, quiet 10 s) faults 1, then 2, then 1 times:
    restart; then reload, and reload with dependents — faultbench depends on fbvictim and its
    task is busy joining fbvictim's: the reload evicts it (`run` says so, its fault log row is
    kind `evicted`, charged to faultbench); then give up: the task is ended, the cell is failed
    and refuses new tasks with KE_FAILED, until `recovery reset` clears it."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "load fbvictim")
        has(ok(sh, "run faultbench trial 1"),
            r"^faultbench: trial of 1 faults: the task returned after 1 restarts$")
        out = sh.run("run faultbench trial 2", timeout=60)
        has(out, r"^run: faultbench evicted: the recovery ladder reloaded cell faultbench$")
        late_line(sh, out, r"recovery: cell 'fbvictim' reloaded with its dependents after the "
                           r"fault of task \d+")
        rows, _ = fault_table(ok(sh, "faults"))
        check([(r["kind"], r["step"]) for r in rows if r["cell"].startswith("faultbench@")] ==
              [("evicted", "ended")], "faultbench's task evicted once", str(rows))
        has(ok(sh, "recovery"), r"^fbvictim\s+dependents\s+3\s")
        out = sh.run("run faultbench trial 1")
        late_line(sh, out,
                  r"recovery: gave up on cell 'fbvictim' after the fault of task \d+: it is failed")
        has(out, r"^faultbench: trial of 1 faults: the task killed after 1 restarts$")
        got = [(s, o) for _, s, o in steps(sh, "fbvictim")]
        check(got == [("ended", "ok"), ("restart", "ok"),
                      ("ended", "ok"), ("restart", "ok"), ("reload_cell", "ok"),
                      ("ended", "ok"), ("restart", "ok"), ("reload_dependents", "ok"),
                      ("ended", "ok"), ("restart", "ok"), ("give_up", "ok")],
              f"fault log steps {got}")
        has(ok(sh, "recovery"), r"^fbvictim\s+give_up\s+4\s.*FAILED$")
        out = sh.run("run faultbench trial 0")
        has(out, r"^faultbench: cannot start fbvictim's task: cell failed \(recovery gave up\) "
                 r"\(KE_FAILED\)$")
        has(ok(sh, "recovery reset fbvictim"),
            r"^recovery: cell 'fbvictim' reset: its next fault starts at the bottom$")
        has(ok(sh, "run faultbench trial 0"),
            r"^faultbench: trial of 0 faults: the task returned after 0 restarts$")
        has(ok(sh, "recovery"), r"^no cell has faulted$")


def case_policy_command(build, workdir):
    """`recovery` shows the boot default (top restart, state reset, quiet 1000 ms); `recovery
    default` changes only the options given; bad arguments are refused with the usage and change
    nothing; `recovery reset` of a cell without a ladder says so."""
    with KeelShell(build, workdir=workdir) as sh:
        out = ok(sh, "recovery")
        has(out, r"^default: top restart, state reset, quiet 1000 ms$")
        has(out, r"^no cell has faulted$")
        has(ok(sh, "recovery default --top reload --quiet-ms 250"),
            r"^default: top reload, state reset, quiet 250 ms$")
        has(ok(sh, "recovery default --state carry"),
            r"^default: top reload, state carry, quiet 250 ms$")
        for line, what in (("recovery default --top sometimes", "unknown rung"),
                           ("recovery default --state maybe", "unknown state"),
                           ("recovery default --quiet-ms 0", "bad --quiet-ms"),
                           ("recovery default --quiet-ms 99999999", "bad --quiet-ms"),
                           ("recovery default --top", "an option without its value"),
                           ("recovery default", "recovery default: want"),
                           ("recovery default --colour red", "unknown option"),
                           ("recovery reset", "recovery reset: want one cell"),
                           ("recovery frobnicate", "unknown subcommand")):
            out = sh.run(line)
            has(out, rf"^recovery: {what}")
            has(out, rf"^usage: {re.escape(USAGE)}$")
        has(ok(sh, "recovery"), r"^default: top reload, state carry, quiet 250 ms$")
        out = sh.run("recovery reset hello")
        has(out, r"^recovery: cell 'hello' has no ladder and is not failed$")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
