#!/usr/bin/env python3
"""QEMU system tests of the debugger (docs/debugging.md): Debian's gdb with tools/gdb/keel.py on
a Keel halted at boot (tests/qemu/gdbdrive.py): a breakpoint by name in a cell stops there with
the right source line, keel-bt shows the cell frames, a swap moves the breakpoint into the new
version; keel-cells, keel-tasks and keel-deps say what the shell's cells, ps and deps say;
keel-bt of a blocked task; and tools/keel debug --batch itself."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, has, ok  # noqa: E402
from gdbdrive import GdbVM  # noqa: E402
from keelvm import SOURCE_DIR, case, run_cases  # noqa: E402

COUNTER_C = os.path.join(SOURCE_DIR, "cells", "demo", "counter", "counter.c")
STOP = r"Breakpoint \d+, (\w+) \(.*\) at (\S+):(\d+)"
BT_ROW = r"^#(\d+)\s+(0x[0-9a-f]+)\s+(\S+)\s+\[(\S+)\](?:\s+at (\S+):(\d+))?$"


def source_line(path, text):
    """The number of the line of path that contains text (exactly one)."""
    with open(path) as f:
        hits = [i + 1 for i, line in enumerate(f) if text in line]
    check(len(hits) == 1, f"one line of {path} with '{text}'", str(hits))
    return hits[0]


def stop_at(out, fn):
    """The breakpoint stop GDB reported: (file, line) of function fn."""
    m = has(out, STOP)
    check(m.group(1) == fn, f"stopped in {fn}", out)
    return m.group(2), int(m.group(3))


def bt_rows(out):
    return [m.groups() for m in re.finditer(BT_ROW, out, re.M)]


def cells_rows(out):
    """keel-cells or the shell's cells: {name: (version, text range)} (rows with a range)."""
    rows = {}
    for m in re.finditer(r"^(\S+)\s+(\d+)\s+(?:(?:live|loading|failed|retired)\s+)?"
                         r"(0x[0-9a-f]{16}-0x[0-9a-f]{16})", out, re.M):
        rows[m.group(1)] = (int(m.group(2)), m.group(3))
    return rows


def text_range(out, cell):
    m = has(out, rf"^{cell}\s+(\d+)\s+live\s+(0x[0-9a-f]{{16}})-(0x[0-9a-f]{{16}})")
    return int(m.group(1)), int(m.group(2), 16), int(m.group(3), 16)


def pc(gdb):
    return int(has(gdb.cmd("printf \"pc=%#lx\\n\", $pc"), r"pc=(0x[0-9a-f]+)").group(1), 16)


