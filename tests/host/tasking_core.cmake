# Host tests of the tasking layer's freestanding pieces (the rest runs in the guest).
# The code comes from keel_tasking_host (tasking/CMakeLists.txt); the tests name the private
# headers under test by path ("tasking/backoff.h"), hence the source root on their path.
keel_host_test(backoff_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/backoff_test.c
               LIBS keel_tasking_host)
target_include_directories(backoff_test PRIVATE ${CMAKE_SOURCE_DIR})
keel_host_test(runqueue_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/runqueue_test.c
               LIBS keel_tasking_host)
target_include_directories(runqueue_test PRIVATE ${CMAKE_SOURCE_DIR})
keel_host_test(hang_calc_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/hang_calc_test.c
               LIBS keel_tasking_host)
target_include_directories(hang_calc_test PRIVATE ${CMAKE_SOURCE_DIR})
# The recovery ladder's bookkeeping (kernel/recovery/ladder.c): rungs, quiet period, forgetting.
keel_host_test(ladder_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/ladder_test.c
               ${CMAKE_SOURCE_DIR}/kernel/recovery/ladder.c)
