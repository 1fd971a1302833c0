# smpstress (docs/stress.md): the SMP stress at -smp 2 and -smp 4, a run bounded by time, Ctrl-C,
# bad arguments. The -smp 4 case also carries the label qemu-smp4 (ctest -L qemu-smp4), as it
# wants four vCPUs' worth of host threads.
keel_qemu_cases(smpstress_tests.py PREFIX qemu_smpstress_ TIMEOUT 300)
set_tests_properties(qemu_smpstress_smp4 PROPERTIES LABELS "qemu;qemu-smp4")
