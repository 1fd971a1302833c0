# Host tests of the tasking layer's freestanding pieces (the rest runs in the guest).
keel_host_test(backoff_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/backoff_test.c
               ${CMAKE_SOURCE_DIR}/tasking/backoff.c)
target_include_directories(backoff_test PRIVATE ${CMAKE_SOURCE_DIR})
keel_host_test(runqueue_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/runqueue_test.c
               ${CMAKE_SOURCE_DIR}/tasking/runqueue.c)
target_include_directories(runqueue_test PRIVATE ${CMAKE_SOURCE_DIR})