def case_breakpoint_swap(build, workdir):
    """break counter_describe stops in counter@1 at its source line, keel-bt shows the workload
    and counter frames, `next` steps a line; after `swap counter 2` it stops in version 2."""
    v1_line = source_line(COUNTER_C, '"counter v%d: value %llu"')
    v2_line = source_line(COUNTER_C, '"counter v2: value %llu (same layout as v1)"')
    with GdbVM(build, workdir, before_boot=["break counter_describe"]) as g:
        sh, gdb = g.sh, g.gdb
        has(g.boot_output[0], r"Breakpoint 1 \(counter_describe\) pending")
        ok(sh, "load counter@1")
        ok(sh, "load salute@1")
        sh.send("run workload@1\r")  # workload_main calls counter_describe
        out = gdb.wait()
        path, line = stop_at(out, "counter_describe")
        # The statement spans two lines; either is version 1's (version 2's are others).
        check(path.endswith("cells/demo/counter/counter.c") and line in (v1_line, v1_line + 1),
              f"stopped at counter.c:{v1_line} (version 1's ksnprintf)", out)
        cells = gdb.cmd("keel-cells")
        version, lo, hi = text_range(cells, "counter")
        check(version == 1 and lo <= pc(gdb) < hi, "the pc inside counter@1's text", cells)
        bt = gdb.cmd("keel-bt")
        rows = bt_rows(bt)
        check(len(rows) >= 3, "keel-bt has frames", bt)
        check(rows[0][2].startswith("counter_describe+") and rows[0][3] == "counter@1"
              and rows[0][4].endswith("counter.c") and int(rows[0][5]) == line,
              "frame 0: counter_describe in counter@1 at its line", bt)
        check(rows[1][2].startswith("workload_main+") and rows[1][3] == "workload@1"
              and rows[1][4].endswith("cells/demo/workload/workload.c"),
              "frame 1: workload_main in workload@1 (the caller, another cell)", bt)
        check(any(r[3] == "core" and r[2].startswith("task_start+") for r in rows[2:]),
              "the chain reaches the core's task_start", bt)
        # Source-level stepping in the cell (-O2 code: the line may go back within the
        # statement): `next` lands on another line of counter.c, still in counter_describe.
        out = gdb.cmd("next")
        m = has(out, r"^(\d+)\t")
        check(int(m.group(1)) != line, "next stepped to another line", out)
        frame = gdb.cmd("frame")
        has(frame, rf"counter_describe \(.*\) at \S+/counter\.c:{m.group(1)}$")
        gdb.go("continue")
        sh.expect(r"workload: counter v1: value \d+")
        sh.expect(r"keel> ")

        # The swap (the debugger's hook re-reads the table; the breakpoint moves along).
        out = ok(sh, "swap counter 2")
        has(out, r"swapped counter: version 1 -> 2")
        sh.send("run workload\r")
        out = gdb.wait()
        path, line = stop_at(out, "counter_describe")
        check(line in (v2_line, v2_line + 1),
              f"stopped at counter.c:{v2_line} (version 2's ksnprintf)", out)
        cells = gdb.cmd("keel-cells")
        version, lo2, hi2 = text_range(cells, "counter")
        here = pc(gdb)
        check(version == 2 and lo2 <= here < hi2, "the pc inside counter@2's text", cells)
        check(not lo <= here < hi, "not in version 1's old text", cells)
        has(gdb.cmd("info symbol $pc"), r"counter_describe \+ \d+ in section \S+ of \S+/counter@2\.o")
        bt = gdb.cmd("keel-bt")
        check(bt_rows(bt)[0][3] == "counter@2", "keel-bt: frame 0 in counter@2", bt)
        gdb.go("continue")
        sh.expect(r"workload: counter v2: value \d+ \(same layout as v1\)")
        sh.expect(r"keel> ")


def listing_at(sh, gdb, fn, line, gdb_cmd):
    """Type line, a command whose main fn has a breakpoint; once GDB stops there, run gdb_cmd;
    then let the command finish. Returns (gdb_cmd's output, the command's output)."""
    sh.vm.skip()
    start = sh.vm.mark()
    sh.send(line + "\r")
    has(gdb.wait(), r"Breakpoint \d+, ")  # GDB may name a function inlined into fn
    has(gdb.cmd("info symbol $pc"), rf"^{fn} \+ \d+ in section")
    seen = gdb.cmd(gdb_cmd)
    gdb.go("continue")
    sh.expect(r"keel> ")
    out = sh.vm.since(start)
    out = out.split(line + "\n", 1)[-1].rsplit("keel> ", 1)[0]
    return seen, out


def case_listings(build, workdir):
    """keel-cells, keel-tasks and keel-deps, taken while the shell's cells, ps and deps run,
    say what those commands print."""
    mains = ("cmd_cells_main", "cmd_ps_main", "cmd_deps_main")
    with GdbVM(build, workdir, before_boot=[f"break {fn}" for fn in mains]) as g:
        sh, gdb = g.sh, g.gdb
        for fn, out in zip(mains, g.boot_output):
            has(out, rf"Breakpoint \d+ \({fn}\) pending")
        ok(sh, "load counter@1")
        ok(sh, "load salute@1")
        ok(sh, "run workload@1")

        mine, theirs = listing_at(sh, gdb, "cmd_cells_main", "cells", "keel-cells")
        a, b = cells_rows(mine), cells_rows(theirs)
        check(len(a) > 5 and a == b, "keel-cells lists what cells lists",
              f"{mine}\n---\n{theirs}")

        mine, theirs = listing_at(sh, gdb, "cmd_ps_main", "ps", "keel-tasks")
        row = r"^\s*(\d+)\s+(\S+)\s+(ready|running|blocked|sleeping|dead)\s+(\d+)\s+"
        ga = {m[0]: m for m in re.findall(row + r"(\S+)\s+\S+$", mine, re.M)}
        pa = {m[0]: m for m in re.findall(row + r"\d+\.\d+\s+\d+\s+(\S+)$", theirs, re.M)}
        both = f"{mine}\n---\n{theirs}"
        check(len(ga) > 3 and set(ga) == set(pa), "keel-tasks lists the tasks ps lists", both)
        for tid, (_, name, state, prio, cell) in pa.items():
            g = ga[tid]
            check((g[1], g[3], g[4]) == (name, prio, cell), f"task {tid}: name, prio, cell", both)
            if name == "ps":  # a state that cannot change meanwhile
                check(g[2] == state, f"task {tid} ({name}) is {state}", both)
            if name == "shell":  # blocked on ps by the time ps lists it; with more than one
                # CPU, ps may reach the breakpoint before the shell has got there
                check(state == "blocked" and g[2] in ("running", "ready", "blocked"),
                      f"task {tid} (shell) blocked, or on its way there", both)

        for cell in ("counter", "workload", "shell"):
            mine, theirs = listing_at(sh, gdb, "cmd_deps_main", f"deps {cell}",
                                      f"keel-deps {cell}")
            check(mine.strip() and mine.strip() == theirs.strip(),
                  f"keel-deps {cell} prints what deps {cell} prints", f"{mine}\n---\n{theirs}")
            if cell == "counter":
                has(mine, r"^counter is used by \(\d+ sites?\):\n  workload\s+counter_")


