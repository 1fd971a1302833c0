#!/usr/bin/env python3
"""QEMU system tests of allocation failure per cell (docs/fault-injection.md, "Allocation
failure"): `inject alloc <cell> --nth N` fails the Nth heap allocation made by the cell's code
(its call chain), once, and records the failed allocation; the sweep fails the 1st, 2nd, ...
allocation of every workload cell in turn, up to the number one golden run makes: never a panic,
the run ends (an error, or the golden digest), and the heap comes back to its exact figures.

    alloc_sweep_tests.py --build DIR [--workdir DIR] CASE...
    alloc_sweep_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, has, hasnt, ok  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402

SWEEP_MAX = 120  # allocations swept per workload at most (each a run of a few hundred ms)
ROUNDS = {"storm": 2, "pingpong": 3, "pipeline": 2, "ramfs": 2, "demo": 2}


def exact(sh):
    """The heap's exact figures (bytes, blocks), as mem prints them."""
    m = has(sh.run("mem"), r"^heap exact: (\d+) bytes in (\d+) blocks$")
    return int(m.group(1)), int(m.group(2))


def settled(sh, before, what):
    """mem until the heap is back at before (tasks are reaped on their own time)."""
    sh.run_until("mem", lambda out: re.search(
        rf"^heap exact: {before[0]} bytes in {before[1]} blocks$", out, re.M) is not None,
        what=f"{what}: the heap back at {before[0]} bytes in {before[1]} blocks")


def run_workload(sh, name, rounds):
    return sh.run(f"workload run {name} --seed 1 --rounds {rounds}", timeout=60)


def golden(out, name):
    m = re.search(rf"^workload {name} seed 1 rounds \d+: digest ([0-9a-f]{{16}})$", out, re.M)
    return m.group(1) if m else None


def sweep_case(name):
    cell = f"wl_{name}"

    def run(build, workdir):
        rounds = ROUNDS[name]
        with KeelShell(build, workdir=workdir) as sh:
            out = run_workload(sh, name, rounds)  # loads the cell; what stays from here on
            want = golden(out, name)
            check(want, f"{name}: the golden run failed", out)
            for line in ("inject status", "inject restore", "mem"):
                sh.run(line)  # their command cells stay loaded
            # Count: an nth never reached; the status says how many allocations the cell made.
            has(ok(sh, f"inject alloc {cell} --nth 4294967295"), rf"^inject: alloc in cell {cell}")
            check(golden(run_workload(sh, name, rounds), name) == want,
                  f"{name}: the counting run changed the digest")
            total = int(has(sh.run("inject status"),
                            r"^  (\d+) allocations? by the cell seen$").group(1))
            ok(sh, "inject restore")
            print(f"{cell}: {total} allocations in a golden run (rounds {rounds})", flush=True)
            if total == 0:  # wl_demo: calls counter and salute, which allocate nothing
                has(ok(sh, f"inject alloc {cell} --nth 1"), r"^inject: alloc in cell")
                check(golden(run_workload(sh, name, rounds), name) == want, f"{cell}: digest")
                has(sh.run("inject status"), r"^  not activated \(1 to go\)$")
                ok(sh, "inject restore")
                return
            before = exact(sh)
            errors = 0
            for n in range(1, min(total, SWEEP_MAX) + 1):
                has(ok(sh, f"inject alloc {cell} --nth {n}"),
                    rf"^inject: alloc in cell {cell}, allocation {n} from now fails")
                out = run_workload(sh, name, rounds)
                hasnt(out, r"faulted|left \d+ bytes|panic")
                got = golden(out, name)
                if got is None:
                    has(out, rf"^workload {name}: failed: ")
                    errors += 1
                else:
                    check(got == want, f"{cell} nth {n}: digest {got}, golden {want}", out)
                status = sh.run("inject status")
                has(status, rf"^  activated at \d+ ns by task \d+ '[^']*': allocation failed, "
                    rf"caller 0x[0-9a-f]{{16}} <{cell}:")
                ok(sh, "inject restore")
                settled(sh, before, f"{cell} nth {n}")
            print(f"{cell}: swept {min(total, SWEEP_MAX)}, {errors} ended with an error",
                  flush=True)
            check(errors >= 1, f"{cell}: no injected failure made the workload report an error")
    run.__doc__ = (f"allocation sweep of {cell}: fail its 1st, 2nd, ... allocation; each run "
                   f"ends cleanly with an error or the golden digest and leaves the heap exact.")
    return run


for _name in ROUNDS:
    globals()[f"case_sweep_{_name}"] = sweep_case(_name)


def case_command(build, workdir):
    """inject alloc and failslab --cell: arm, show, activation, restore, and refusals that
    change nothing."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "workload run storm --rounds 1")
        ok(sh, "workload run demo --rounds 1")
        out = sh.run("inject alloc nosuch --nth 1")
        has(out, r"^inject: no cell 'nosuch' is loaded \(KE_NOENT\)$")
        has(sh.run("inject status"), r"^inject: no fault in place$")
        for line, why in (("inject alloc", "alloc wants a cell"),
                          ("inject alloc wl_demo --nth 0", "bad --nth '0': want a number"),
                          ("inject alloc wl_demo --nth", "--nth needs a value"),
                          ("inject alloc wl_demo --bogus 1",
                           "unknown option '--bogus' (alloc takes --nth and --seed)")):
            out = sh.run(line)
            has(out, rf"^inject: {re.escape(why)}")
            has(out, r"^usage: inject ")
        has(sh.run("failslab --cell nosuch --nth 2"), r"^failslab: no cell 'nosuch' is loaded")
        has(sh.run("failslab --cell wl_demo --owner core --nth 2"),
            r"^failslab: owner and cell exclude each other")
        has(sh.run("failslab"), r"^failslab: off$")
        has(ok(sh, "failslab --cell wl_storm --nth 1"),
            r"^failslab: allocation 1 from arming fails \(cell wl_storm only; 0 seen")
        has(sh.run("inject alloc wl_storm --nth 1"), r"in place for cell wl_storm.*\(KE_BUSY\)")
        has(sh.run("inject bitflip wl_storm --seed 1"), r"allocation fault is in place.*KE_BUSY")
        has(sh.run("failslab nth 3"), r"^failslab: an allocation fault is in place for cell")
        has(sh.run("workload run storm --rounds 1"), r"^workload storm: failed: ")
        has(sh.run("inject status"),
            r"^  activated at \d+ ns by task \d+ 'wl_storm': allocation failed, caller "
            r"0x[0-9a-f]{16} <wl_storm:")
        has(ok(sh, "failslab off"), r"^failslab: off$")
        has(sh.run("inject status"), r"^inject: no fault in place$")
        has(ok(sh, "inject alloc wl_demo --seed 5"), r"^inject: alloc in cell wl_demo, "
            r"allocation \d+ from now fails, seed 5$")
        has(ok(sh, "inject restore"), r"^inject: disarmed the allocation fault in cell wl_demo")
        has(sh.run("inject restore"), r"^inject: no fault in place")
        ok(sh, "workload run demo --rounds 1")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
