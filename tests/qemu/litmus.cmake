# The litmus command: memory-model litmus tests across vCPUs (docs/litmus.md). The 4-CPU case
# also carries its own label, qemu-smp4, to be run (or left out) on its own.
keel_qemu_cases(litmus_tests.py PREFIX qemu_litmus_ TIMEOUT 300 WORKDIR litmus)
set_tests_properties(qemu_litmus_smp4 PROPERTIES LABELS "qemu;qemu-smp4")
