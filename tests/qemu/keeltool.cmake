# The host front-end as a new user meets it (tests/qemu/keeltool_tests.py): the image of
# `tools/keel run --cmdline`, and the edit-rebuild-swap loop of docs/control-channel.md, which
# configures and builds a cell in a scratch copy of the source tree (a minute or more).
foreach(case run_cmdline edit_swap_loop)
  add_test(NAME qemu_keel_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/keeltool_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_keel_${case} PROPERTIES LABELS qemu TIMEOUT 180)
endforeach()
set_tests_properties(qemu_keel_edit_swap_loop PROPERTIES TIMEOUT 900)
