# The quiescence check of a live swap (tasking/swap_tasks.c): a task preempted inside a swapped
# cell where only its interrupted rip, or only a return address at its interrupted rsp, shows
# it (fixtures cells/demo/quiesce, tests/qemu/quiesce_tests.py).
keel_qemu_cases(quiesce_tests.py PREFIX qemu_quiesce_ TIMEOUT 120)
