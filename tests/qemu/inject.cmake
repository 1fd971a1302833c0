# The fault injector from the shell: proof, activation by debug register, seeds, restore and
# refusals (inject_tests.py; docs/fault-injection.md, "Injecting a fault").
keel_qemu_cases(inject_tests.py PREFIX qemu_inject_ TIMEOUT 180 WORKDIR inject)
# IPC faults: the 13 sender/receiver faults on wl_pingpong with their outcomes known by
# construction, and the one-fault rule shared with code faults (ipc_fault_tests.py;
# docs/fault-injection.md, "IPC faults").
keel_qemu_cases(ipc_fault_tests.py PREFIX qemu_ipcfault_ TIMEOUT 180 WORKDIR ipcfault)
