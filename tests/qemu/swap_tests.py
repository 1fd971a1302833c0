#!/usr/bin/env python3
"""QEMU system tests of live swap (docs/live-swap.md): the `swap` command on the demo cells
(counter, salute, workload, sleeper, meter/gauge) and on the shell itself, typed at the prompt of
the test image. One VM per case. Versions are always named (`load counter@1`): the test image
also holds the fixtures (counter@4, counter@5, ...), which a bare `load counter` would pick.

    swap_tests.py --build DIR [--workdir DIR] CASE...
    swap_tests.py --list

The soak case swaps KEEL_SOAK_SWAPS times (environment; default 300). A long soak:
    KEEL_SOAK_SWAPS=20000 tests/qemu/swap_tests.py --build build soak
or configure with -DKEEL_SOAK_SWAPS=20000 and run `ctest -R qemu_swap_soak` (the CTest timeout
scales with the count).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelctlrun import KeelCtl  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402
from checks import check, has, hasnt, ok  # noqa: E402

FAULT = r"CPU exception|guarded call faulted|panic|PANIC|LEAK"
STEPS = ("link", "check", "quiesce", "transfer", "rewrite")


def refused(sh, line, status=1):
    out = sh.run(line)
    has(out, rf"^keel: swap: exit status {status}$")
    return out


WORKLOAD = (r"workload: task (\d+), (\d+) calls, (\d+) out of sequence, last value (\d+), "
            r"greeting '([^']*)'\nworkload: (counter v(\d+): .*)$")


def parse_report(out):
    """The workload's view, printed by `run workload`, as a dict."""
    hasnt(out, r"^keel: \S+: exit status")
    m = has(out, WORKLOAD)
    return {"task": int(m.group(1)), "calls": int(m.group(2)), "errors": int(m.group(3)),
            "last": int(m.group(4)), "greeting": m.group(5), "desc": m.group(6),
            "version": int(m.group(7)), "out": out}


def report(sh):
    """`run workload`: the workload task's view, as a dict."""
    return parse_report(sh.run("run workload"))


def settle(sh, before, until=None, timeout=60.0):
    """A new report taken once the workload made progress since `before` (and until(report)
    holds, if given): `run workload` is re-run until it shows more calls and a higher value (the
    workload task runs on its own time). Every report must show the same task with its sequence
    unbroken. What the workload saw of a swap shows only after its next call into the cell:
    wait for that with `until`, not for progress alone (which may be a call from before)."""
    def progressed(out):
        r = parse_report(out)
        check(r["task"] == before["task"], "the workload task changed", r["out"])
        check(r["errors"] == 0, "the workload saw counter values out of sequence", r["out"])
        moved = r["calls"] > before["calls"] and r["last"] > before["last"]
        return r if moved and (until is None or until(r)) else None

    return sh.run_until("run workload", progressed, timeout,
                        "the workload to make progress" + (" and show the change" if until else ""))


def start_workload(sh):
    """counter@1 and salute@1 loaded, the workload task running; its first report."""
    has(ok(sh, "load counter@1"), r"^loaded counter@1 from ")
    has(ok(sh, "load salute@1"), r"^loaded salute@1 from ")
    out = ok(sh, "run workload@1")
    has(out, r"greeting 'hello, Keel!'")
    has(out, r"^workload: counter v1: value \d+$")
    return settle(sh, report(sh))


def cells(sh):
    """`cells` as {name: normalised row} (whitespace collapsed)."""
    out = ok(sh, "cells")
    rows = {}
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) > 2 and f[2] == "retired,":
            continue  # a retired version (freed once nothing points into it), not the loaded one
        rows[f[0]] = " ".join(f)
    check(rows, "cells listed nothing", out)
    return rows


def version(rows, name):
    check(name in rows, f"no {name} row in cells", "\n".join(rows.values()))
    return int(rows[name].split()[1])


def no_faults(sh):
    sh.vm.forbid(FAULT)


