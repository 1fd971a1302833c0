#!/usr/bin/env python3
"""QEMU system tests of fault containment in core code (tasking/fault.c, docs/tasks.md): a cell
task that hands the core a bad pointer (the badptr test cell: kprintf, ksnprintf, memcpy,
console_write, channels, out-parameters, a bad function pointer) dies alone, reported with the core function and the
cell call site, kept in the fault log; bad sync objects, channels and heap pointers are refused;
a migrate hook's bad memcpy is caught by the swap's guard. And the cases that stay a panic (a
fault in core code with a spinlock, the cells mutex or interrupts off: kernel self-tests), whose
report says why the fault was not contained.

    containment_tests.py --build DIR [--workdir DIR] CASE...
    containment_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import EXIT_FAILURE, EXIT_SUCCESS, KeelShell, KeelVM, run_cases  # noqa: E402
from checks import check, fault_table, has, hasnt  # noqa: E402

SYM = r"[A-Za-z_][A-Za-z0-9_]*\+0x[0-9a-f]+"
NULL_PAGE = "0x0000000000000018"
GONE_PAGE = r"0xffffffffcffff0[0-9a-f]{2}"  # the last page of the cell area, never mapped here
PANIC = r"PANIC|survived a bad pointer"


def core_fault(sh, mode, core_fn, caller, cr2):
    """`run badptr <mode>`: only its task dies, reported in core code core_fn (a regex) called
    from badptr:<caller>; the shell and the system carry on. Returns the task id."""
    out = sh.run(f"run badptr {mode}")
    m = has(out, r"^keel: task (\d+) 'badptr' faulted: CPU exception 14 \(#PF page fault\), "
                 r"error 0x[0-9a-f]+$")
    tid = m.group(1)
    has(out, rf"^  in core code (?:{core_fn})\+0x[0-9a-f]+ called from "
             rf"badptr:{caller}\+0x[0-9a-f]+$")
    has(out, rf"^  cr2 {cr2}$")
    has(out, rf"^  #\d+\s+0x[0-9a-f]+ badptr:{caller}\+")
    has(out, rf"^keel: task {tid} killed; the system carries on$")
    has(out, rf"^run: badptr faulted: #PF page fault at (?:{core_fn})\+0x")
    hasnt(out, r"survived a bad pointer")
    check(sh.run("echo alive") == "alive", "the shell goes on after the fault", out)
    sh.vm.forbid(PANIC)
    return tid


def fault_rows(sh):
    """The rows of `faults` as dicts (checks.fault_table)."""
    return fault_table(sh.run("faults"))[0]


def case_kprintf(build, workdir):
    """kprintf("%s") of a pointer into the NULL page: the task dies in the core's string code,
    the report, the fault log and the kernel log name it and badptr's bad_kprintf."""
    with KeelShell(build, workdir=workdir) as sh:
        tid = core_fault(sh, "kprintf", "strlen|strnlen|kvformat", "bad_kprintf", NULL_PAGE)
        rows = fault_rows(sh)
        check(len(rows) == 1, "one fault in the log", rows)
        r = rows[0]
        check(r["task"] == tid and r["name"] == "badptr" and r["kind"] == "#PF(14)",
              "the record names the task and #PF", r)
        check(re.fullmatch(r"(strlen|strnlen|kvformat)\+0x[0-9a-f]+", r["where"]),
              "WHERE is the core function", r)
        check(r["cr2"] == NULL_PAGE, "CR2 is the bad pointer", r)
        check(re.fullmatch(r"badptr:bad_kprintf\+0x[0-9a-f]+", r["caller"]),
              "CALLED FROM is the cell frame", r)
        has(sh.run("log 5"), rf"err\s+task {tid} 'badptr' faulted: CPU exception 14 \(#PF page "
                             rf"fault\) in core code {SYM} called from badptr:bad_kprintf\+0x")


def case_ksnprintf(build, workdir):
    """The CI case: ksnprintf with a format string in cell memory that is gone. The task dies
    in kvformat, reported with badptr's frame; a second command still works."""
    with KeelShell(build, workdir=workdir) as sh:
        core_fault(sh, "ksnprintf", "kvformat", "bad_ksnprintf", GONE_PAGE)
        check(sh.run("run badptr").splitlines()[0].startswith("usage: badptr"),
              "badptr runs again after its task died")


