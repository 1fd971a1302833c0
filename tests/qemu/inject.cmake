# The fault injector from the shell: proof, activation by debug register, seeds, restore and
# refusals (inject_tests.py; docs/fault-injection.md, "Injecting a fault").
keel_qemu_cases(inject_tests.py PREFIX qemu_inject_ TIMEOUT 180 WORKDIR inject)
# Exception and loop models, triggers, keelctl inject, the same seed on two boots
# (inject_models_tests.py).
keel_qemu_cases(inject_models_tests.py PREFIX qemu_injmodels_ TIMEOUT 240 WORKDIR injmodels)
# Allocation failure per cell and the allocation sweep over every workload (alloc_sweep_tests.py;
# docs/fault-injection.md, "Allocation failure"): one case per workload, so they run in parallel.
keel_qemu_cases(alloc_sweep_tests.py PREFIX qemu_allocsweep_ TIMEOUT 240 WORKDIR allocsweep)
# IPC faults: the 13 sender/receiver faults on wl_pingpong with their outcomes known by
# construction, and the one-fault rule shared with code faults (ipc_fault_tests.py;
# docs/fault-injection.md, "IPC faults").
keel_qemu_cases(ipc_fault_tests.py PREFIX qemu_ipcfault_ TIMEOUT 180 WORKDIR ipcfault)
# Hang detection: an injected loop ended by the heartbeat watchdog, the CPU budget, the watchdog
# command's refusals (watchdog_tests.py; docs/fault-injection.md, "Hangs").
keel_qemu_cases(watchdog_tests.py PREFIX qemu_watchdog_ TIMEOUT 180 WORKDIR watchdog)
