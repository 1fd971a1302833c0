#!/usr/bin/env python3
"""QEMU system tests of smpstress (docs/stress.md): the SMP stress at -smp 2 and -smp 4 passes,
with every count equal to what the run's shape fixes (computed here from the rounds and the
CPUs, independently of the command's own checks), no leak and no panic; a second run in the
same boot, one without swaps and one bounded by time pass too; Ctrl-C ends a run and its
workers; bad arguments are refused.

    smpstress_tests.py --build DIR [--workdir DIR] CASE...
    smpstress_tests.py --list
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import KeelShell, case, run_cases  # noqa: E402
from checks import check, has, hasnt  # noqa: E402

ROUNDS = 50
RUN_TIMEOUT = 240.0  # a run takes seconds of guest time; TCG on a busy host is slow
USAGE = ("usage: smpstress [--seconds S | --rounds N] [--seed X] [--json] [--no-swap]")

# Per round of one worker (cells/commands/smpstress/ss.h).
SPAWN_WIDTH, MSGS, HEAP_OPS, INCS, ITEMS, YIELDS, CALLS = 4, 4, 16, 4, 2, 8, 64
# Counts that must be zero.
NEVER = ("child_bad", "affinity_bad", "seq_bad", "sum_bad", "corrupt", "refused", "ownerdead",
         "no_handover", "early", "gate_bad", "out_of_order")


def workers(cpus, swaps):
    """The plan of cells/commands/smpstress/ss_plan.c: workers of each kind for `cpus` CPUs."""
    n = min(cpus, 8)
    return {"spawner": n + 1, "sender": n, "receiver": n, "heap": n + 1, "locker": 2 * n + 2,
            "producer": n, "consumer": n, "yielder": 2 * n, "sleeper": n + 1,
            "caller": n + 1 if swaps else 0, "swapper": 1 if swaps else 0}


def stress(sh, line):
    """Run an smpstress line with --json: (its output, the JSON outcome)."""
    out = sh.run(line, timeout=RUN_TIMEOUT)
    lines = [ln for ln in out.splitlines() if ln.startswith('{"smpstress"')]
    check(len(lines) == 1, "one JSON line", out)
    return out, json.loads(lines[0])["smpstress"]


def check_pass(out, j):
    """The verdict: PASS, exit status 0, no failure listed."""
    has(out, r"^smpstress: PASS$")
    hasnt(out, r"FAIL|exit status")
    check(j["pass"] is True and j["failures"] == 0, "the JSON says pass", out)


def check_exact(out, j, cpus, rounds, swaps):
    """Every count against the shape of a --rounds run on `cpus` CPUs."""
    want = workers(cpus, swaps)
    check(j["cpus"] == cpus and j["rounds"] == rounds and j["seconds"] == 0, "cpus and rounds",
          out)
    check(j["swaps_on"] is swaps, "swaps on or off", out)
    check(j["of_kind"] == want, f"workers {j['of_kind']}, expected {want}", out)
    check(j["workers"] == sum(want.values()), "the number of workers", out)
    c, r = j["counts"], rounds
    exact = {
        "spawned": want["spawner"] * r * SPAWN_WIDTH,
        "joined": want["spawner"] * r * SPAWN_WIDTH,
        "sent": want["sender"] * r * MSGS,
        "received": want["sender"] * r * MSGS,
        "heap_ops": want["heap"] * r * HEAP_OPS,
        "incs": want["locker"] * r * INCS,
        "put": want["producer"] * r * ITEMS,
        "got": want["producer"] * r * ITEMS,
        "sleeps": want["sleeper"] * r,
        "calls": want["caller"] * r * CALLS,
    }
    for name, value in exact.items():
        check(c[name] == value, f"{name}: {c[name]}, expected {value}", out)
    for name in NEVER:
        check(c[name] == 0, f"{name}: {c[name]}, expected 0", out)
    check(c["recv_sum"] == c["sent_sum"], "message checksums in = out", out)
    check(c["got_sum"] == c["put_sum"], "item sums in = out", out)
    check(c["allocs"] == c["frees"] and c["allocs"] > 0, "every block freed", out)
    check(j["lock_counter"] == exact["incs"], "the mutex-protected counter", out)
    # A yield is checked only while the other of its pair is ready: all but a few at the ends.
    yields = want["yielder"] * r * YIELDS
    check(yields * 9 // 10 <= c["yields"] <= yields, f"yields checked: {c['yields']} of {yields}",
          out)
    check(j["no_handover_on"] == [0] * min(cpus, 8), "no yield without a handover", out)
    check(c["gate_max"] >= 1, "sleepers went through the semaphore", out)
    if swaps:
        check(j["counter_after"] - j["counter_before"] == exact["calls"],
              "the counter grew by the calls made", out)
        check(c["swaps"] >= 2 and c["swaps"] % 2 == 0, f"{c['swaps']} swaps: even, at least 2",
              out)
    else:
        check(c["swaps"] == 0 and c["calls"] == 0, "no swaps, no calls", out)
    check_no_leak(out, j)


def check_no_leak(out, j):
    leak = j["leak"]
    check(leak["leak"] is False and leak["kept"] == 0, "the leak check passed", out)
    for what in ("heap", "outside", "tasks"):
        check(leak[f"{what}_before"] == leak[f"{what}_after"], f"{what} before = after", out)
    has(out, r"^  leak check: .*: no leak$")


def run_exact(build, workdir, cpus):
    with KeelShell(build, workdir=workdir, smp=cpus) as sh:
        out, j = stress(sh, f"smpstress --rounds {ROUNDS} --json")
        has(out, rf"^smpstress: {cpus} CPUs, \d+ workers, seed 1, {ROUNDS} rounds each, "
                 r"swapping counter$")
        check_pass(out, j)
        check_exact(out, j, cpus, ROUNDS, swaps=True)
        # Again in the same boot (the cell stays loaded, its shared state is set up anew),
        # without swaps and with another seed.
        out, j = stress(sh, f"smpstress --rounds {ROUNDS} --seed 0x5eed --no-swap --json")
        check_pass(out, j)
        check(j["seed"] == 0x5EED, "the seed", out)
        check_exact(out, j, cpus, ROUNDS, swaps=False)
        has(sh.run("cpus"), rf"^{cpus} CPUs online")


@case(timeout=600)
def case_smp2(build, workdir):
    """-smp 2: smpstress --rounds 50 twice (with and without swaps): PASS, exact counts, no
    leak, no panic."""
    run_exact(build, workdir, 2)


@case(timeout=900)
def case_smp4(build, workdir):
    """-smp 4: the same at four CPUs (label qemu-smp4)."""
    run_exact(build, workdir, 4)


@case(timeout=600)
def case_seconds(build, workdir):
    """-smp 2, the default length (3 s of guest time): PASS, what went in came out, no leak."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        out, j = stress(sh, "smpstress --json")
        check_pass(out, j)
        check(j["seconds"] == 3 and j["rounds"] == 0, "3 s by default", out)
        c = j["counts"]
        check(c["spawned"] == c["joined"] == j["rounds_of"]["spawner"] * SPAWN_WIDTH > 0,
              "every child joined", out)
        check(c["received"] == c["sent"] == j["rounds_of"]["sender"] * MSGS > 0,
              "every message received", out)
        check(j["lock_counter"] == c["incs"] == j["rounds_of"]["locker"] * INCS > 0,
              "the mutex-protected counter", out)
        check(c["got"] == c["put"] and c["got_sum"] == c["put_sum"], "the buffer", out)
        check(j["counter_after"] - j["counter_before"] == c["calls"] > 0, "the counter", out)
        for name in NEVER:
            check(c[name] == 0, f"{name}: {c[name]}, expected 0", out)
        check_no_leak(out, j)


