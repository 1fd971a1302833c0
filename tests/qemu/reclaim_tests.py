#!/usr/bin/env python3
"""QEMU system tests of retired versions (docs/live-swap.md, "Retire, then free"): a version
replaced by a live swap stays mapped while anything points into it — a register of a preempted
task, a core routine a tail call reached, a stack slot, a heap block, another cell's variable, a
function pointer — and is freed, memory figures back to where they were, once the last
reference is gone. One VM per case, typed at the shell of the test image.

    reclaim_tests.py --build DIR [--workdir DIR] CASE...
    reclaim_tests.py --list

The soak case swaps KEEL_RECLAIM_SOAK_SWAPS times per cell (environment; default 2000).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import KeelShell, default_smp, oversubscribed, run_cases  # noqa: E402
from checks import check, has, ok_unfaulted as ok  # noqa: E402

FAULT = r"CPU exception|guarded call faulted|PANIC|LEAK"


UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
SIZE = r"(\d+) (B|KiB|MiB|GiB)"  # mem's sizes are exact: a unit only when it divides evenly


def size(m, i):
    return int(m[i]) * UNITS[m[i + 1]]


def figures(sh):
    """(heap bytes in use, physical bytes free, retired versions, retired bytes text) from mem."""
    out = ok(sh, "mem")
    heap = size(has(out, rf"^heap: {SIZE} in use"), 1)
    free = size(has(out, rf"^physical: {SIZE} total, {SIZE} free$"), 3)
    m = has(out, r"^retired cell versions: (\d+), holding (.+) \(freed once")
    return heap, free, int(m[1]), m[2]


def retired_rows(sh):
    """The retired versions `cells` lists: {(name, version): 'kept by ...'}."""
    out = ok(sh, "cells")
    return {(m[1], int(m[2])): m[3] for m in
            re.finditer(r"^(\S+)\s+(\d+)\s+retired, [^,]+, kept by (.*)$", out, re.M)}


def reclaim(sh):
    """Scan now: (freed, still referenced, output)."""
    out = ok(sh, "reclaim")
    m = has(out, r"^reclaim: \d+ pass(?:es)?, \d+ KiB scanned in \d+ us; freed (\d+) versions? "
                 r"\([^)]*\); (\d+) still referenced")
    return int(m[1]), int(m[2]), out


def warm_up(sh):
    """Load the command cells the checks use (a command cell stays loaded after its first use,
    which changes the memory figures)."""
    for line in ("cells", "reclaim", "mem", "ps"):
        ok(sh, line)


def prepare_lit(sh):
    """lit@1 and holder loaded, a warm-up swap pair done (the first use of a part of the cell
    area allocates page tables, which are kept) and reclaimed: the baseline figures."""
    warm_up(sh)
    has(ok(sh, "load lit@1"), r"^loaded lit@1 from ")
    has(ok(sh, "run holder@1 drop var"), r"^holder: dropped var$")  # loads holder
    ok(sh, "swap lit 2")
    ok(sh, "swap lit 1")
    freed, kept, out = reclaim(sh)
    check(kept == 0, "nothing should keep the warm-up versions", out)
    return figures(sh)


# What each kind of reference looks like in `cells` (the first reference the scan finds).
KINDS = {
    "reg": r"task \d+ 'holder' register \w+ \(preempted\)",
    "core": r"task \d+ 'holder' stack rsp\+0x[0-9a-f]+",
    "spin": r"task \d+ 'holder' register \w+ \(preempted\)",
    "stack": r"task \d+ 'holder' stack rsp\+0x[0-9a-f]+",
    "heap": r"heap block 0x[0-9a-f]+\+0x0 \(task \d+\)",
    "var": r"cell holder data <held_var\+0x0>",
    "func": r"cell holder data <held_fn\+0x0>",
}


def case_kinds(build, workdir):
    """Every kind of reference into lit, each live across a swap of lit and then used: no
    fault, the old value read (the old code run, for the function pointer), cells shows the
    version retired and what keeps it; once dropped it is freed and heap and free memory are
    back to their figures before the swap."""
    with KeelShell(build, workdir=workdir) as sh:
        base = prepare_lit(sh)
        old = 1
        for kind, kept_by in KINDS.items():
            new = 3 - old
            out = ok(sh, f"run holder hold {kind}")
            has(out, rf"^holder: holding {kind}")
            has(ok(sh, f"swap lit {new}"), rf"^swapped lit: version {old} -> {new}")
            freed, kept, out = reclaim(sh)
            check(freed == 0 and kept == 1, f"{kind}: a live reference must keep lit {old}", out)
            # What keeps it as of the command's own scan: a later one (the background reclaimer,
            # on an idle CPU) may first meet a stale word, say on the reclaim command's stack.
            m = has(out, rf"^  lit {old}: .* kept by (.*)$")
            check(re.fullmatch(kept_by, m[1]), f"{kind}: lit {old} should be kept by /{kept_by}/",
                  out)
            rows = retired_rows(sh)
            check((("lit", old)) in rows, f"{kind}: cells does not show lit {old} retired",
                  str(rows))
            out = ok(sh, f"run holder use {kind}")
            if kind == "func":
                has(out, rf"^holder: func returns {old}$")  # the old version's code ran
            else:
                has(out, rf"^holder: {kind} reads? 'literal of lit version {old}'$")
            if kind in ("var", "func"):
                has(ok(sh, f"run holder drop {kind}"), rf"^holder: dropped {kind}$")
            freed, kept, out = reclaim(sh)
            check(kept == 0, f"{kind}: lit {old} still kept after the reference was dropped", out)
            check(not retired_rows(sh), f"{kind}: cells still shows a retired version", "")
            now = figures(sh)
            check(now == base, f"{kind}: memory not back to before the swap: "
                  f"(heap B, free B, retired) {base} -> {now}", "")
            old = new
        sh.vm.forbid(FAULT)


def case_linked(build, workdir):
    """A retired version that stays keeps the versions it was linked against: holder keeps a
    function pointer into caller 1, whose code calls lit; after caller and then lit are swapped,
    lit 1 is kept by caller 1 alone (a 32-bit call field, no 64-bit word), the old code runs
    through both, and once the pointer is dropped both are freed in one scan."""
    with KeelShell(build, workdir=workdir) as sh:
        warm_up(sh)
        has(ok(sh, "load lit@1"), r"^loaded lit@1 from ")
        has(ok(sh, "load caller@1"), r"^loaded caller@1 from ")
        has(ok(sh, "run holder@1 hold linked"), r"^holder: holding linked -> caller_call\(\) = 11$")
        has(ok(sh, "swap caller 2"), r"^swapped caller: version 1 -> 2")
        has(ok(sh, "swap lit 2"), r"^swapped lit: version 1 -> 2")
        freed, kept, out = reclaim(sh)
        check(freed == 0 and kept == 2, "caller 1 and lit 1 must both be kept", out)
        has(out, r"^  caller 1: .* kept by cell holder data <held_linked\+0x0>$")
        has(out, r"^  lit 1: .* kept by retired caller 1, linked against it$")
        # The object a retired version came from stays in the ramfs while it is kept.
        out = sh.run("rm lit@1.o")
        has(out, r"^rm: cannot remove 'lit@1\.o': the retired version 1 of cell 'lit' came from it")
        has(ok(sh, "run holder use linked"), r"^holder: linked returns 11$")  # old code, both
        has(ok(sh, "run holder drop linked"), r"^holder: dropped linked$")
        freed, kept, out = reclaim(sh)
        check(freed == 2 and kept == 0, "both old versions freed in one scan", out)
        has(ok(sh, "rm lit@1.o"), r"^removed lit@1\.o ")
        sh.vm.forbid(FAULT)


def case_idle(build, workdir):
    """An old version nothing points into is freed by the background reclaimer alone (no
    on-demand scan), and the delay from the swap's commit to the free is reported."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load salute@1"), r"^loaded salute@1 from ")
        has(ok(sh, "swap salute 2"), r"^swapped salute: version 1 -> 2")
        # Wait for the reclaimer: mem only reads the figures, it does not scan.
        for _ in range(200):
            if figures(sh)[2] == 0:
                break
        else:
            raise AssertionError("the background reclaimer never freed salute 1\n"
                                 + sh.vm.tail(20))
        out = ok(sh, "reclaim --json")
        m = has(out, r'"freed_total":(\d+),.*"last_free_delay_ns":(\d+)\}$')
        # The reclaimer is the core's own task: it cannot be killed.
        tid = has(ok(sh, "ps"), r"^\s+(\d+)\s+reclaim\s+\w+\s+1\s.*\score$")[1]
        has(sh.run(f"kill {tid}"),
            rf"^kill: task {tid} \(reclaim\) cannot be killed: it is one of the core's own tasks$")
        check(int(m[1]) >= 1 and int(m[2]) > 0, "no retire-to-free delay reported", out)
        has(out, r"; 0 still referenced \(0 B\)$")
        sh.vm.forbid(FAULT)