def swapped(out, cell, old, new, state):
    has(out, rf"^swapped {cell}: version {old} -> {new}, state {state} \(\d+ bytes\), "
             r"\d+ variables? carried \(\d+ bytes\)$")
    has(out, r"^  \d+ sites? rewired, \d+ service tasks? re-spawned, \d+ quiescence checks?$")
    us = r"\d+\.\d"  # microseconds, one decimal
    has(out, rf"^  total {us} us = link {us} \+ check {us} \+ quiesce {us} \+ transfer {us} \+ "
             rf"rewrite {us} \+ commit {us} \+ retire {us}; stop-the-world {us} us$")


def case_callers_see_new(build, workdir):
    """salute 1 -> 2 under the running workload: the next call greets with the new wording;
    same task, sequence unbroken, calls keep increasing."""
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        check(r0["greeting"] == "hello, Keel!", "greeting of salute v1", r0["out"])
        out = ok(sh, "swap salute 2")
        swapped(out, "salute", 1, 2, "none")
        has(out, r"^  [1-9]\d* sites? rewired")
        r1 = settle(sh, r0, until=lambda r: r["greeting"] != "hello, Keel!")
        check(r1["greeting"] == "good day, Keel!", "greeting of salute v2", r1["out"])
        r2 = settle(sh, r1)
        check(r2["calls"] > r1["calls"] > r0["calls"], "calls keep increasing", r2["out"])
        check(version(cells(sh), "salute") == 2, "cells shows salute 2", "")
        no_faults(sh)


def case_state_verbatim(build, workdir):
    """counter 1 -> 2 (same layout): the block is carried verbatim, the value goes on."""
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        out = ok(sh, "swap counter 2")
        swapped(out, "counter", 1, 2, "verbatim")
        has(out, r"state verbatim \(8 bytes\)")
        r1 = settle(sh, r0)
        check(r1["version"] == 2 and "(same layout as v1)" in r1["desc"], "counter v2", r1["out"])
        check(r1["last"] > r0["last"], "the value goes on", r1["out"])
        check(version(cells(sh), "counter") == 2, "cells shows counter 2", "")
        no_faults(sh)


def case_state_migrated(build, workdir):
    """counter 1 -> 2 -> 3: version 3's migrate hook converts the layout-1 block; the value goes
    on and the new field counts from the migration."""
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        ok(sh, "swap counter 2")
        r1 = settle(sh, r0)
        out = ok(sh, "swap counter 3")
        swapped(out, "counter", 2, 3, "migrated")
        r2 = settle(sh, r1, until=lambda r: ", 0 calls since" not in r["desc"])
        m = re.match(r"counter v3: value (\d+), (\d+) calls since migrating from layout 1$",
                     r2["desc"])
        check(m, "counter v3's description", r2["out"])
        value, since = int(m.group(1)), int(m.group(2))
        check(value > r1["last"], "the value goes on across the migration", r2["out"])
        check(0 < since < value, "calls since the migration counted from 0", r2["out"])
        check(version(cells(sh), "counter") == 3, "cells shows counter 3", "")
        no_faults(sh)


def case_state_refused(build, workdir):
    """counter 4 grows the block without a new layout: refused at check, v1 goes on."""
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        out = refused(sh, "swap counter 4")
        has(out, r"^swap: cell 'counter': state layout 1 in both versions, but the block is 8 "
                 r"bytes in version 1 and 16 in version 4 \(a new layout needs a new "
                 r"state_version and a migrate hook\)$")
        has(out, r"^swap: stopped at step 'check'; nothing was swapped$")
        check(version(cells(sh), "counter") == 1, "cells still shows counter 1", "")
        r1 = settle(sh, r0)
        check(r1["version"] == 1, "counter v1 still answers", r1["out"])
        no_faults(sh)