@case(timeout=600)
def case_interrupt(build, workdir):
    """-smp 2: Ctrl-C during a run ends it and every worker; the next run passes."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        sh.vm.skip()
        sh.send("smpstress --seconds 600\r")
        sh.expect(r"smpstress: 2 CPUs, \d+ workers, seed 1, 600 s, swapping counter\n",
                  timeout=RUN_TIMEOUT)
        sh.send("\x03")
        sh.expect(r"smpstress: interrupted; the workers stop after their current round\n",
                  timeout=60)
        sh.expect(r"keel> ", timeout=60)
        # The reaper joins the killed workers on its own time: wait until none is left.
        sh.run_until("ps", lambda out: not re.search(r"\bss_", out), timeout=120,
                     what="every smpstress task gone")
        out, j = stress(sh, "smpstress --rounds 10 --json")
        check_pass(out, j)
        check_exact(out, j, 2, 10, swaps=True)


def case_bad_args(build, workdir):
    """Bad arguments are refused with a message, the usage and exit status 2; --help prints the
    usage and the options."""
    with KeelShell(build, workdir=workdir) as sh:
        refusals = {
            "smpstress --rounds": "--rounds needs a value",
            "smpstress --rounds 0": "bad rounds '0' (a whole number, 1..100000)",
            "smpstress --rounds lots": "bad rounds 'lots' (a whole number, 1..100000)",
            "smpstress --seconds 3601": "bad seconds '3601' (a whole number, 1..3600)",
            "smpstress --seconds 2 --rounds 2": "--seconds and --rounds exclude each other",
            "smpstress --seed 0xzz": "bad seed '0xzz' (a decimal or 0x-hex number below 2^64)",
            "smpstress --fast": "unknown option '--fast'",
            "smpstress 10": "unexpected argument '10'",
        }
        for line, msg in refusals.items():
            out = sh.run(line)
            lines = out.splitlines()
            check(lines[:2] == [f"smpstress: {msg}", USAGE], f"'{line}': message and usage",
                  out)
            has(out, r"^keel: smpstress: exit status 2$")
            hasnt(out, r"PASS|FAIL|workers")
        out = sh.run("smpstress --help")
        check(out.splitlines()[0] == USAGE, "--help: the usage", out)
        for option in ("--seconds S", "--rounds N", "--seed X", "--json", "--no-swap"):
            has(out, rf"^  {re.escape(option)} ")
        hasnt(out, r"exit status|workers")
        has(sh.run("help smpstress"), rf"^{re.escape(USAGE)}$")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
