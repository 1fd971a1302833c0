# Pending swaps of a cell that is never idle (busy, busyload): gate, return barriers, deadline,
# Ctrl-C, a fault and a kill of a barrier's carrier. Every case runs at the suite's CPU count
# (2 by default) and again at 1 and at 4 CPUs (_smp1, _smp4; the -smp 4 ones also carry the
# label qemu-smp4); busy_caller_4cpu adds four callers on four CPUs.
keel_qemu_cases(pending_tests.py PREFIX qemu_pending_ TIMEOUT 240)
set_tests_properties(qemu_pending_busy_caller_4cpu PROPERTIES LABELS "qemu;qemu-smp4")
foreach(case busy_caller deep deadline ctrl_c fail_while_pending fault_with_barrier
             kill_with_barrier)
  foreach(cpus 1 4)
    set(name qemu_pending_${case}_smp${cpus})
    add_test(NAME ${name}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/pending_tests.py
                     --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu/smp${cpus}
                     ${case})
    set_tests_properties(${name} PROPERTIES LABELS qemu TIMEOUT 240 ENVIRONMENT KEEL_TEST_SMP=${cpus})
    if(cpus EQUAL 4)
      set_tests_properties(${name} PROPERTIES LABELS "qemu;qemu-smp4")
    endif()
  endforeach()
endforeach()
