#!/usr/bin/env python3
"""QEMU system tests of allocation failures under the control channel: the shell's `failslab
nth N owner OWNER` makes the Nth allocation of one heap owner fail, for N = 1, 2, ... until the
operation gets through; every failure must be a clean refusal with a message that leaves
nothing behind — no ramfs file, no cell version, the heap rows of the owners involved and the
free memory where they were (docs/boot-and-memory.md, docs/control-channel.md).

    failslab_tests.py --build DIR [--workdir DIR] CASE...
    failslab_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, has, hasnt  # noqa: E402
from ctl_tests import Ctl, load_demo, shell  # noqa: E402
from keelvm import run_cases  # noqa: E402
from ramfs_tests import SIZE, ramfs_line, size_bytes  # noqa: E402

NTH_MAX = 40  # far more allocations of one owner than one request makes


def figures(sh):
    """What a refused request must leave as it was: free memory, the heap rows of the core,
    the loader, the ramfs and the ctl task, the ramfs line, the retired versions."""
    out = sh.run("mem")
    m = re.search(rf"^physical: {SIZE} total, ({SIZE}) free$", out, re.M)
    check(m, "no physical line in mem", out)
    rows = {"free": size_bytes(m.group(1))}
    for name in ("core", "loader", "ramfs", r"task \d+ ctl"):
        r = re.search(rf"^{name}\s+({SIZE})\s", out, re.M)
        check(r, f"no {name} row in mem", out)
        rows[name] = size_bytes(r.group(1))
    rows["ramfs files"] = ramfs_line(out)
    rows["retired"] = has(out, r"^retired cell versions: .*$").group(0)
    return rows


def ctl_task(sh):
    return int(has(sh.run("ps"), r"^\s*(\d+)\s+ctl\s").group(1))


def walk(sh, owner, attempt, refused):
    """failslab nth 1, 2, ... for owner around attempt() (keelctl's output and exit status),
    until it succeeds; each refusal checked by refused(output) and against the figures before.
    The number of refusals."""
    warm = attempt()  # what stays for good once the request ran (command cells, buffers)
    check(warm[1] == 0, "the request fails without injected failures", warm[0])
    undo()
    for line in ("failslab off", "ls", "cells", "mem"):  # their command cells stay loaded
        sh.run(line)
    before = figures(sh)
    for n in range(1, NTH_MAX + 1):
        has(sh.run(f"failslab nth {n} owner {owner}"), rf"^failslab: allocation {n} from now")
        out, status = attempt()
        sh.run("failslab off")
        if status == 0:
            check(n > 1, f"owner {owner}: no allocation failed", out)
            return n - 1
        refused(out)
        after = figures(sh)
        check(after == before, f"owner {owner}, fail_nth {n}: the refused request left "
              f"something behind: before {before}, after {after}", out)
    raise AssertionError(f"owner {owner}: still refused at fail_nth {NTH_MAX}")


def undo():
    pass


def case_command(build, workdir):
    """failslab shows, arms and disarms the injection, and refuses bad arguments with the usage;
    an armed failure is used up by the owner named only."""
    with shell(build, workdir) as sh:
        has(sh.run("failslab"), r"^failslab: off$")
        has(sh.run("failslab nth 3 owner ramfs"),
            r"^failslab: allocation 3 from now fails \(owner 0x20000001 only\)$")
        has(sh.run("ls"), r"hello@1\.o")  # no ramfs allocation: still armed
        has(sh.run("failslab"), r"^failslab: allocation 3 from now fails")
        has(sh.run("failslab off"), r"^failslab: off$")
        has(sh.run("failslab"), r"^failslab: off$")
        usage = (r"^usage: failslab \[nth N \[owner core\|loader\|ramfs\|task:ID \| cell CELL\] \| off\] "
                 r"\(or --nth N --owner O --cell C\)$")
        for line, why in (("failslab x", "want 'nth N' or 'off'"),
                          ("failslab nth 0", "nth wants a number from 1 to 4294967295"),
                          ("failslab nth 4294967296", "nth wants a number"),
                          ("failslab nth 2 owner bob", "owner is core, loader, ramfs or task:ID"),
                          ("failslab nth 2 owner task:0", "owner is core"),
                          ("failslab nth 2 ramfs", "after 'nth N' only 'owner OWNER' or 'cell CELL' may follow"),
                          ("failslab off now", "too many arguments")):
            out = sh.run(line)
            has(out, rf"^failslab: {re.escape(why)}")
            has(out, usage)
            has(out, r"failslab: exit status 2")
        has(sh.run("failslab"), r"^failslab: off$")


def case_push(build, workdir):
    """keelctl push under failures of the ctl task's allocations (its receive buffers) and of
    the ramfs's (the file's block, its index): refused with a message, no file stored."""
    hello = os.path.join(build, "cells", "hello@1.o")
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        sh.run("ls")
        owners = {f"task:{ctl_task(sh)}": r"(no memory for a payload|refused HELLO)",
                  "ramfs": r"cannot store 'fs\.o': out of memory \(KE_NOMEM\)"}
        global undo
        undo = lambda: has(sh.run("rm fs.o"), r"^removed fs\.o")  # noqa: E731
        for owner, message in owners.items():
            def attempt():
                out = ctl("push", hello, "--name", "fs.o", want=None)
                return out, 0 if re.search(r"^pushed ", out, re.M) else 1

            def refused(out):
                has(out, message)
                hasnt(sh.run("ls"), r"fs\.o")
            failures = walk(sh, owner, attempt, refused)
            print(f"owner {owner}: {failures} refused before it got through", flush=True)
            undo()
            check(failures >= 1, f"owner {owner}: no push refused")
        ctl.alive()


def case_swap(build, workdir):
    """keelctl swap counter counter@2.o under failures of the ctl task's and the loader's
    allocations: refused with a message, counter still at version 1, nothing retired, the
    heap and free memory back where they were."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        load_demo(sh)
        global undo
        undo = lambda: has(ctl("swap", "counter", "counter@1.o"),  # noqa: E731
                           r"^swapped counter: version 2 -> 1")
        # Warm: a first swap there and back, so retired versions are already freed or counted.
        has(ctl("swap", "counter", "counter@2.o"), r"^swapped counter: version 1 -> 2")
        undo()
        sh.run("reclaim")
        for owner in (f"task:{ctl_task(sh)}", "loader"):
            def attempt():
                out = ctl("swap", "counter", "counter@2.o", want=None)
                if re.search(r"^swapped counter: version 1 -> 2", out, re.M):
                    return out, 0
                return out, 1

            def refused(out):
                has(out, r"(out of memory|no memory|KE_NOMEM|CTL_E_NOBUF)")
                has(sh.run("cells"), r"^counter\s+1\s")
            undo_swap = undo
            undo = lambda: (undo_swap(), sh.run("reclaim"))  # noqa: E731
            failures = walk(sh, owner, attempt, refused)
            print(f"owner {owner}: {failures} refused before it got through", flush=True)
            undo()
            undo = undo_swap
            check(failures >= 1, f"owner {owner}: no swap refused")
        ctl.alive()


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