def case_copies(build, workdir):
    """memcpy from the NULL page and console_write of memory that is gone: each kills only its
    task (in memcpy, called from the cell); the console lock is never held while the cell's
    bytes are read, so the console goes on; the fault log keeps both with their cell frames."""
    with KeelShell(build, workdir=workdir) as sh:
        core_fault(sh, "memcpy", "memcpy", "bad_memcpy", NULL_PAGE)
        core_fault(sh, "console", "memcpy", "bad_console", GONE_PAGE)
        rows = fault_rows(sh)
        check([r["caller"].split("+")[0] for r in rows] ==
              ["badptr:bad_memcpy", "badptr:bad_console"], "both faults, in order", rows)
        check([r["seq"] for r in rows] == [1, 2], "sequence numbers", rows)


def case_channel(build, workdir):
    """A bad message to send or a bad out pointer to receive kills only the caller (they are
    read and written with no lock held); bad channel and sync object pointers are refused with
    KE_FAULT (or ignored by void calls) and the task carries on."""
    with KeelShell(build, workdir=workdir) as sh:
        core_fault(sh, "send", r"send|channel_try_send", "bad_send", NULL_PAGE)
        core_fault(sh, "recv", r"recv|channel_try_recv", "bad_recv", NULL_PAGE)
        out = sh.run("run badptr objects")
        hasnt(out, r"faulted|keel: run: exit status")
        for call, err in (("mutex_lock(NULL)", "KE_INVAL"), ("mutex_lock(null page)", "KE_FAULT"),
                          ("mutex_lock(read-only)", "KE_FAULT"),
                          ("mutex_unlock(gone)", "KE_FAULT"),
                          ("semaphore_down(non-canonical)", "KE_FAULT"),
                          ("condvar_wait(null page)", "KE_FAULT"),
                          ("channel_send(gone)", "KE_FAULT"),
                          ("channel_try_recv(non-canonical)", "KE_FAULT")):
            has(out, rf"^badptr: {re.escape(call)}: {err}$")
        has(out, r"^badptr: channel_queued\(gone\): 0$")
        has(out, r"^badptr: objects: the task carries on$")
        check(len(fault_rows(sh)) == 2, "only the two dead tasks are in the fault log")
        sh.vm.forbid(PANIC)


def case_out_params(build, workdir):
    """Out-parameters of core calls that lock (the log cursor, heap owner statistics) are
    written with no lock held: a bad one kills only the caller."""
    with KeelShell(build, workdir=workdir) as sh:
        core_fault(sh, "log", "log_for_each", "bad_log", NULL_PAGE)
        core_fault(sh, "stats", "kheap_owner_stats", "bad_stats", GONE_PAGE)
        check(sh.run("log 1") != "", "the log still reads")


def case_jump(build, workdir):
    """A call through a bad function pointer (RIP in no code at all) is the task's too: it dies,
    reported with the cell call site, and the system carries on."""
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("run badptr jump")
        has(out, r"^keel: task (\d+) 'badptr' faulted: CPU exception 14 \(#PF page fault\), "
                 r"error 0x10$")
        has(out, r"^  at bad address 0x18 \(no code there\), called from "
                 r"badptr:bad_jump\+0x[0-9a-f]+$")
        has(out, r"^run: badptr faulted: #PF page fault at 0x18$")
        rows = fault_rows(sh)
        check(len(rows) == 1 and rows[0]["where"] == "0x18" and
              rows[0]["caller"].startswith("badptr:bad_jump+"), "the fault log keeps it", rows)
        check(sh.run("echo alive") == "alive", "the shell goes on")
        sh.vm.forbid(PANIC)


def case_kfree(build, workdir):
    """kfree, krealloc and kheap_transfer of pointers that are no live block (NULL page,
    non-canonical, gone, stack, core text, read-only data, inside or just past a block, a
    double free): all refused, the live block untouched, the heap still allocates, no fault."""
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("run badptr kfree")
        check(re.fullmatch(r"badptr: kfree: 11 wild pointers and a double free refused; heap "
                           r"still allocates", out), "kfree refuses every wild pointer", out)
        has(sh.run("mem"), r"^heap: \d+ (B|KiB|MiB) in use")
        check(fault_rows(sh) == [], "no fault", "")
        sh.vm.forbid(PANIC)


