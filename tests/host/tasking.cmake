# host tests: the tasking layer's freestanding pieces (tasking/chan_ring.c, fault_ring.c), ASan+UBSan.
# The code comes from keel_tasking_host (tasking/CMakeLists.txt); tasking/ is on the path for
# the private header under test (chan_ring.h).
keel_host_test(chan_ring_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/chan_ring_test.c
               LIBS keel_tasking_host)
target_include_directories(chan_ring_test PRIVATE ${CMAKE_SOURCE_DIR}/tasking)
# The fault log's ring (tasking/fault_ring.c).
keel_host_test(fault_ring_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/fault_ring_test.c
               LIBS keel_tasking_host)
target_include_directories(fault_ring_test PRIVATE ${CMAKE_SOURCE_DIR}/tasking)
