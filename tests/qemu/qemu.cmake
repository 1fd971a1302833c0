# QEMU system tests: each case boots the real kernel (tools/mkiso.sh + qemu-system-x86_64) and
# drives it over the serial console; see tests/qemu/keelvm.py.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
# keel_qemu_cases(<script> PREFIX <prefix> TIMEOUT <seconds> [WORKDIR <subdir of tests/qemu>])
# One CTest test <prefix><case> (label qemu) per case the script tests/qemu/<script> declares:
# `<script> --list` prints a case a line, its name and then any properties that differ from the
# suite's ("refused_loads timeout=600", from @case in keelvm.py). Each test runs
# `<script> --build BUILD --workdir WORKDIR <case>`. The listing is read at configure time and the
# script is a configure dependency: a case added to or removed from the script is a test added or
# removed at the next build, with no list to keep here.
function(keel_qemu_cases script)
  cmake_parse_arguments(Q "" "PREFIX;TIMEOUT;WORKDIR" "" ${ARGN})
  if(NOT DEFINED Q_PREFIX OR NOT Q_TIMEOUT)
    message(FATAL_ERROR "keel_qemu_cases(${script}): PREFIX and TIMEOUT are required")
  endif()
  set(path ${CMAKE_SOURCE_DIR}/tests/qemu/${script})
  set(workdir ${CMAKE_BINARY_DIR}/tests/qemu)
  if(Q_WORKDIR)
    set(workdir ${workdir}/${Q_WORKDIR})
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${path})
  # Debian's python3, as for every host-side script.
  execute_process(COMMAND /usr/bin/python3 ${path} --list
                  OUTPUT_VARIABLE listing ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT listing MATCHES "[a-z]")
    message(FATAL_ERROR "keel_qemu_cases: '${script} --list' failed (${rc}): ${err}")
  endif()
  string(REGEX REPLACE "\n$" "" listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "^([A-Za-z0-9_]+)( timeout=([1-9][0-9]*))?$")
      message(FATAL_ERROR "keel_qemu_cases: '${script} --list' printed '${line}', not "
                          "'<case> [timeout=<seconds>]'")
    endif()
    set(case ${CMAKE_MATCH_1})
    set(timeout ${Q_TIMEOUT})
    if(CMAKE_MATCH_3)
      set(timeout ${CMAKE_MATCH_3})
    endif()
    add_test(NAME ${Q_PREFIX}${case}
             COMMAND ${Python3_EXECUTABLE} ${path} --build ${CMAKE_BINARY_DIR} --workdir ${workdir}
                     ${case})
    set_tests_properties(${Q_PREFIX}${case} PROPERTIES LABELS qemu TIMEOUT ${timeout})
  endforeach()
endfunction()

keel_qemu_cases(nanocore_tests.py PREFIX qemu_ TIMEOUT 120)

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
keel_qemu_cases(cells_tests.py PREFIX qemu_ TIMEOUT 120)

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
keel_qemu_cases(tasking_tests.py PREFIX qemu_ TIMEOUT 180)

# Shell commands part 2 (cells, deps, sym, run, load, unload, poweroff, reboot): typed at the
# prompt of the default image. (docs/writing-a-command.md is followed by qemu_walkthrough.)
keel_qemu_cases(commands2_tests.py PREFIX qemu_cmd2_ TIMEOUT 120)

# The screen and keyboard consoles (vgacon, ps2kbd): keys sent with the QEMU monitor's sendkey,
# the VGA text screen read back with xp.
keel_qemu_cases(console_tests.py PREFIX qemu_console_ TIMEOUT 120)

# Shell commands part 1 (help, echo, uptime, ps, kill, mem, log, faults, ls, cat) and the ramfs
# behind ls and cat: typed at the prompt of the default image.
keel_qemu_cases(commands1_tests.py PREFIX qemu_cmd_ TIMEOUT 120)

# The shell (cells/shell): prompt, dispatch errors, quoting, line editing, history, completion,
# Ctrl-C, type-ahead, fault and exit-status reports; typed at the prompt of the default image.
keel_qemu_cases(shell_tests.py PREFIX qemu_shell_ TIMEOUT 120)

# The workload cells and the workload command (docs/workloads.md).
keel_qemu_cases(workload_tests.py PREFIX qemu_workload_ TIMEOUT 120)

# Recovery latency benchmark smoke run: faultbench must measure both rungs (restart, reload).
add_test(NAME bench_faults_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/bench/faults.py
                 --build ${CMAKE_BINARY_DIR}
                 --json ${CMAKE_BINARY_DIR}/tests/bench/faults.json)
set_tests_properties(bench_faults_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 300)
