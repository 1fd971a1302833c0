# Claims of docs/live-swap.md checked end to end (tests/qemu/swapclaims_tests.py): a console sink
# re-pointed, a service task re-spawned, the shell's typed-ahead input carried, a task between
# restarts re-pointed, W^X on a swapped version (fixtures vgacon, ps2kbd, shell, phoenix, wxprobe).
foreach(case console_sink service_task shell_typeahead between_restarts wx_after_swap)
  add_test(NAME qemu_swapclaims_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/swapclaims_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu
                   ${case})
  set_tests_properties(qemu_swapclaims_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()