def case_blocked_bt(build, workdir):
    """keel-bt of tasks that are not running: the shell, blocked while its command runs, shows
    the scheduler, the core's wait and the shell cell's frames up to its entry; the keyboard
    poller, sleeping, shows its cell's loop."""
    with GdbVM(build, workdir, before_boot=["break counter_describe"]) as g:
        sh, gdb = g.sh, g.gdb
        ok(sh, "load counter@1")
        ok(sh, "load salute@1")
        sh.send("run workload@1\r")
        stop_at(gdb.wait(), "counter_describe")
        tasks = gdb.cmd("keel-tasks")
        shell = has(tasks, r"^\s*(\d+)\s+shell\s+blocked\s+\d+\s+shell\s+shell_main$").group(1)
        kbd = has(tasks, r"^\s*(\d+)\s+ps2kbd\s+sleeping\s+\d+\s+ps2kbd\s").group(1)
        bt = gdb.cmd(f"keel-bt {shell}")
        has(bt, rf"^task {shell} \(shell, blocked, cell shell\):")
        rows = bt_rows(bt)
        check(rows and rows[0][2].startswith("sched_switch+") and rows[0][3] == "core",
              "frame 0: the switch-out in the core's scheduler", bt)
        fns = [(r[2].split("+")[0], r[3]) for r in rows]
        check(("shell_run_line", "shell@1") in fns and ("shell_main", "shell@1") in fns,
              "the shell cell's frames: shell_run_line, shell_main", bt)
        check(fns[-1] == ("task_trampoline", "core"), "the chain ends at the task's start", bt)
        check(all(r[4] for r in rows if r[3] == "shell@1"), "shell frames have source lines", bt)
        bt = gdb.cmd(f"keel-bt {kbd}")
        fns = [(r[2].split("+")[0], r[3]) for r in bt_rows(bt)]
        check(("poller_main", "ps2kbd@1") in fns, "the poller's frame in ps2kbd@1", bt)
        has(gdb.cmd("keel-bt 999999"), r"no task 999999")
        gdb.go("continue")
        sh.expect(r"workload: counter v1: value \d+")


