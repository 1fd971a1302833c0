# The quiescence check of a live swap (tasking/swap_tasks.c): a task preempted inside a swapped
# cell where only its interrupted rip, or only a return address at its interrupted rsp, shows
# it (fixtures cells/demo/quiesce, tests/qemu/quiesce_tests.py).
foreach(case rip leaf prologue)
  add_test(NAME qemu_quiesce_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/quiesce_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu
                   ${case})
  set_tests_properties(qemu_quiesce_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()
