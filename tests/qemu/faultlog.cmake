# The fault log (tasking/fault.c, docs/fault-injection.md): faults charged to cells, the shell's
# faults and keelctl faults, the ring's wrap (tests/qemu/faultlog_tests.py).
keel_qemu_cases(faultlog_tests.py PREFIX qemu_faultlog_ TIMEOUT 240 WORKDIR faultlog)
# The recovery ladder: reload of a corrupted cell, climbing to giving up, the recovery command
# (tests/qemu/recovery_tests.py; docs/fault-injection.md, "The recovery ladder").
keel_qemu_cases(recovery_tests.py PREFIX qemu_recovery_ TIMEOUT 180 WORKDIR recovery)
