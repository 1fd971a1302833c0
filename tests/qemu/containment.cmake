# Fault containment in core code (tasking/fault.c, docs/tasks.md): the badptr test cell hands the
# core bad pointers at the prompt of the test image; kernel self-tests check the cases that stay
# a panic (tests/qemu/containment_tests.py).
foreach(case kprintf ksnprintf copies channel out_params jump kfree guard panic_spinlock
             panic_core_mutex panic_irqoff core_task)
  add_test(NAME qemu_contain_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/containment_tests.py
                   --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu/contain
                   ${case})
  set_tests_properties(qemu_contain_${case} PROPERTIES LABELS qemu TIMEOUT 120)
endforeach()
