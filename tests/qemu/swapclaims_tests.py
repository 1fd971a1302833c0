#!/usr/bin/env python3
"""QEMU system tests of claims of docs/live-swap.md that the other swap tests do not reach: a
console sink re-pointed (vgacon, the VGA screen read with the QEMU monitor), a service task
re-spawned (ps2kbd, keys through the real PS/2 path), the shell's typed-ahead input carried
across its own swap, a task waiting between restarts moved to the new version (phoenix), and
W^X on the pages of a version a swap linked (wxprobe). One VM per case.

    swapclaims_tests.py --build DIR [--workdir DIR] CASE...
    swapclaims_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import PROMPT, KeelShell, run_cases  # noqa: E402
from qemumon import Monitor  # noqa: E402
from checks import check, has, hasnt, ok_unfaulted as ok  # noqa: E402

FAULT = r"CPU exception|guarded call faulted|PANIC|LEAK"


def swapped(out, cell, old, new):
    return has(out, rf"^swapped {cell}: version {old} -> {new}, state \w+ \(\d+ bytes\), "
                    r"\d+ variables? carried \(\d+ bytes\)\n"
                    r"  \d+ sites? rewired, (\d+) service tasks? re-spawned, ")


def loaded_version(sh, cell):
    m = has(ok(sh, "cells"), rf"^{cell}\s+(\d+)\s+0x")
    return int(m[1])


def old_version_freed(sh, cell, old):
    """Nothing keeps the old version: `reclaim` (re-run: a scan the world disturbed may keep it
    for a while) frees it or finds it already gone, and `cells` lists no retired row of it. A
    pointer the swap failed to move (a core registry, a task's code) keeps it for good: the
    wait runs out and shows what keeps it."""
    kept = rf"^  {cell} {old}: .*kept by"
    sh.run_until("reclaim", lambda out: not re.search(kept, out, re.M) and out,
                 what=f"the reclaimer to free {cell} {old} (nothing may keep it after the swap)")
    hasnt(ok(sh, "cells"), rf"^{cell}\s+{old}\s+retired,")


def case_console_sink(build, workdir):
    """swap vgacon 2: the core's console sink is re-pointed to version 2, so text printed
    afterwards is on the screen and nothing keeps version 1."""
    with KeelShell(build, workdir=workdir, monitor=True) as sh, Monitor(sh.vm) as mon:
        def on_screen(text):
            rows = mon.screen_when(lambda r: text in r, timeout=20)
            check(text in rows, f"'{text}' is not a row of the VGA screen", "\n".join(rows))

        ok(sh, "echo vga-before-swap")
        on_screen("vga-before-swap")
        out = ok(sh, "swap vgacon 2")
        swapped(out, "vgacon", 1, 2)
        check(loaded_version(sh, "vgacon") == 2, "cells shows vgacon 2", out)
        ok(sh, "echo vga-after-swap")
        on_screen("vga-after-swap")
        old_version_freed(sh, "vgacon", 1)
        ok(sh, "echo vga-after-reclaim")  # version 2 draws on its own
        on_screen("vga-after-reclaim")
        sh.vm.forbid(FAULT)


def case_service_task(build, workdir):
    """swap ps2kbd 2: its polling task is re-spawned from version 2 (same id); keys typed on the
    PS/2 keyboard still reach the shell, and no task runs version 1 any more (it is freed)."""
    with KeelShell(build, workdir=workdir, monitor=True) as sh, Monitor(sh.vm) as mon:
        row = r"^\s+(\d+)\s+ps2kbd\s+\S+\s+\d+\s+[\d.]+\s+\d+\s+ps2kbd$"
        tid = has(ok(sh, "ps"), row)[1]
        mon.type("echo keys-before\r")
        sh.expect(r"\nkeys-before\n", timeout=20)
        sh.expect(re.escape(PROMPT), timeout=20)
        out = ok(sh, "swap ps2kbd 2")
        m = swapped(out, "ps2kbd", 1, 2)
        check(m[1] == "1", "one service task re-spawned", out)
        check(loaded_version(sh, "ps2kbd") == 2, "cells shows ps2kbd 2", out)
        check(has(ok(sh, "ps"), row)[1] == tid, f"the ps2kbd task is still task {tid}", out)
        mon.type("echo keys-after\r")
        sh.expect(r"\nkeys-after\n", timeout=20)
        sh.expect(re.escape(PROMPT), timeout=20)
        # The re-spawned task runs version 2's code: no stack word of it points into version 1.
        old_version_freed(sh, "ps2kbd", 1)
        mon.type("echo keys-after-reclaim\r")
        sh.expect(r"\nkeys-after-reclaim\n", timeout=20)
        sh.expect(re.escape(PROMPT), timeout=20)
        sh.vm.forbid(FAULT)


def case_shell_typeahead(build, workdir):
    """`swap shell 2` and the next command line in one write: the line typed ahead, read by
    version 1 before the swap ran, is run by version 2 after it."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "swap -n shell 2")  # the swap command's cell is loaded: nothing else to wait for
        sh.vm.skip()
        mark = sh.vm.mark()
        sh.send("swap shell 2\recho typed-ahead\r")
        sh.expect(r"\nswapped shell: version 1 -> 2, ", timeout=30)
        sh.expect(r"\nkeel: shell version 2 running \(history kept: \d+ lines\)\n", timeout=30)
        sh.expect(r"\ntyped-ahead\n", timeout=30)
        sh.expect(re.escape(PROMPT), timeout=20)
        text = sh.vm.since(mark)
        check(text.count("\ntyped-ahead\n") == 1, "the typed-ahead line ran once", text)
        check(loaded_version(sh, "shell") == 2, "cells shows shell 2", text)
        check(ok(sh, "echo after") == "after", "the shell goes on", sh.vm.tail())
        sh.vm.forbid(FAULT.replace("CPU exception|", ""))


def case_between_restarts(build, workdir):
    """phoenix's restartable task faults and waits out its restart back-off (8 s); phoenix is
    swapped meanwhile: the restart runs version 2 (the swap re-points the waiting task)."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load phoenix@1"), r"^loaded phoenix@1 from ")
        ok(sh, "swap -n phoenix 2")  # the swap command's cell is loaded before the clock runs
        sh.vm.skip()
        start = sh.vm.mark()
        sh.send("run phoenix\r")
        first = sh.expect(r"\nphoenix v1: task (\d+) started \(restart 0\)\n", timeout=20)[1]
        m = sh.expect(rf"task {first.decode()} 'phoenix' restarted as task (\d+) \(restart 1, "
                      r"back-off (\d+) us\)", timeout=20)
        again = m[1].decode()
        # The restart is logged on whichever CPU the task faulted: before run's prompt or after.
        if PROMPT not in sh.vm.since(start):
            sh.expect(re.escape(PROMPT), timeout=20)
        mark = sh.vm.mark()
        out = ok(sh, "swap phoenix 2")
        swapped(out, "phoenix", 1, 2)
        # The swap's commit came before the restart, or the test says nothing: the host was too
        # slow for the back-off (not a failure of the swap, but no proof either).
        check(f"task {again} started" not in sh.vm.since(mark),
              "the task restarted before the swap: the back-off ran out first", sh.vm.tail())
        m = sh.expect(rf"phoenix v(\d+): task {again} started \(restart 1\)\n", timeout=30)
        check(m[1] == b"2", f"task {again} restarted into phoenix version {m[1].decode()}, "
                            "not 2: the waiting task kept the old entry", sh.vm.tail())
        old_version_freed(sh, "phoenix", 1)


FAULT_LINE = r"^keel: task \d+ 'wxprobe' faulted: CPU exception 14 \(#PF page fault\), error 0x"


def probe_wx(sh, version):
    """Both W^X probes of wxprobe (the loaded version): each must fault, contained in its task,
    at the address it reports. Returns the addresses (text, data)."""
    out = sh.run("run wxprobe write-text")
    hasnt(out, r"W\^X broken")
    text = int(has(out, rf"^wxprobe v{version}: writing its text at 0x([0-9a-f]+)$")[1], 16)
    has(out, FAULT_LINE + r"3$")  # a write (bit 1) to a present page (bit 0)
    check(int(has(out, r"^  cr2 0x([0-9a-f]{16})$")[1], 16) == text, "cr2 is the text byte", out)
    has(out, r"^run: wxprobe faulted: #PF page fault at wxprobe:\w+\+0x[0-9a-f]+$")
    has(out, r"^keel: run: exit status 1$")  # the fault ended the task, not the probe's 3
    out = sh.run("run wxprobe exec-data")
    hasnt(out, r"W\^X broken")
    data = int(has(out, rf"^wxprobe v{version}: calling its data at 0x([0-9a-f]+)$")[1], 16)
    has(out, FAULT_LINE + r"11$")  # an instruction fetch (bit 4) from a present page
    check(int(has(out, r"^  cr2 0x([0-9a-f]{16})$")[1], 16) == data, "cr2 is the data", out)
    has(out, r"^run: wxprobe faulted: #PF page fault at ")
    has(out, r"^keel: run: exit status 1$")  # the fault ended the task, not the probe's 3
    return text, data


def case_wx_after_swap(build, workdir):
    """W^X holds on wxprobe's pages when loaded and on version 2's after `swap wxprobe 2`:
    writing its text and calling its data both fault, only the task dies."""
    with KeelShell(build, workdir=workdir) as sh:
        has(ok(sh, "load wxprobe@1"), r"^loaded wxprobe@1 from ")
        v1 = probe_wx(sh, 1)
        swapped(ok(sh, "swap wxprobe 2"), "wxprobe", 1, 2)
        check(loaded_version(sh, "wxprobe") == 2, "cells shows wxprobe 2", "")
        v2 = probe_wx(sh, 2)
        check(v1[0] != v2[0] and v1[1] != v2[1], "version 2 has pages of its own", f"{v1} {v2}")
        check(ok(sh, "echo alive") == "alive", "the system carries on", sh.vm.tail())


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="build"))
