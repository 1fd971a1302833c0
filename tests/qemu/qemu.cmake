# QEMU system tests: each case boots the real kernel (tools/mkiso.sh + qemu-system-x86_64) and
# drives it over the serial console; see tests/qemu/keelvm.py.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(KEEL_NANOCORE_CASES
  boot fault_pagefault fault_wx fault_nx fault_stack_overflow fault_divzero fault_ud
  selftest_heap selftest_vm poweroff bad_options timer_hz vga_mirror)
foreach(case ${KEEL_NANOCORE_CASES})
  add_test(NAME qemu_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/nanocore_tests.py
                   --kernel ${CMAKE_BINARY_DIR}/keel.elf
                   --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()

# Benchmark smoke run: the boot benchmark must produce its JSON (numbers are not asserted).
add_test(NAME bench_boot_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/bench/boot.py
                 --kernel ${CMAKE_BINARY_DIR}/keel.elf --runs 2
                 --json ${CMAKE_BINARY_DIR}/tests/bench/boot.json)
set_tests_properties(bench_boot_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 180
                     PASS_REGULAR_EXPRESSION "\"benchmark\": \"boot\", \"summary\"")