def case_unload(build, workdir):
    """An unloaded cell nothing points into is freed at once: no retired version, and heap and
    free memory back to their figures before the load."""
    with KeelShell(build, workdir=workdir) as sh:
        warm_up(sh)
        ok(sh, "load lit@1")  # warm-up: page tables for this part of the cell area
        ok(sh, "unload lit")
        base = figures(sh)
        has(ok(sh, "load lit@1"), r"^loaded lit@1 from ")
        ok(sh, "unload lit")
        check(not retired_rows(sh), "cells shows a retired version after unload", "")
        now = figures(sh)
        check(now == base, "memory not back after load + unload", f"{base} -> {now}")
        sh.vm.forbid(FAULT)


def soak_count():
    """KEEL_RECLAIM_SOAK_SWAPS (2000 unless CMake says otherwise) swaps of each cell; a tenth of
    that (at least 40) on a host with fewer cores than the VM has CPUs, where a stop of every
    CPU costs host time slices and thousands of swaps would take many minutes."""
    n = os.environ.get("KEEL_RECLAIM_SOAK_SWAPS", "2000")
    if not n.isdigit() or int(n) < 2:
        raise SystemExit(f"KEEL_RECLAIM_SOAK_SWAPS must be a number >= 2, not '{n}'")
    return max(40, int(n) // 10) if oversubscribed(default_smp()) else int(n)


def case_soak(build, workdir):
    """Thousands of swaps of salute and counter while the workload and three cling tasks keep
    pointers into them (a stack slot, a register, a heap block) and call through them: no
    fault, retired versions bounded, and all of them freed once the tasks stop."""
    n = soak_count()
    with KeelShell(build, workdir=workdir) as sh:
        warm_up(sh)
        ok(sh, "load counter@1")
        ok(sh, "load salute@1")
        ok(sh, "swap counter 2")  # warm-up pairs: page tables for this part of the cell area
        ok(sh, "swap counter 1")
        ok(sh, "swap salute 2")
        ok(sh, "swap salute 1")
        reclaim(sh)
        base = figures(sh)
        has(ok(sh, "run workload@1"), r"^workload: task \d+")
        has(ok(sh, "run cling@1 start"), r"^cling: tasks \d+ \d+ \d+$")
        most = 0
        for cell in ("salute", "counter", "salute", "counter"):
            out = ok(sh, f"swap -r {n} {cell} 2", timeout=60 + n * 0.05)
            has(out, rf"^swap: {n} swaps of {cell} ")
            most = max(most, figures(sh)[2])
        # A swap reclaims before it links once 16 versions wait; each task keeps at most one.
        check(most <= 16 + 4, f"retired versions not bounded: {most}", "")
        out = ok(sh, "run workload")
        has(out, r", 0 out of sequence,")
        # A version freed too early and its addresses reused by the next would answer a kept
        # pointer with the other version's greeting.
        has(ok(sh, "run cling stop"),
            r"^cling: stopped after \d+ \+ \d+ \+ \d+ calls, 0 answered by another version$")
        has(ok(sh, "run workload stop"), r"^workload: stopping task")
        # The workload task ends at its next check: wait until ps no longer lists it.
        for _ in range(200):
            if not re.search(r"\sworkload\s*$", ok(sh, "ps"), re.M):
                break
        else:
            raise AssertionError("the workload task did not stop\n" + sh.vm.tail(20))
        freed, kept, out = reclaim(sh)
        check(kept == 0, "retired versions left after every task stopped", out)
        heap, free, retired, _ = figures(sh)
        check(retired == 0, "mem still counts retired versions", "")
        sh.vm.forbid(FAULT)
        print(f"soak: {4 * n} swaps; at most {most} retired at once; heap {base[0]} -> {heap} B, "
              f"free {base[1]} -> {free} B")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="build"))
