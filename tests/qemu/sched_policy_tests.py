#!/usr/bin/env python3
"""The scheduler policy as a cell (docs/smp.md, "Scheduler policies"): sched@1 (priority) is in
place after boot; `swap sched 2` puts round robin in place while tasks run, and back; a load of
tasks on every CPU never notices 40 swaps of the policy; a policy that answers wrongly is taken
out and the core's copy of the priority policy takes over; unloading the cell does the same.
One VM per case."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import KeelShell, run_cases  # noqa: E402
from checks import check, has, hasnt, ok  # noqa: E402

FAULT = r"CPU exception|panic|PANIC|LEAK|faulted"
PROBE = (r"^schedload: probe: the priority-1 task ran (\d+) times while a priority-7 one spun "
         r"200 ms on CPU 0$")


def policy(sh):
    """The policy line of `cpus`: (name, provider)."""
    m = has(sh.run("cpus"), r"^scheduler policy: (\S+) \((the sched cell|the core's copy)\)$")
    return m.group(1), m.group(2)


def probe(sh):
    """How often the low-priority task ran while the high-priority one spun on its CPU."""
    return int(has(ok(sh, "run schedload probe", timeout=30), PROBE).group(1))


def swapped(sh, line):
    out = ok(sh, line, timeout=60)
    hasnt(out, FAULT)
    return out


def case_swap_changes_policy(build, workdir):
    """priority -> round robin -> priority with tasks running: `cpus` names the policy in place,
    and the probe sees it (strict priorities never let the priority-1 task run while a
    priority-7 one spins on its CPU; round robin gives it a turn every tick)."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        check(policy(sh) == ("priority", "the sched cell"), "priority policy after boot", "")
        ok(sh, "load schedload@1")
        check(probe(sh) == 0, "the low task ran under the priority policy", "")
        out = swapped(sh, "swap sched 2")
        has(out, r"sched.*1 -> 2|sched@1 -> sched@2|sched: 1 -> 2|sched 1 -> 2")
        check(policy(sh) == ("round-robin", "the sched cell"), "round robin after swap", "")
        low = probe(sh)
        check(low > 0, f"the low task ran {low} times under round robin", "")
        swapped(sh, "swap sched 1")
        check(policy(sh) == ("priority", "the sched cell"), "priority after swap back", "")
        check(probe(sh) == 0, "the low task ran under the priority policy again", "")
        hasnt(sh.vm.text(), FAULT)


STATUS = r"^schedload: (\d+) tasks \((\d+) yet to make progress\), (\d+) messages, (\d+) worker rounds$"


def progressed(sh, since=(0, 0)):
    """Wait until every task of the load has made progress, and the messages and worker rounds
    passed `since`; returns (messages, rounds)."""
    def done(out):
        m = re.search(STATUS, out, re.M)
        return m and m.group(2) == "0" and int(m.group(3)) > since[0] and \
            int(m.group(4)) > since[1] and (int(m.group(3)), int(m.group(4)))
    return sh.run_until("run schedload", done, timeout=60, what="the load making progress")


def load_across_swaps(build, workdir, smp):
    with KeelShell(build, workdir=workdir, smp=smp) as sh:
        ok(sh, "load schedload@1")
        has(ok(sh, "run schedload start"), rf"^schedload: {4 * smp} tasks on {smp} CPUs$")
        before = progressed(sh)
        out = swapped(sh, "swap -r 40 sched 2")
        has(out, r"^swap: 40 swaps of sched between ")
        # A retired version a stale word on a busy stack still points into is freed later, by
        # the reclaimer: then the swap cannot compare its before and after (docs/live-swap.md).
        has(out, r"leak check: (.*: no leak|not comparable: \d+ retired versions still "
                 r"referenced before, \d+ after \(see cells\))$")
        check(policy(sh)[0] == "priority", "40 swaps end where they began", "")
        progressed(sh, before)
        out = sh.run("run schedload stop", timeout=60)
        has(out, rf"^schedload: {4 * smp} tasks ended, 0 badly, 0 without progress; \d+ messages, "
                 r"0 out of order; total (\d+), tallies \1$")
        has(out, r"^schedload: ok$")
        hasnt(sh.vm.text(), FAULT)


def case_swap_under_load(build, workdir):
    """40 swaps of the policy (priority <-> round robin) while producers, consumers and workers
    of three priorities run on both CPUs: every task ends normally having made progress, no
    message arrives out of order, the mutex-protected total equals the tasks' own tallies, and
    the swaps leak nothing."""
    load_across_swaps(build, workdir, 2)


def case_swap_under_load_4(build, workdir):
    """The same at -smp 4 (label qemu-smp4)."""
    load_across_swaps(build, workdir, 4)


def case_bad_answer(build, workdir):
    """A policy whose answer is out of range (sched@3 gives level 99) is taken out at its first
    answer: the log says why, the core's copy of the priority policy takes over, and tasks keep
    running under it."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        ok(sh, "load schedload@1")
        swapped(sh, "swap sched 3")
        check(probe(sh) == 0, "the core's priority policy runs the probe", "")
        has(sh.vm.text(), r"sched: the 'broken' policy gave level 99 \(of 0 to 7\); the core's "
                          r"priority policy takes over")
        check(policy(sh) == ("priority", "the core's copy"), "the core's copy in place", "")
        has(ok(sh, "run schedload start"), r"^schedload: 8 tasks on 2 CPUs$")
        progressed(sh)
        has(sh.run("run schedload stop", timeout=60), r"^schedload: ok$")
        hasnt(sh.vm.text(), FAULT)


def case_unload_and_load(build, workdir):
    """Unloading the policy cell hands the CPUs to the core's copy; loading sched@2 puts round
    robin in place (its init), and the probe sees each."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        ok(sh, "load schedload@1")
        ok(sh, "unload sched")
        check(policy(sh) == ("priority", "the core's copy"), "core's copy after unload", "")
        check(probe(sh) == 0, "priority without the cell", "")
        ok(sh, "load sched@2")
        check(policy(sh) == ("round-robin", "the sched cell"), "round robin after load", "")
        check(probe(sh) > 0, "round robin after load", "")
        hasnt(sh.vm.text(), FAULT)


def case_schedload_usage(build, workdir):
    """schedload's errors change nothing: an unknown subcommand, too many arguments, a stop with
    nothing running."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "load schedload@1")
        out = sh.run("run schedload bogus")
        has(out, r"^schedload: unknown subcommand 'bogus'$")
        has(out, r"^usage: run schedload \[start\|stop\|probe\]$")
        has(sh.run("run schedload a b"), r"^schedload: too many arguments$")
        has(sh.run("run schedload stop"), r"^schedload: not running$")
        has(ok(sh, "run schedload"), r"^schedload: not running")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
