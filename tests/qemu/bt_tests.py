#!/usr/bin/env python3
"""QEMU system tests of the shell's bt command (docs/shell.md): any task's backtrace with the
cell, function and offset of each frame, typed at the prompt of the default image. A task
blocked in a cell shows the core's frames and the cell's, each one naming what `sym` names for
its address; a task the timer switched away shows the interrupted frame; bad arguments and
tasks that do not exist get an error, a usage line where it is a usage error, and a status.

    bt_tests.py --build DIR [--workdir DIR] CASE...
    bt_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import KeelShell, run_cases  # noqa: E402
from checks import check  # noqa: E402

FRAME = re.compile(r"^  #(\d+)\s+0x([0-9a-f]{16})  (\S+)\s+(\S+?)(  \(interrupted here\))?$")


def task_id(sh, name):
    """The id of the task called name in ps."""
    out = sh.run("ps")
    m = re.search(rf"^\s*(\d+)\s+{re.escape(name)}\s", out, re.M)
    check(m, f"no task {name} in ps", out)
    return int(m.group(1))


def frames(sh, tid, name, state, out=None):
    """bt tid (or its output, already taken): checks the header and the numbering;
    [(addr, cell, function, interrupted)]."""
    out = sh.run(f"bt {tid}") if out is None else out
    lines = out.splitlines()
    check(re.fullmatch(rf"task {tid} '{re.escape(name)}' \({state}\), (\d+) frames?:", lines[0]),
          f"bt {tid}: bad header", out)
    n = int(re.search(r"(\d+) frames?", lines[0]).group(1))
    check(n == len(lines) - 1 and n >= 2, f"bt {tid}: {n} frames announced", out)
    result = []
    for i, line in enumerate(lines[1:]):
        m = FRAME.match(line)
        check(m and int(m.group(1)) == i, f"bt {tid}: bad frame line {i}: {line!r}", out)
        result.append((int(m.group(2), 16), m.group(3), m.group(4), bool(m.group(5))))
    return result, out


def case_blocked_in_cell(build, workdir):
    """The shell's own task, blocked reading the console: the scheduler's frame first, the
    shell cell's frames, the task's start last; sym names each address the same way."""
    with KeelShell(build, workdir=workdir) as sh:
        tid = task_id(sh, "shell")
        fr, out = frames(sh, tid, "shell", "blocked")
        check(fr[0][1] == "core" and fr[0][2].startswith("sched_switch+0x"),
              "the first frame is not where the task switched away", out)
        check(fr[-1][1] == "core" and fr[-1][2].startswith("task_trampoline+"),
              "the last frame is not the task's start", out)
        cells = [f for f in fr if f[1] != "core"]
        check(cells and all(f[1] == "shell@1" for f in cells), "no frames in shell@1", out)
        check(any(f[2].startswith("shell_main+0x") for f in cells), "no shell_main frame", out)
        check(not any(f[3] for f in fr), "a blocked task has no interrupted frame", out)
        for addr, cell, fn, _ in fr:
            said = sh.run(f"sym 0x{addr:x}")
            want = fn if cell == "core" else f"{cell.split('@')[0]}:{fn}"
            check(said == f"0x{addr:016x} is {want}", f"sym disagrees with bt on 0x{addr:x}",
                  said + "\n" + out)


def case_interrupted(build, workdir):
    """The idle task is only ever switched away by an interrupt: bt marks the interrupted frame
    (the exact instruction, in idle_entry), with the trap's frames above it."""
    with KeelShell(build, workdir=workdir) as sh:
        tid = task_id(sh, "idle")
        # ready, or running on another CPU (then parked by the stop of the world bt asks for)
        fr, out = frames(sh, tid, "idle", r"(ready|running)")
        hit = [i for i, f in enumerate(fr) if f[3]]
        check(len(hit) == 1, "not exactly one interrupted frame", out)
        check(fr[hit[0]][2].startswith("idle_entry+0x"), "the interrupted frame is not idle's",
              out)
        check(any(f[2].startswith("isr_common+") for f in fr[:hit[0]]),
              "no interrupt entry above the interrupted frame", out)


def case_running_elsewhere(build, workdir):
    """A task running on another CPU (the workload, calling counter and salute in a loop) is
    stopped where it is for the backtrace: state running, its interrupted frame marked, the
    stop's frames above it and the task's start last."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        for line in ("load counter@1", "load salute@1", "run workload@1"):
            sh.run(line)
        tid = task_id(sh, "workload")

        def running(out):
            return out if re.search(rf"^task {tid} 'workload' \(running\)", out, re.M) else None

        out = sh.run_until(f"bt {tid}", running, what="the workload caught running")
        fr, out = frames(sh, tid, "workload", "running", out)
        hit = [i for i, f in enumerate(fr) if f[3]]
        check(len(hit) == 1, "not exactly one interrupted frame", out)
        check(any(f[2].startswith("stop_irq+0x") for f in fr[:hit[0]]),
              "no stop-the-world frame above the interrupted one", out)
        check(fr[-1][1] == "core" and fr[-1][2].startswith("task_trampoline+"),
              "the last frame is not the task's start", out)


def case_errors(build, workdir):
    """Usage errors (status 2) and tasks that do not exist or have ended (status 1)."""
    with KeelShell(build, workdir=workdir) as sh:
        for line, msg, status in (
                ("bt", "missing task id", 2), ("bt 1 2", "too many arguments", 2),
                ("bt x", r"'x' is not a task id \(ps lists them\)", 2),
                ("bt 0", r"'0' is not a task id \(ps lists them\)", 2),
                ("bt 99999", "no such task 99999", 1)):
            out = sh.run(line)
            lines = out.splitlines()
            check(re.fullmatch(f"bt: {msg}", lines[0]), f"'{line}': bad error", out)
            if status == 2:
                check(lines[1] == "usage: bt <id>", f"'{line}': no usage line", out)
            check(lines[-1] == f"keel: bt: exit status {status}", f"'{line}': bad status", out)
        out = sh.run("ps")
        m = re.search(r"^\s*(\d+)\s+ps\s+running", out, re.M)
        check(m, "ps does not list itself", out)
        out = sh.run(f"bt {m.group(1)}")
        check(out.splitlines()[0] == f"bt: no such task {m.group(1)}",
              "bt of an ended task (the ps before it)", out)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
