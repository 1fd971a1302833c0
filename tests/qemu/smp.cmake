# SMP: bring-up at -smp 1/2/4, cpus=, per-CPU timers, cpu_call, faults on another CPU.
keel_qemu_cases(smp_tests.py PREFIX qemu_smp_ TIMEOUT 120)
