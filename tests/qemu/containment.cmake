# Fault containment in core code (tasking/fault.c, docs/tasks.md): the badptr test cell hands the
# core bad pointers at the prompt of the test image; kernel self-tests check the cases that stay
# a panic (tests/qemu/containment_tests.py).
keel_qemu_cases(containment_tests.py PREFIX qemu_contain_ TIMEOUT 120 WORKDIR contain)
