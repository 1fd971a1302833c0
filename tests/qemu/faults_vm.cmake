# The fault campaign's QEMU worker (tools/faults/vm.py): savevm/loadvm restore, Hang and Crash,
# cleanup (tests/qemu/faults_vm_tests.py).
keel_qemu_cases(faults_vm_tests.py PREFIX qemu_faultsvm_ TIMEOUT 120 WORKDIR faultsvm)
