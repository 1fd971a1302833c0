# Smoke run of the Linux reference (tools/bench/linux.py, docs/benchmarking-linux.md): Debian's
# kernel booted in the same QEMU as Keel's benchmarks, every figure measured (few rounds, one
# boot) and present in its JSON, with the suite's 2 CPUs (the figures across CPUs, spawn_join_x and
# pipe_roundtrip_x, with the partner thread pinned to CPU 1); numbers are never asserted. The first run on a clean build
# directory fetches the kernel image (apt-get download, ~70 MB) and builds the modules with
# kbuild, hence the generous timeout.
add_test(NAME bench_linux_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/linuxref_smoke.py
                 --build ${CMAKE_BINARY_DIR} --runs 5
                 --out ${CMAKE_BINARY_DIR}/tests/bench/linux.json)
set_tests_properties(bench_linux_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 600)
# The same with 1 CPU (the suite's VMs have 2): no figure across CPUs is promised, and
# stop_machine has no other CPU to stop. RUN_SERIAL: both smoke runs share the build's linux-ref
# cache (the kernel download, the kbuild of the modules).
add_test(NAME bench_linux_smoke_smp1
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/linuxref_smoke.py
                 --build ${CMAKE_BINARY_DIR} --runs 5
                 --out ${CMAKE_BINARY_DIR}/tests/bench/linux-smp1.json)
set_tests_properties(bench_linux_smoke_smp1 PROPERTIES LABELS "bench;qemu" TIMEOUT 600
                     ENVIRONMENT "KEEL_TEST_SMP=1" RUN_SERIAL TRUE)
