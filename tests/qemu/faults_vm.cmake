# The fault campaign's QEMU worker (tools/faults/vm.py): savevm/loadvm restore, Hang and Crash,
# cleanup (tests/qemu/faults_vm_tests.py).
keel_qemu_cases(faults_vm_tests.py PREFIX qemu_faultsvm_ TIMEOUT 120 WORKDIR faultsvm)
# Benchmark smoke run of the worker's costs (tools/faults/vm_bench.py): every figure measured,
# the migrate-to-file path included; the verdict is the exit status (numbers not asserted).
add_test(NAME bench_faults_vm_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/faults/vm_bench.py
                 --build ${CMAKE_BINARY_DIR} --rounds 2 --trials 3 --memory 128M,64M
                 --json ${CMAKE_BINARY_DIR}/tests/bench/faults_vm.json)
set_tests_properties(bench_faults_vm_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 120)
