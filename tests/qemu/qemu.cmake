# QEMU system tests: each case boots the real kernel (tools/mkiso.sh + qemu-system-x86_64) and
# drives it over the serial console; see tests/qemu/keelvm.py.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(KEEL_NANOCORE_CASES
  boot fault_pagefault fault_wx fault_nx fault_stack_overflow fault_divzero fault_ud
  selftest_heap selftest_vm selftest_clock selftest_exports poweroff bad_options timer_hz vga_mirror)
foreach(case ${KEEL_NANOCORE_CASES})
  add_test(NAME qemu_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/nanocore_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()

# Benchmark smoke runs: each benchmark must measure everything it promises and write its JSON
# (numbers are not asserted). The verdict is the exit status alone (no PASS_REGULAR_EXPRESSION:
# with it CTest ignores the exit status, so a panic or a missing metric after the matched line
# would pass).
add_test(NAME bench_boot_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/bench/boot.py
                 --kernel ${CMAKE_BINARY_DIR}/keel.elf --runs 2
                 --json ${CMAKE_BINARY_DIR}/tests/bench/boot.json)
set_tests_properties(bench_boot_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 180)

# Cells at boot (the loader in the kernel).
foreach(case boot_cells bad_cells cell_fault_report)
  add_test(NAME qemu_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/cells_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()

add_test(NAME bench_loader_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/bench/loader.py
                 --build ${CMAKE_BINARY_DIR} --rounds 5
                 --json ${CMAKE_BINARY_DIR}/tests/bench/loader.json)
set_tests_properties(bench_loader_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 180)

# Tasking benchmark smoke run: the taskbench cell must measure every metric (the round counts
# are fixed in the cell).
add_test(NAME bench_tasks_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/bench/tasks.py
                 --build ${CMAKE_BINARY_DIR}
                 --json ${CMAKE_BINARY_DIR}/tests/bench/tasks.json)
set_tests_properties(bench_tasks_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 300)

# The tasking layer's in-guest suite (the tasktest cell).
foreach(case tasking)
  add_test(NAME qemu_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/tasking_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_${case} PROPERTIES LABELS qemu TIMEOUT 180)
endforeach()

# Shell commands part 2 (cells, deps, sym, run, load, unload, poweroff, reboot): typed at the
# prompt of the default image. (docs/writing-a-command.md is followed by qemu_walkthrough.)
foreach(case cells deps sym run load_unload poweroff reboot)
  add_test(NAME qemu_cmd2_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/commands2_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_cmd2_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()

# The screen and keyboard consoles (vgacon, ps2kbd): keys sent with the QEMU monitor's sendkey,
# the VGA text screen read back with xp.
foreach(case screen_prompt keyboard_command keyboard_editing keyboard_ctrl_c no_screen)
  add_test(NAME qemu_console_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/console_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_console_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()

# Shell commands part 1 (help, echo, uptime, ps, kill, mem, log, faults, ls, cat) and the ramfs
# behind ls and cat: typed at the prompt of the default image.
foreach(case help echo uptime ps kill_errors kill_task mem log faults ls cat)
  add_test(NAME qemu_cmd_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/commands1_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_cmd_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()

# The shell (cells/shell): prompt, dispatch errors, quoting, line editing, history, completion,
# Ctrl-C, type-ahead, fault and exit-status reports; typed at the prompt of the default image.
foreach(case prompt unknown empty quoting unterminated_quote edit_fix home_end ctrl_u ctrl_w
             backspace delete history complete_unique complete_help complete_ambiguous ctrl_c_line
             ctrl_c_spin typeahead crash exit_status)
  add_test(NAME qemu_shell_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/shell_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_shell_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()
