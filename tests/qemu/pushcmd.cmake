# Command cells pushed at run time (tests/qemu/pushcmd_tests.py): the default image without the
# fixtures of cells/commands/hi, the control channel on COM2; keelctl pushes, the shell runs.
foreach(case run newer bad_records)
  add_test(NAME qemu_shell_push_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/pushcmd_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_shell_push_${case} PROPERTIES LABELS qemu TIMEOUT 180)
endforeach()
