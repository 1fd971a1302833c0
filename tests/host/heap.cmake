# host tests: heap (the owner-tracked heap, kernel/mem/heap*.c, built natively with ASan+UBSan)
set(KEEL_HEAP_SOURCES ${CMAKE_SOURCE_DIR}/kernel/mem/heap.c
                      ${CMAKE_SOURCE_DIR}/kernel/mem/heap_failslab.c)
keel_host_test(heap_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/heap_test.c ${KEEL_HEAP_SOURCES})
keel_host_test(heap_stress_test
               SOURCES ${CMAKE_SOURCE_DIR}/tests/host/heap_stress_test.c ${KEEL_HEAP_SOURCES})
keel_host_test(failslab_filter_test
               SOURCES ${CMAKE_SOURCE_DIR}/tests/host/failslab_filter_test.c ${KEEL_HEAP_SOURCES})