def case_incompatible(build, workdir):
    """salute 3 (salute_text gone) and 4 (a function turned object) are refused at check; the
    greeting stays."""
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        out = refused(sh, "swap salute 3")
        has(out, r"^swap: cell 'salute': version 3 cannot replace version 1: cell 'workload' "
                 r"uses 'salute_text', which version 3 does not export$")
        has(out, r"stopped at step 'check'")
        out = refused(sh, "swap salute 4")
        has(out, r"^swap: cell 'salute': version 4 cannot replace version 1: 'salute_text' "
                 r"\(used by cell 'workload'\) is a function in version 1 but an object in "
                 r"version 4$")
        has(out, r"stopped at step 'check'")
        r1 = settle(sh, r0)
        check(r1["greeting"] == "hello, Keel!", "greeting unchanged", r1["out"])
        check(version(cells(sh), "salute") == 1, "cells still shows salute 1", "")
        no_faults(sh)


def case_migrate_fault(build, workdir):
    """counter 5's migrate hook faults: the guarded call reports it, the swap is refused at
    transfer, counter v1 goes on, and a real swap afterwards still works."""
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        out = refused(sh, "swap counter 5")
        has(out, r"^keel: task (\d+) 'swap': guarded call faulted: CPU exception 14 \(#PF page "
                 r"fault\) at 0x[0-9a-f]+ .*cr2 0x0; the call returns KE_FAULT$")
        has(out, r"^swap: cell 'counter': version 5's migrate hook")
        has(out, r"^swap: stopped at step 'transfer'; nothing was swapped$")
        r1 = settle(sh, r0)
        check(r1["version"] == 1, "counter v1 still counts", r1["out"])
        out = ok(sh, "faults")
        has(out, r"^\s+1\s+\d+\s+\d+ swap\s+#PF\(14\)\s+.*\s+counter@5\s+call_failed\s+ok\s")
        check(version(cells(sh), "counter") == 1, "cells still shows counter 1", "")
        swapped(ok(sh, "swap counter 3"), "counter", 1, 3, "migrated")
        r2 = settle(sh, r1)
        check(r2["version"] == 3, "counter v3 after the real swap", r2["out"])


