# QEMU system tests: each case boots the real kernel (tools/mkiso.sh + qemu-system-x86_64) and
# drives it over the serial console; see tests/qemu/keelvm.py.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(KEEL_NANOCORE_CASES
  boot fault_pagefault fault_wx fault_nx fault_stack_overflow fault_divzero fault_ud
  selftest_heap selftest_vm poweroff bad_options timer_hz)
foreach(case ${KEEL_NANOCORE_CASES})
  add_test(NAME qemu_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/nanocore_tests.py
                   --kernel ${CMAKE_BINARY_DIR}/keel.elf
                   --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()
