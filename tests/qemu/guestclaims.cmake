# Claims of the docs checked in the guest: the control channel's replay protection across
# connections, boots and a swap of ctl (ctlsession_tests.py); allocation failures injected with
# failslab into a push and a swap over the control channel (failslab_tests.py).
foreach(case replay_new_connection boot_nonce swap_ctl)
  add_test(NAME qemu_ctlsession_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/ctlsession_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu/ctlsession ${case})
  set_tests_properties(qemu_ctlsession_${case} PROPERTIES LABELS qemu TIMEOUT 180)
endforeach()
foreach(case command push swap)
  add_test(NAME qemu_failslab_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/failslab_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu/failslab ${case})
  set_tests_properties(qemu_failslab_${case} PROPERTIES LABELS qemu TIMEOUT 300)
endforeach()