def case_quiescence_deadline(build, workdir):
    """sleeper's task never leaves its cell: the swap is refused at the deadline, naming it."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load sleeper@1"), r"^loaded sleeper@1 from ")
        m = has(ok(sh, "ps"), r"^\s+(\d+)\s+sleeper\s+\S+\s+\d+\s+[\d.]+\s+\d+\s+sleeper$")
        tid = m.group(1)
        # The sleeper never leaves its cell, so the deadline always runs out, however slowly
        # the guest runs: the message, not the host's clock, shows the deadline ended the swap.
        out = refused(sh, "swap -t 100 sleeper 2")
        has(out, rf"^swap: not quiescent within 100 ms \(\d+ checks\): task {tid} 'sleeper' "
                 r"\(\w+\) is inside the old version: <sleeper:napper_main\+0x[0-9a-f]+>; "
                 r"nothing changed$")
        has(out, r"stopped at step 'quiesce'")
        check(version(cells(sh), "sleeper") == 1, "cells still shows sleeper 1", "")
        has(ok(sh, "ps"), rf"^\s+{tid}\s+sleeper\s+.*\ssleeper$")
        no_faults(sh)


def case_waits_inside(build, workdir):
    """A task of another cell blocked on a semaphore that lives in latch's data: latch is not
    quiescent (the core points at the semaphore's wait queue); refused at the deadline."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load latch@1"), r"^loaded latch@1 from ")
        has(ok(sh, "load waiter@1"), r"^loaded waiter@1 from ")
        # waiter's task blocks on the semaphore once it has run: ps until it shows that.
        m = sh.run_until("ps", r"^\s+(\d+)\s+waiter\s+blocked\s")
        out = refused(sh, "swap -t 100 latch 2")
        has(out, rf"^swap: not quiescent within 100 ms \(\d+ checks\): task {m.group(1)} "
                 r"'waiter' waits on or holds a lock or queue inside the old version; "
                 r"nothing changed$")
        check(version(cells(sh), "latch") == 1, "cells still shows latch 1", "")
        has(ok(sh, "ps"), rf"^\s+{m.group(1)}\s+waiter\s+blocked\s")
        no_faults(sh)


def case_interrupted(build, workdir):
    """Ctrl-C while a swap waits for quiescence: it stops there (not at its deadline), undoes
    itself (nothing left allocated, the old version still running) and the shell reports the
    interruption."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        has(ok(sh, "load sleeper@1"), r"^loaded sleeper@1 from ")
        ok(sh, "mem")  # load mem's cell before the baseline
        ok(sh, "swap -n sleeper 2")  # and swap's
        cells(sh)  # and cells'
        ctl = KeelCtl(build, sh.vm)
        ctl.tasks()  # and the control channel's session
        before = heap_in_use(sh)
        # The longest deadline: if the Ctrl-C did not stop the wait, the swap would end with
        # "not quiescent within 60000 ms" instead of the interruption checked below.
        sh.vm.skip()
        mark = sh.vm.mark()
        sh.send("swap -t 60000 sleeper 2\r")
        # The shell is busy with the swap, so look at its task over the control channel: the
        # swap task sleeps only between quiescence checks (the world runs meanwhile).
        # (blocked: pending, waiting for the sleeper to reach its return barrier)
        sh.vm.wait_until(lambda: any(t["name"] == "swap" and t["state"] in ("sleeping", "blocked")
                                     for t in ctl.tasks()),
                         what="the swap task to wait for quiescence")
        sh.send("\x03")
        sh.expect(r"keel> ", timeout=30)
        text = sh.vm.since(mark)
        has(text, r"^swap: interrupted while waiting for quiescence; nothing changed$")
        has(text, r"^keel: swap interrupted$")
        hasnt(text, r"not quiescent within")
        check(version(cells(sh), "sleeper") == 1, "cells still shows sleeper 1", "")
        # The killed task's memory is back once it is gone: mem until it shows the baseline.
        sh.run_until("mem", lambda out: heap_from(out) == before,
                     what=f"the heap in use to be back at {before} B")
        no_faults(sh)


def heap_from(out):
    m = has(out, r"^heap: (\d+) (B|KiB|MiB) in use")  # exact: a unit only where it divides
    return int(m[1]) << {"B": 0, "KiB": 10, "MiB": 20}[m[2]]


def heap_in_use(sh):
    return heap_from(ok(sh, "mem"))


def case_rollback(build, workdir):
    """A failure injected at each step before the commit leaves everything as it was: cells,
    deps, sym, the heap and the workload; then a real swap succeeds."""
    with KeelShell(build, workdir=workdir) as sh:
        r = start_workload(sh)
        # Load every command cell used below first, so the baseline already has them.
        for line in ("swap -n counter 3", "mem", "deps counter", "sym counter_next", "cells"):
            ok(sh, line)

        def snapshot():
            rows = cells(sh)
            return {"cells": {k: v for k, v in rows.items() if not k.startswith("cmd_")},
                    "deps": ok(sh, "deps counter"), "sym": ok(sh, "sym counter_next"),
                    "heap": heap_in_use(sh)}

        base = snapshot()
        check(base["cells"]["counter"].split()[1] == "1", "counter 1", base["cells"]["counter"])
        for step in STEPS:
            out = refused(sh, f"swap --fail-at {step} counter 3")
            has(out, rf"^swap: failure injected at step '{step}'; nothing changed$")
            has(out, rf"^swap: stopped at step '{step}'; nothing was swapped$")
            now = snapshot()
            for key in base:
                if now[key] != base[key]:
                    raise AssertionError(f"after a failure at '{step}', {key} differs:\n"
                                         f"before: {base[key]}\nafter:  {now[key]}")
            r2 = settle(sh, r)
            check(r2["desc"].startswith("counter v1: value "), "workload sees counter v1",
                  r2["out"])
            r = r2
        swapped(ok(sh, "swap counter 3"), "counter", 1, 3, "migrated")
        r2 = settle(sh, r)
        check(r2["version"] == 3 and "since migrating from layout 1" in r2["desc"],
              "counter v3 after the real swap", r2["out"])
        no_faults(sh)


def case_dry_run(build, workdir):
    """swap -n prints the plan and changes nothing."""
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        out = ok(sh, "swap -n counter 2")
        has(out, r"^swap: plan \(dry run\)$")
        has(out, r"^  counter: version 1 -> 2 \(\d+ relocations linked\)$")
        has(out, r"^    state block: carried verbatim, 8 bytes \(layout 1\)$")
        has(out, r"^  rewire workload \S+ \(R_X86_64_\w+\) -> counter:counter_next$")
        has(out, r"^  rewire workload \S+ \(R_X86_64_\w+\) -> counter:counter_describe$")
        has(out, r"dry run: nothing changed$")
        hasnt(out, r"^swapped ")
        check(version(cells(sh), "counter") == 1, "cells still shows counter 1", "")
        r1 = settle(sh, r0)
        check(r1["version"] == 1, "workload still sees counter v1", r1["out"])
        no_faults(sh)


def case_transaction(build, workdir):
    """meter and gauge 2 rename an export together: each alone is refused, both in one swap
    succeed; the meter's variable is carried by name."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load meter@1"), r"^loaded meter@1 from ")
        n1 = int(has(ok(sh, "run gauge@1"), r"^gauge v1: reading (\d+)$")[1])
        n2 = int(has(ok(sh, "run gauge"), r"^gauge v1: reading (\d+)$")[1])
        check(n2 == n1 + 1, "gauge v1 counts", f"{n1} {n2}")
        out = refused(sh, "swap meter 2")
        has(out, r"^swap: cell 'meter': version 2 cannot replace version 1: cell 'gauge' uses "
                 r"'meter_read', which version 2 does not export$")
        out = refused(sh, "swap gauge 2")
        has(out, r"^swap: cell 'gauge': undefined symbol 'meter_sample'")
        rows = cells(sh)
        check(version(rows, "meter") == 1 and version(rows, "gauge") == 1, "both still 1", "")
        out = ok(sh, "swap meter 2 gauge 2")
        has(out, r"^swapped meter: version 1 -> 2, state none \(0 bytes\), 1 variable carried "
                 r"\(8 bytes\)$")
        has(out, r"^swapped gauge: version 1 -> 2, ")
        n3 = int(has(ok(sh, "run gauge"), r"^gauge v2: reading (\d+)$")[1])
        check(n3 == n2 + 1, "the reading continues (variable carried by name)", f"{n2} {n3}")
        out = ok(sh, "deps meter")
        has(out, r"^  gauge\s+meter_sample\s+\d+$")
        hasnt(out, r"meter_read")
        rows = cells(sh)
        check(version(rows, "meter") == 2 and version(rows, "gauge") == 2, "both now 2", "")
        no_faults(sh)


def case_shell_self(build, workdir):
    """swap shell 2 from its own prompt: same task, history kept, the line editor recalls it."""
    with KeelShell(build, workdir=workdir) as sh:
        m = has(ok(sh, "ps"), r"^\s+(\d+)\s+shell\s+.*\sshell$")
        tid = m.group(1)
        ok(sh, "echo one")
        ok(sh, "echo two")
        out = ok(sh, "swap shell 2")
        swapped(out, "shell", 1, 2, "verbatim")
        has(out, r"^  \d+ sites? rewired, 1 service task re-spawned")
        has(out, r"^keel: shell version 2 running \(history kept: 4 lines\)$")
        # Up recalls the swap line, Up again "echo two"; Enter runs it.
        mark = len(sh.vm.output)
        sh.send("\x1b[A")
        sh.expect(r"swap shell 2$", timeout=10)
        check(sh.vm.output[mark:] == b"swap shell 2", "Up recalls the swap line", sh.vm.tail())
        sh.send("\x1b[A")
        sh.expect(r"echo two$", timeout=10)
        sh.vm.send("\r")
        sh.expect(r"\ntwo\n", timeout=10)
        sh.expect(r"keel> ", timeout=10)
        check(b"echo one" not in sh.vm.output[mark:], "one Up too many", sh.vm.tail())
        check(version(cells(sh), "shell") == 2, "cells shows shell 2", "")
        has(ok(sh, "ps"), rf"^\s+{tid}\s+shell\s+.*\sshell$")
        no_faults(sh)


def case_bad_args(build, workdir):
    """Bad invocations: a clear message, usage for syntax errors (status 2), status 1 for an
    object or cell that is not there; nothing changes."""
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        demo = ("counter", "salute", "workload")  # other rows change as command cells load
        before = {k: v for k, v in cells(sh).items() if k in demo}
        usage = r"^usage: swap \[-n\] .*<cell> <version\|object> \.\.\.$"
        for line, msg in (("swap", r"which cell, and which version\?"),
                          ("swap counter", r"'counter' needs a version or object after it"),
                          ("swap -t 0 counter 2", r"bad deadline '0'"),
                          ("swap --fail-at commit counter 2", r"unknown step 'commit'"),
                          ("swap -r 0 counter 2", r"bad count '0'"),
                          ("swap counter 2 counter 1", r"cell 'counter' named twice"),
                          ("swap -x counter 2", r"unknown option '-x'")):
            out = refused(sh, line, 2)
            has(out, rf"^swap: {msg}")
            has(out, usage)
        for line, msg in (("swap nosuch 2", r"no object 'nosuch@2\.o' in the ramfs"),
                          ("swap counter 99", r"no object 'counter@99\.o' in the ramfs"),
                          ("swap sleeper 2", r"no cell named 'sleeper' is loaded")):
            out = refused(sh, line, 1)
            has(out, rf"^swap: {msg}")
            hasnt(out, r"^usage:")
        after = {k: v for k, v in cells(sh).items() if k in demo}
        check(after == before, "cells changed", f"{before}\n{after}")
        r1 = settle(sh, r0)
        check(r1["version"] == 1, "workload still sees counter v1", r1["out"])
        no_faults(sh)


def soak_count():
    v = os.environ.get("KEEL_SOAK_SWAPS", "300")
    if not v.isdigit() or not 1 <= int(v) <= 1000000:
        raise AssertionError(f"KEEL_SOAK_SWAPS must be 1..1000000, not '{v}'")
    return int(v)


def case_soak(build, workdir):
    """swap -r N counter 2 under the running workload (N = $KEEL_SOAK_SWAPS, default 300): all
    done, no leak, no fault, the workload's sequence unbroken."""
    n = soak_count()
    with KeelShell(build, workdir=workdir) as sh:
        r0 = start_workload(sh)
        out = ok(sh, f"swap -r {n} counter 2", timeout=60 + n * 0.02)
        has(out, rf"^swap: {n} swaps of counter between counter@2\.o and counter@1\.o$")
        has(out, r"^  whole swap: min \d+\.\d us, median \d+\.\d us, p99 \d+\.\d us, max \d+\.\d us$")
        has(out, r"^  leak check: heap (\d+) -> \1 bytes, free memory (\d+) -> \2 KiB: no leak$")
        r1 = settle(sh, r0)
        want = 2 if n % 2 else 1
        check(r1["version"] == want, f"counter v{want} after {n} swaps", r1["out"])
        check(r1["last"] > r0["last"], "the value grew", r1["out"])
        check(version(cells(sh), "counter") == want, f"cells shows counter {want}", "")
        no_faults(sh)
        print(f"soak: {n} swaps; {out.splitlines()[1].strip()}")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="build"))
