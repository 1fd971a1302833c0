#!/usr/bin/env python3
"""QEMU tests of the fault campaign's worker (tools/faults/vm.py): loadvm puts back the state of
savevm (a loaded cell and a removed ramfs file are gone again) with the shell answering at once;
a line that does not come back raises Hang, a guest reset, power-off or panic raises Crash (a
panic before the line is typed too), and loadvm recovers a working shell after each; QEMU ending
raises WorkerDied and the worker starts again; close() leaves no QEMU and no files.

    faults_vm_tests.py --build DIR [--workdir DIR] CASE...
    faults_vm_tests.py --list
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools", "faults"))
from checks import check, has, hasnt  # noqa: E402
from keelvm import run_cases  # noqa: E402
import vm  # noqa: E402


def started(build, workdir, cmdline=""):
    return vm.Worker(build, workdir, cmdline=cmdline).start()


def answers(w):
    """The shell answers a line right away, and only with that line's output."""
    out, ok = w.run("echo still here", timeout=10)
    check(out == "still here" and ok, f"echo gave {out!r} (ok={ok})", w.tail())


def gone(w):
    """close() ended QEMU and removed the worker's directory (overlay, sockets)."""
    proc, where = w.proc, w.dir
    w.close()
    check(proc is None or proc.poll() is not None, "QEMU still runs after close()")
    check(not os.path.exists(where), f"{where} is still there after close()")


def case_loadvm_restores(build, workdir):
    """loadvm undoes a cell load and a ramfs file removal made after savevm; run() tells a
    command the shell reports as failed from one that succeeded."""
    w = started(build, workdir)
    try:
        hasnt(w.run("cells")[0], r"^injtarget\s")
        has(w.run("ls")[0], r"injtarget@1\.o")
        w.savevm("golden")
        out, ok = w.run("load injtarget")
        check(ok, "load injtarget failed", out)
        has(w.run("cells")[0], r"^injtarget\s+1\s")
        out, ok = w.run("rm injtarget@1.o")  # refused while loaded: the load is visible
        check(not ok, "rm of a loaded cell's file was not reported as failed", out)
        out, ok = w.run("crash")
        check(not ok, "the crash command's fault was not reported as failed", out)
        w.loadvm("golden")
        answers(w)
        hasnt(w.run("cells")[0], r"^injtarget\s")
        out, ok = w.run("rm injtarget@1.o")
        check(ok, "rm injtarget@1.o failed", out)
        hasnt(w.run("ls")[0], r"injtarget@1\.o")
        w.loadvm("golden")
        has(w.run("ls")[0], r"injtarget@1\.o")
        answers(w)
    finally:
        gone(w)


def case_hang_then_loadvm(build, workdir):
    """A line that never comes back raises Hang at its timeout; loadvm gives back a shell with
    nothing of it left."""
    w = started(build, workdir)
    try:
        w.savevm("golden")
        try:
            w.run("spin", timeout=2)
            check(False, "spin came back to the prompt", w.tail())
        except vm.Hang as e:
            check("'spin'" in str(e), f"the Hang does not name the line: {e}")
        except vm.VMError as e:
            check(False, f"{type(e).__name__} instead of Hang: {e}")
        w.loadvm("golden")
        answers(w)
        hasnt(w.run("ps")[0], r"cmd_spin")
    finally:
        gone(w)


def case_reset_poweroff_crash(build, workdir):
    """A guest reset (reboot) and a power-off raise Crash with their reason, at once; loadvm
    recovers the shell from both."""
    w = started(build, workdir)
    try:
        w.savevm("golden")
        for line, reason in (("reboot", "reset"), ("poweroff", "poweroff")):
            try:
                w.run(line, timeout=30)
                check(False, f"{line} came back to the prompt", w.tail())
            except vm.Crash as e:
                check(e.reason == reason, f"{line}: Crash reason {e.reason}, not {reason}")
            except vm.VMError as e:
                check(False, f"{line}: {type(e).__name__} instead of Crash: {e}")
            w.loadvm("golden")
            answers(w)
    finally:
        gone(w)


def case_panic_crash(build, workdir):
    """A kernel panic on the serial console raises Crash("panic") with the report; the worker
    still has QEMU (the guest halts, QEMU does not exit)."""
    # selftest=corespin: a fault in core code with a spinlock held, a panic by design
    # (containment_tests.py); without panic=exit the guest halts after its report.
    w = vm.Worker(build, workdir, cmdline="selftest=corespin")
    try:
        try:
            w.start()
            # The panic may come after the first prompt, even after a line or two: spin never
            # comes back on its own, so the panic ends it (or Hang, after 60 s: a failure).
            w.run("spin", timeout=60)
            check(False, "no Crash for a panicking guest", w.tail())
        except vm.Crash as e:
            check(e.reason == "panic", f"Crash reason {e.reason}, not panic: {e}")
            has(str(e), r"KEEL PANIC")
            check(re.search(r"not contained: spinlock held", str(e)), "no report in the Crash",
                  str(e))
        except vm.VMError as e:
            check(False, f"{type(e).__name__} instead of Crash: {e}")
        check(w.proc is not None and w.proc.poll() is None, "QEMU ended with the panic")
    finally:
        gone(w)


def case_panic_before_line(build, workdir):
    """A panic that reached the serial console after the last prompt, before a line is typed,
    raises Crash("panic") for that line at once (it is not taken for the line's hang)."""
    w = vm.Worker(build, workdir, cmdline="selftest=corespin")
    try:
        try:
            w.start()
        except vm.Crash:  # the panic came before the first prompt: nothing is left to type
            return
        deadline = time.monotonic() + 60  # bounded wait for the whole report to arrive
        while vm.PANIC_END not in w.output:
            check(time.monotonic() < deadline, "no panic within 60 s", w.tail())
            w._read_serial(0.5)
        try:
            w.run("echo x", timeout=60)
            check(False, "run() answered after a panic", w.tail())
        except vm.Crash as e:
            check(e.reason == "panic", f"Crash reason {e.reason}, not panic: {e}")
            check("'echo x'" in str(e), f"the Crash does not name the line: {e}")
            has(str(e), r"KEEL PANIC")
        except vm.VMError as e:
            check(False, f"{type(e).__name__} instead of Crash: {e}")
    finally:
        gone(w)


def case_qemu_gone_restart(build, workdir):
    """QEMU ending under a worker raises WorkerDied; kill() and start() give a working worker
    again."""
    w = started(build, workdir)
    try:
        w.proc.kill()
        try:
            w.run("echo x", timeout=30)
            check(False, "run() answered with QEMU gone", w.tail())
        except vm.WorkerDied:
            pass
        except vm.VMError as e:
            check(False, f"{type(e).__name__} instead of WorkerDied: {e}")
        w.kill()
        w.start()
        answers(w)
        w.savevm("golden")
        w.loadvm("golden")
        answers(w)
    finally:
        gone(w)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
