#!/usr/bin/env python3
"""QEMU system tests of the nano-core: boot to the ready line, fault reports, W^X/NX, stack
guard pages, in-guest heap and paging checks, power-off, bad boot options.

    nanocore_tests.py --build DIR [--workdir DIR] CASE...
    nanocore_tests.py --list
"""
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import EXIT_FAILURE, EXIT_SUCCESS, KeelVM, run_cases  # noqa: E402
from checks import check  # noqa: E402
from qemumon import Monitor  # noqa: E402

READY = (r"keel: ready in (\d+) us: (\d+) MiB free of (\d+) MiB, (\d+) modules, "
         r"tsc (\d+) MHz, timer (\d+) Hz, (\d+) kernel symbols, (\d+) CPUs?")


def boot(vm):
    vm.start()
    return vm.expect(READY)


def case_boot(kernel, workdir):
    """Boot to the ready line: memory map, module list (debug lines), clock, then exit with
    success."""
    mod = os.path.join(workdir, "testmod.bin")
    rng = random.Random(7)
    with open(mod, "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(12345)))
    with KeelVM(kernel, "loglevel=debug after-ready=exit", modules=[mod, mod + "=second.o"],
                workdir=workdir) as vm:
        vm.start()
        vm.expect(r"Keel nano-core")
        vm.expect(r"clock: tsc \d+\.\d{3} MHz from (cpuid 0x[0-9a-f]+|PIT)")
        vm.expect(r"memory: \[0x000000100000-0x[0-9a-f]+\) available")
        vm.expect(r"memory: (\d+) MiB usable, (\d+) MiB free")
        vm.expect(r"module 0: testmod.bin \(12345 bytes at 0x[0-9a-f]+\)")
        vm.expect(r"module 1: second.o \(12345 bytes at 0x[0-9a-f]+\)")
        m = vm.expect(READY)
        ready_us, free, total, modules, mhz, hz, nsyms, cpus = map(int, m.groups())
        check(modules == 2, f"ready line counts {modules} modules, expected 2")
        check(200 <= total <= 256, f"usable memory {total} MiB for a 256 MiB guest")
        check(0 < free <= total, f"free memory {free} MiB of {total}")
        check(mhz > 0, "TSC frequency not calibrated")
        check(hz == 100, f"timer at {hz} Hz, default is 100")
        check(nsyms > 50, f"only {nsyms} kernel symbols embedded")
        check(cpus == vm.smp, f"ready line counts {cpus} CPUs for -smp {vm.smp}")
        vm.expect_exit(EXIT_SUCCESS)
        vm.forbid(r"PANIC|WARN|unexpected")


def fault_case(kernel, workdir, selftest, patterns):
    with KeelVM(kernel, f"selftest={selftest} panic=exit after-ready=exit",
                workdir=workdir) as vm:
        vm.start()
        boot(vm)
        for p in patterns:
            vm.expect(p)
        # The way out of QEMU as the report's last line, and every general register in it.
        vm.expect(r"end of panic report\n"
                  r"keel: the system has stopped; to leave QEMU press Ctrl-A, then X\n")
        regs = (r"\n  r8  [0-9a-f]{16} r9  [0-9a-f]{16} r10 [0-9a-f]{16} r11 [0-9a-f]{16}\n"
                r"  r12 [0-9a-f]{16} r13 [0-9a-f]{16} r14 [0-9a-f]{16} r15 [0-9a-f]{16}\n")
        check(re.search(regs, vm.text()), "no r8..r15 lines in the panic report")
        vm.expect_exit(EXIT_FAILURE)
        vm.forbid(r"survived a fault")


def case_fault_pagefault(kernel, workdir):
    """A deliberate NULL-page read: vector, CR2 and the faulting function in the backtrace."""
    fault_case(kernel, workdir, "pagefault", [
        r"CPU exception 14 \(#PF page fault\) in the nano-core, error code 0x0",
        r"rip 0xffffffff8[0-9a-f]+ <selftest_page_fault\+0x[0-9a-f]+>",
        r"cr2 0x0000000000000018",
        r"cause: data read from an unmapped page",
        r"NULL pointer dereference",
        r"rax [0-9a-f]{16} rbx",
        r"r12 [0-9a-f]{16} r13",
        r"backtrace:\n\s+#0\s+0x[0-9a-f]+ selftest_page_fault\+0x[0-9a-f]+",
        r"#1\s+0x[0-9a-f]+ selftest_run\+",
        r"kmain_on_kernel_stack\+",
    ])


def case_fault_wx(kernel, workdir):
    """W^X: a write to kernel text faults as a protection violation."""
    fault_case(kernel, workdir, "wx", [
        r"writing to kernel text at 0x(ffffffff8[0-9a-f]+)",
        r"CPU exception 14 \(#PF page fault\) in the nano-core, error code 0x3",
        r"rip 0x[0-9a-f]+ <selftest_write_text\+",
        r"cause: data write to a present \(protection violation\) page",
        r"W\^X",
        r"#0\s+0x[0-9a-f]+ selftest_write_text\+",
    ])


def case_fault_nx(kernel, workdir):
    """NX: executing kernel data faults as an instruction fetch."""
    fault_case(kernel, workdir, "nx", [
        r"CPU exception 14 \(#PF page fault\) in the nano-core, error code 0x11",
        r"cause: instruction fetch from a present \(protection violation\) page",
        r"\(NX\)",
    ])


def case_fault_stack_overflow(kernel, workdir):
    """A kernel stack overflow hits the guard page; the double fault runs on its IST stack."""
    fault_case(kernel, workdir, "stackoverflow", [
        r"CPU exception 8 \(#DF double fault\)",
        r"rip 0x[0-9a-f]+ <selftest_recurse\+",
        r"cr2 0xffffffffd[0-9a-f]+",
        r"kernel stack guard page \(stack overflow\)",
        r"#1\s+0x[0-9a-f]+ selftest_recurse\+",
    ])


def case_fault_divzero(kernel, workdir):
    fault_case(kernel, workdir, "divzero", [
        r"CPU exception 0 \(#DE divide error\)",
        r"rip 0x[0-9a-f]+ <selftest_divide_by_zero\+",
    ])


def case_fault_ud(kernel, workdir):
    fault_case(kernel, workdir, "ud", [
        r"CPU exception 6 \(#UD invalid opcode\)",
        r"rip 0x[0-9a-f]+ <selftest_invalid_opcode\+",
    ])


def selftest_case(kernel, workdir, name):
    with KeelVM(kernel, f"selftest={name} panic=exit after-ready=exit", workdir=workdir) as vm:
        vm.start()
        boot(vm)
        vm.expect(rf"selftest {name}: (ok|FAILED.*)")
        vm.expect_exit(EXIT_SUCCESS)
        vm.forbid(rf"selftest {name}: FAILED|check failed")


def case_selftest_heap(kernel, workdir):
    """kmalloc in the guest: alignment, quota, failure injection, realloc, no leak."""
    selftest_case(kernel, workdir, "heap")


def case_selftest_vm(kernel, workdir):
    """Paging calls in the guest: W^X refusal, protect/translate, cell area, guarded stacks."""
    selftest_case(kernel, workdir, "vm")


def case_selftest_clock(kernel, workdir):
    """The TSC clock is calibrated and monotonic; the APIC timer interrupt fires."""
    selftest_case(kernel, workdir, "clock")


def case_selftest_exports(kernel, workdir):
    """The core export table: every export is found by name, unexported core symbols are not."""
    selftest_case(kernel, workdir, "exports")


def case_poweroff(kernel, workdir):
    """ACPI S5 power-off: QEMU exits by itself with status 0."""
    with KeelVM(kernel, "after-ready=poweroff", workdir=workdir) as vm:
        vm.start()
        boot(vm)
        vm.expect(r"keel: powering off")
        vm.expect_exit(0)
        vm.forbid(r"power-off failed")


def case_bad_options(kernel, workdir):
    """Bad boot options get a clear message and change nothing; the boot carries on."""
    with KeelVM(kernel, "loglevel=chatty selftest=bogus hz=12x after-ready=exit",
                workdir=workdir) as vm:
        vm.start()
        vm.expect(r"unknown loglevel 'chatty'")
        vm.expect(r"hz must be a number; using 100")
        m = vm.expect(READY)
        check(int(m.group(6)) == 100, "a bad hz= did not fall back to 100 Hz", m.group(0).decode())
        vm.expect(r"selftest: unknown test 'bogus'; known: pagefault wx")
        vm.expect_exit(EXIT_SUCCESS)


def case_timer_hz(kernel, workdir):
    """hz= sets the APIC timer rate; out-of-range rates are refused with an error."""
    with KeelVM(kernel, "hz=1000 after-ready=exit", workdir=workdir) as vm:
        vm.start()
        m = boot(vm)
        check(int(m.group(6)) == 1000, "hz=1000 not in effect", m.group(0).decode())
        vm.expect_exit(EXIT_SUCCESS)
    with KeelVM(kernel, "hz=5 after-ready=exit", workdir=workdir + "-bad") as vm:
        vm.start()
        vm.expect(r"apic: timer not started: value out of range")
        vm.expect(READY)
        vm.expect_exit(EXIT_SUCCESS)


def case_vga_mirror(kernel, workdir):
    """The console is mirrored on the VGA text screen (read back through the QEMU monitor)."""
    with KeelVM(kernel, "", workdir=workdir, monitor=True) as vm:
        vm.start()
        vm.expect(READY)
        with Monitor(vm) as mon:
            # The screen is polled until it shows the whole ready line (or the timeout): the
            # mirror may be read back while the line is still being written.
            rows = mon.screen_when(lambda r: "clock: tsc" in r[0] and
                                   any(re.search(r"keel: ready in \d+ us", x) for x in r))
        screen = "\n".join(rows)
        check(rows[0].startswith("[") and "clock: tsc" in rows[0],
              f"VGA row 0 should be the first log line after the mirror attached:\n{screen}")
        check(re.search(r"keel: ready in \d+ us", screen), f"VGA lacks the ready line:\n{screen}")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="kernel"))
