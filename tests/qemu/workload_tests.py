#!/usr/bin/env python3
"""QEMU system tests of the workload cells and the workload command (docs/workloads.md): each
workload's digest is fixed by (workload, seed, rounds) — the same seed twice gives the golden
digest, another seed another digest — a run leaves nothing behind on the heap or in the ramfs,
and bad arguments are refused with the usage and change nothing.

    workload_tests.py --build DIR [--workdir DIR] CASE...
    workload_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import EXIT_STATUS, check, has, hasnt, ok  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402
from ramfs_tests import SIZE, ramfs_line, size_bytes  # noqa: E402

USAGE = "workload list | workload run <name> [--seed N] [--rounds N] [--fail-stop]"
WORKLOADS = ("storm", "pingpong", "pipeline", "ramfs", "demo")

# Digests of the golden run, with each workload's default rounds: (seed 1, seed 2). A change to a
# workload's work or to its digest changes these on purpose only (docs/workloads.md).
GOLDEN = {
    "storm": ("14101ff352170315", "2116f4c73fbeb453"),
    "pingpong": ("4bfc3b45dc7a7f50", "ad625a4fed71a2c8"),
    "pipeline": ("d21f928b4bbb9109", "182064b390eed7c5"),
    "ramfs": ("dba46e5707dece21", "e6fa7688045dc03f"),
    "demo": ("07998fe1f4db00bb", "95009edb0960209c"),
}


def digest(sh, name, args=""):
    """Run a workload that must succeed: its digest line's (seed, rounds, digest)."""
    out = ok(sh, f"workload run {name} {args}".rstrip(), timeout=60)
    hasnt(out, r"left \d+ bytes|restarted|failed|faulted")
    m = has(out, rf"^workload {name} seed (\d+) rounds (\d+): digest ([0-9a-f]{{16}})$")
    check(out.splitlines()[-1] == m.group(0), "the digest line is not the last line", out)
    return int(m.group(1)), int(m.group(2)), m.group(3)


def heap_figures(out):
    """What a run must leave as it was: the heap in use, the rows of the core, the loader and
    the ramfs, and mem's ramfs line (files and bytes)."""
    figures = {"heap": size_bytes(has(out, rf"^heap: ({SIZE}) in use,").group(1)),
               "ramfs files": ramfs_line(out)}
    for name in ("core", "loader", "ramfs"):
        figures[name] = size_bytes(has(out, rf"^{name}\s+({SIZE})\s").group(1))
    return figures


def settled(sh, before, what):
    """mem until its figures are back at before (tasks are reaped on their own time)."""
    sh.run_until("mem", lambda out: heap_figures(out) == before,
                 what=f"{what}: the heap and the ramfs back at {before}")


def golden_case(name):
    def run(build, workdir):
        with KeelShell(build, workdir=workdir) as sh:
            files = ramfs_line(ok(sh, "mem"))  # no run yet: the boot modules only
            first = digest(sh, name)  # loads the cells; what stays for good from here on
            check(ramfs_line(ok(sh, "mem")) == files, f"{name} left files in the ramfs",
                  ok(sh, "ls"))
            before = heap_figures(ok(sh, "mem"))
            again = digest(sh, name, "--seed 1")
            check(first == again, f"seed 1 twice: {first} then {again}")
            check(first[2] == GOLDEN[name][0],
                  f"{name} seed 1: digest {first[2]}, golden {GOLDEN[name][0]}")
            other = digest(sh, name, "--seed 2")
            check(other[2] != first[2], f"seeds 1 and 2 give one digest {other[2]}")
            check(other[2] == GOLDEN[name][1],
                  f"{name} seed 2: digest {other[2]}, golden {GOLDEN[name][1]}")
            fewer = digest(sh, name, "--seed 1 --rounds 3")
            check(fewer[1] == 3 and fewer[2] != first[2], f"rounds 3 gives {fewer}")
            settled(sh, before, f"after workload {name}")
            hasnt(ok(sh, "ls"), r"wl-ramfs")
    run.__doc__ = (f"workload {name}: the golden digest for seeds 1 and 2, every time; another "
                   f"seed or rounds another digest; nothing left behind.")
    return run


for _name in WORKLOADS:
    globals()[f"case_{_name}"] = golden_case(_name)


def usage_error(sh, line, what):
    out = sh.run(line)
    has(out, rf"^workload: {what}")
    has(out, rf"^usage: {re.escape(USAGE)}$")
    has(out, r"^keel: workload: exit status 2$")
    hasnt(out, r"digest")


def case_arguments(build, workdir):
    """workload list names the five; bad arguments are refused with the usage, exit status 2,
    and nothing loaded, run or left behind; help shows the usage."""
    with KeelShell(build, workdir=workdir) as sh:
        out = ok(sh, "workload list")
        for name in WORKLOADS:
            has(out, rf"^{name}\s+wl_{name}\s+\d+\s+\S")
        has(sh.run("help workload"), rf"^usage: {re.escape(USAGE)}$")
        ok(sh, "mem")  # the command cells used below stay loaded from their first run
        cells = ok(sh, "cells")
        before = heap_figures(ok(sh, "mem"))
        usage_error(sh, "workload", r"list or run\?")
        usage_error(sh, "workload walk", r"unknown subcommand 'walk'")
        usage_error(sh, "workload list x", r"list takes no arguments")
        usage_error(sh, "workload run", r"which workload\?")
        usage_error(sh, "workload run nosuch", r"no workload 'nosuch'")
        usage_error(sh, "workload run storm --seed abc", r"seed 'abc' is not a number")
        usage_error(sh, "workload run storm --seed 0x", r"seed '0x' is not a number")
        usage_error(sh, "workload run storm --seed 18446744073709551616",
                    r"seed '18446744073709551616' is not a number")
        usage_error(sh, "workload run storm --rounds 0", r"rounds must be 1\.\.10000, not 0$")
        usage_error(sh, "workload run storm --rounds 10001", r"rounds must be 1\.\.10000")
        usage_error(sh, "workload run storm --rounds x1", r"rounds 'x1' is not a number")
        usage_error(sh, "workload run storm --seed", r"--seed needs a number")
        usage_error(sh, "workload run storm --speed 3", r"unknown option '--speed'")
        after = ok(sh, "cells")
        check(after == cells, "a refused run changed the loaded cells", after)
        hasnt(after, r"^wl_")
        settled(sh, before, "after the refused runs")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
