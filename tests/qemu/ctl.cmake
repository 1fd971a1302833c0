# The control channel (cells/ctl, tools/keelctl; docs/control-channel.md): the default image with
# COM2 on a unix socket, driven by keelctl while the shell runs on COM1. The cli case needs no
# guest (keelctl's command line only).
foreach(case ping push_load load_unchanged bad_frames bad_objects unload query cli swap_from_host dev_loop)
  add_test(NAME qemu_ctl_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/ctl_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu ${case})
  set_tests_properties(qemu_ctl_${case} PROPERTIES LABELS qemu TIMEOUT 180)
endforeach()

# The ramfs under the control channel and the shell: refused loads and swaps leave nothing
# behind (1,000 malformed objects), rm, the byte quota (tests/qemu/ramfs_tests.py).
foreach(case refused_loads refused_swap rm_shell rm_ctl quota)
  add_test(NAME qemu_ramfs_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/ramfs_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu/ramfs ${case})
  set_tests_properties(qemu_ramfs_${case} PROPERTIES LABELS qemu TIMEOUT 180)
endforeach()
# 1,000 pushes over the emulated UART: about a minute on an idle host, several on a busy one.
set_tests_properties(qemu_ramfs_refused_loads PROPERTIES TIMEOUT 600)
