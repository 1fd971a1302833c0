#!/usr/bin/env python3
"""QEMU system tests of the quiescence check of a live swap (tasking/swap_tasks.c): a task the
timer preempted inside cell caught, in a spot only part of its interrupted state shows, makes
`swap caught 2` wait and be refused at its deadline, naming where the task is; once the task is
released and has ended, the same swap succeeds. Fixtures: cells/demo/quiesce (bare, caught,
catcher). One VM per case.

    quiesce_tests.py --build DIR [--workdir DIR] CASE...
    quiesce_tests.py --list
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import KeelShell, run_cases  # noqa: E402
from checks import check, has, ok  # noqa: E402

FAULT = r"CPU exception|guarded call faulted|panic|PANIC|LEAK"


def caught_version(sh):
    """caught's loaded version, as `cells` shows it (not a retired row)."""
    out = ok(sh, "cells")
    m = has(out, r"^caught\s+(\d+)\s+(?!retired,)")
    return int(m[1])


def refused_while_spinning(build, workdir, way, where):
    """Start catcher's spinner `way`; `swap caught 2` must be refused at its deadline naming the
    spinning task, preempted, inside caught at `where` (a regex of symbol+offset); after the
    release the same swap succeeds."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load bare@1"), r"^loaded bare@1 from ")
        has(ok(sh, "load caught@1"), r"^loaded caught@1 from ")
        # Returns once the task is in its spin loop, which it leaves only when released.
        tid = has(ok(sh, f"run catcher@1 {way}"), rf"^catcher: task (\d+) spinning \({way}\)$")[1]
        has(ok(sh, "ps"), rf"^\s+{tid}\s+catcher\s")
        out = sh.run("swap -t 200 caught 2")
        # The task never leaves: only the deadline ends the wait, however slow the guest is.
        has(out, rf"^swap: not quiescent within 200 ms \(\d+ checks?\): task {tid} 'catcher' "
                 rf"\(preempted\) is inside the old version: <caught:{where}\+0x[0-9a-f]+>; "
                 r"nothing changed$")
        has(out, r"^keel: swap: exit status 1$")
        check(caught_version(sh) == 1, "cells should still show caught 1", "")
        has(ok(sh, "run catcher stop"),
            rf"^catcher: task {tid} ended, returned through caught version 1$")
        has(ok(sh, "swap -t 200 caught 2"), r"^swapped caught: version 1 -> 2")
        check(caught_version(sh) == 2, "cells should show caught 2", "")
        sh.vm.forbid(FAULT)


def case_rip(build, workdir):
    """caught_enter calls caught_spin (no frame): the refusal names the interrupted rip in
    caught_spin, not the return address into caught_enter at [rsp]."""
    refused_while_spinning(build, workdir, "rip", "caught_spin")


def case_leaf(build, workdir):
    """caught_call_bare calls bare_spin (no frame, another cell): only the return address at
    the interrupted rsp is in caught; the frame chain skips it."""
    refused_while_spinning(build, workdir, "leaf", "caught_call_bare")


def case_prologue(build, workdir):
    """caught_call_pushed calls bare_spin_pushed, which spins after pushing rbp (a function
    caught in its prologue): only the word at rsp+8 is in caught."""
    refused_while_spinning(build, workdir, "prologue", "caught_call_pushed")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
