# The scheduler policy as a cell: swaps between policies, under load, a wrong answer, unload.
keel_qemu_cases(sched_policy_tests.py PREFIX qemu_sched_ TIMEOUT 180)
set_tests_properties(qemu_sched_swap_under_load_4 PROPERTIES LABELS "qemu;qemu-smp4")
