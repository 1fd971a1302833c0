#!/usr/bin/env python3
"""QEMU system tests of the tasking layer: the tasktest cell runs its in-guest suite (tasks,
join/detach/kill/restart, priorities, sleeps, mutexes, semaphores, condition variables,
channels, fault containment, allocation failures and quotas) in its init and prints a line per test and a total.

    tasking_tests.py --build DIR [--workdir DIR] CASE...
    tasking_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import EXIT_SUCCESS, GuestError, KeelVM, image_modules, run_cases  # noqa: E402
from checks import check  # noqa: E402

# Every test the suite must report as passed (cells/tasktest/tasktest.c): a test that silently
# disappears from the guest fails here.
TESTS = [
    "spawn_validation", "arg_isolation", "return_block", "join_variants", "detach_running",
    "detach_flag", "detach_dead", "kill_sleeping", "kill_semaphore", "kill_busy", "kill_self",
    "kill_errors", "restart", "restart_limit", "restart_chain", "priority_order", "priority_preempt",
    "round_robin", "sleep_bounds", "mutex_basic", "mutex_owner_dead_waiter",
    "mutex_owner_dead_free", "semaphore", "condvar", "chan_async_fifo", "chan_async_full",
    "chan_rendezvous", "chan_close_drain", "chan_close_wakes", "chan_ownership",
    "chan_destroy_frees", "fault_null", "fault_divide", "fault_ud2", "fault_gp",
    "fault_stack_overflow", "fault_write_rodata", "fault_write_text", "fault_log",
    "alloc_failslab_spawn", "alloc_failslab_channel", "alloc_task_quota", "alloc_chan_quota",
]


def case_tasking(build, workdir):
    """Boot with only the tasktest cell: every test passes, the system survives the faults."""
    manifest = os.path.join(workdir, "tasktest.manifest")
    with open(manifest, "wb") as f:
        f.write(b"tasktest@1.o\n")
    mods = image_modules(build) + [manifest + "=tasktest.manifest"]
    with KeelVM(os.path.join(build, "keel.elf"), "cells=tasktest.manifest after-ready=exit panic=exit",
                modules=mods, workdir=workdir) as vm:
        vm.start()
        vm.expect(r"tasktest: running \d+ tests")
        m = vm.expect(r"tasktest: (\d+) passed, (\d+) failed\n", timeout=150)
        vm.expect_exit(EXIT_SUCCESS, timeout=30)
        text = vm.text()
        fails = re.findall(r"tasktest: FAIL [^\n]*", text)
        if fails:
            raise GuestError("failed in the guest:\n" + "\n".join(fails))
        vm.forbid(r"FAIL")
        vm.forbid(r"PANIC")
        passed = set(re.findall(r"tasktest: PASS (\S+)", text))
        missing = [t for t in TESTS if t not in passed]
        check(not missing, f"tests not reported as passed: {missing}")
        check(int(m.group(2)) == 0, f"{m.group(2)} tests failed")
        check(int(m.group(1)) >= len(TESTS), f"{m.group(1)} passed, expected {len(TESTS)}")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="build"))