def case_pending_barrier_bt(build, workdir):
    """keel-bt reads through a pending swap's return barrier: with the swap stopped in its wait
    (break swap_pending_wait), the task inside busy carries a barrier — its stack slot holds
    swap_barrier_return — yet keel-bt shows busy_hold in busy@1 and then its real caller,
    hold_main in busyload, as the shell's bt does. Continued, the swap commits."""
    with GdbVM(build, workdir, before_boot=["break swap_pending_wait"]) as g:
        sh, gdb = g.sh, g.gdb
        ok(sh, "load busy@1")
        tid = int(has(ok(sh, "run busyload hold 4000"), r"^busyload: task (\d+)$").group(1))
        sh.run_until(f"bt {tid}", r"^  #\d+\s+0x[0-9a-f]+  busy@1\s+busy_hold\+",
                     what=f"task {tid} inside busy:busy_hold")
        # A deadline far past the hold (guest time can leap ahead: docs/testing.md).
        sh.send("swap -t 60000 busy 2\r")
        # A check that finds the task where its frame cannot be sure (say, inside clock_ns)
        # waits a millisecond and tries again: stop until the barrier is set.
        for _ in range(100):
            has(gdb.wait(), r"Breakpoint \d+, swap_pending_wait ")
            if re.search(r"^live=1$", gdb.cmd("printf \"live=%u\\n\", live"), re.M):
                break
            gdb.go("continue")
        else:
            check(False, "a return barrier set within 100 checks", "")
        # The barrier is really there: its slot holds the trampoline.
        slot = gdb.cmd("printf \"%#lx %#lx\\n\", barriers[0].slot, barriers[0].ret")
        addr, ret = (int(x, 16) for x in has(slot, r"^(0x[0-9a-f]+) (0x[0-9a-f]+)$").groups())
        has(gdb.cmd(f"info symbol *(unsigned long *){addr:#x}"), r"^swap_barrier_return in ")
        has(gdb.cmd(f"info symbol {ret:#x}"), r"^hold_main \+ \d+ in section")
        bt = gdb.cmd(f"keel-bt {tid}")
        has(bt, rf"^task {tid} \(busyhold, \w+, cell busyload\):")
        fns = [(r[2].split("+")[0], r[3].split("@")[0]) for r in bt_rows(bt)]
        i = fns.index(("busy_hold", "busy")) if ("busy_hold", "busy") in fns else -1
        check(i >= 0 and fns[i + 1] == ("hold_main", "busyload"),
              "busy_hold in busy@1, then its caller hold_main in busyload", bt)
        check(all(f != "swap_barrier_return" for f, _ in fns), "no trampoline in keel-bt", bt)
        gdb.cmd("delete")
        gdb.go("continue")
        sh.expect(r"swapped busy: version 1 -> 2", timeout=60)
        sh.expect(r"keel> ")


def case_frontend_batch(build, workdir):
    """tools/keel debug --no-build --batch FILE: boots halted, stops at a cell's function at
    boot, keel-cells and keel-bt work, keel-type types a shell line that hits a breakpoint in
    the shell cell, and QEMU and the run directory are gone afterwards."""
    script = os.path.join(workdir, "batch.gdb")
    with open(script, "w") as f:
        f.write("break hello_greet\ncontinue\nkeel-cells\nkeel-bt\ndelete\n"
                "break shell_run_line\nkeel-type echo from-gdb\ncontinue\nkeel-bt\n")
    ctl_dir = tempfile.mkdtemp(prefix="keel-debug-test-")
    env = dict(os.environ, KEEL_BUILD_DIR=build, KEEL_CTL_SOCKET=os.path.join(ctl_dir, "ctl.sock"))
    proc = subprocess.Popen([os.path.join(SOURCE_DIR, "tools", "keel"), "debug", "--no-build",
                             "--batch", script], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        check(False, "tools/keel debug --batch ended within 120 s", out.decode())
    finally:
        shutil.rmtree(ctl_dir, ignore_errors=True)
    out = out.decode("utf-8", "replace")
    check(proc.returncode == 0, "tools/keel debug --batch exits with 0", out)
    has(out, r"Breakpoint 1, hello_greet \(.*\) at \S+/cells/hello/hello\.c:\d+")
    has(out, r"^hello\s+1\s+live\s+0x[0-9a-f]{16}-0x[0-9a-f]{16}\s+4 KiB\s+cells/hello@1\.o$")
    has(out, r"^#0\s+0x[0-9a-f]+\s+hello_greet\+0x[0-9a-f]+\s+\[hello@1\]\s+at \S+hello\.c:")
    has(out, r"^#1\s+0x[0-9a-f]+\s+greeter_init\+0x[0-9a-f]+\s+\[greeter@1\]")
    has(out, r'Breakpoint 2, shell_run_line \(line=\S+ <sh\+\d+> "echo from-gdb"')
    has(out, r"^task \d+ \(shell, running, cell shell\):")
    has(out, r"^keel: the console's output is in ")
    rundir = os.path.dirname(has(out, r"^keel: QEMU's GDB stub: (\S+)$").group(1))
    check(not os.path.exists(rundir), "tools/keel debug removed its run directory", out)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
