# host tests: mem (bitmap, frame and virtual-range allocators) and the printf engine
set(KEEL_MEM_DIR ${CMAKE_SOURCE_DIR}/kernel/mem)
keel_host_test(bitalloc_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/bitalloc_test.c
               ${KEEL_MEM_DIR}/bitalloc.c)
keel_host_test(frames_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/frames_test.c
               ${KEEL_MEM_DIR}/frames.c ${KEEL_MEM_DIR}/vrange.c ${KEEL_MEM_DIR}/bitalloc.c)
keel_host_test(format_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/format_test.c
               ${CMAKE_SOURCE_DIR}/kernel/lib/format.c)
