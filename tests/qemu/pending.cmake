# Pending swaps of a cell that is never idle (busy, busyload): gate, return barriers, deadline,
# Ctrl-C, a fault and a kill of a barrier's carrier; at 1, 2 and 4 CPUs.
keel_qemu_cases(pending_tests.py PREFIX qemu_pending_ TIMEOUT 240)
set_tests_properties(qemu_pending_busy_caller_4cpu PROPERTIES LABELS "qemu;qemu-smp4")