def case_guard(build, workdir):
    """badptr 2's migrate hook passes a bad pointer to memcpy with the world stopped: the swap's
    guarded call catches the fault in core code (naming memcpy and the hook's call site), the
    swap is refused, version 1 stays, and the system goes on."""
    with KeelShell(build, workdir=workdir) as sh:
        has(sh.run("load badptr@1"), r"^loaded badptr@1 from ")
        out = sh.run("swap badptr 2")
        has(out, r"^keel: task (\d+) 'swap': guarded call faulted: CPU exception 14 \(#PF page "
                 r"fault\) at 0x[0-9a-f]+ <memcpy\+0x[0-9a-f]+> called from \S+, cr2 0x18; the "
                 r"call returns KE_FAULT$")
        has(out, r"^swap: cell 'badptr': version 2's migrate hook failed on layout 1 with "
                 r"KE_FAULT")
        has(out, r"^swap: stopped at step 'transfer'; nothing was swapped$")
        rows = fault_rows(sh)
        check(len(rows) == 1 and rows[0]["name"] == "swap" and
              rows[0]["where"].startswith("memcpy+") and rows[0]["caller"] != "-",
              "the fault log keeps the guarded fault with its caller", rows)
        has(sh.run("cells"), r"^badptr\s+1\s")
        has(sh.run("run badptr objects"), r"^badptr: objects: the task carries on$")
        sh.vm.forbid(PANIC)


def selftest(kernel, workdir, name, status):
    vm = KeelVM(kernel, f"selftest={name} panic=exit after-ready=exit", workdir=workdir)
    with vm:
        vm.start()
        vm.expect(rf"selftest {name}: ")
        vm.expect(r"selftest: a task reads address 0x28 in core code")
        vm.expect_exit(status, timeout=60)
    return vm.text()


def stays_panic(build, workdir, name, why):
    """A task of the core's faults in core code while the core may be mid-change: a panic with
    the full report, saying why the fault was not contained."""
    out = selftest(os.path.join(build, "keel.elf"), workdir, name, EXIT_FAILURE)
    report = out[out.index("KEEL PANIC"):] if "KEEL PANIC" in out else ""
    check(report, "no panic report", out)
    for p in (r"KEEL PANIC: CPU exception 14 \(#PF page fault\) in the nano-core",
              r"rip 0x[0-9a-f]+ <selftest_read_wild\+0x[0-9a-f]+>", r"cr2 0x0000000000000028",
              rf"\n  not contained: {why}\n", r"rflags [0-9a-f]{16}",
              r"backtrace:\n\s+#0\s+0x[0-9a-f]+ selftest_read_wild\+", r"end of panic report"):
        has(report, p)
    hasnt(out, r"killed; the system carries on|selftest \w+: FAILED")


def case_panic_spinlock(build, workdir):
    """Faulting in core code with a spinlock held is a panic: 'not contained: spinlock held'."""
    stays_panic(build, workdir, "corespin", "spinlock held")


def case_panic_core_mutex(build, workdir):
    """With the cells mutex (a core mutex) held: 'not contained: core mutex 'cells_mutex' held'."""
    stays_panic(build, workdir, "coremutex", "core mutex 'cells_mutex' held")


def case_panic_irqoff(build, workdir):
    """With interrupts off in the faulting context: 'not contained: interrupts were off'."""
    stays_panic(build, workdir, "coreirq", "interrupts were off")


def case_core_task(build, workdir):
    """A task of the core's own (no cell on its stack) faulting in core code holding nothing
    dies alone: its joiner sees TASK_FAULTED, the fault log keeps it, the boot carries on."""
    out = selftest(os.path.join(build, "keel.elf"), workdir, "corefault", EXIT_SUCCESS)
    has(out, r"keel: task \d+ 'selftest' faulted: CPU exception 14 \(#PF page fault\)")
    has(out, r"^  in core code selftest_read_wild\+0x[0-9a-f]+, called from no cell$")
    has(out, r"^selftest corefault: ok$")
    hasnt(out, r"PANIC|FAILED")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
