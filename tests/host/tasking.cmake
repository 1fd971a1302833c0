# host tests: the tasking layer's freestanding pieces (tasking/chan_ring.c), ASan+UBSan.
keel_host_test(chan_ring_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/chan_ring_test.c
               ${CMAKE_SOURCE_DIR}/tasking/chan_ring.c)
target_include_directories(chan_ring_test PRIVATE ${CMAKE_SOURCE_DIR}/tasking/include
                                                  ${CMAKE_SOURCE_DIR}/tasking)
