# The control channel (cells/ctl, tools/keelctl; docs/control-channel.md): the default image with
# COM2 on a unix socket, driven by keelctl while the shell runs on COM1. The cli case needs no
# guest (keelctl's command line only).
foreach(case ping push_load bad_frames bad_objects unload query cli swap_from_host dev_loop)
  add_test(NAME qemu_ctl_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/ctl_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_ctl_${case} PROPERTIES LABELS qemu TIMEOUT 180)
endforeach()
