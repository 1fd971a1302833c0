# The swap command's freestanding argument parser (cells/commands/swap/swapargs.c): host test
# and fuzz target.
set(KEEL_SWAPARGS_SOURCES ${CMAKE_SOURCE_DIR}/cells/commands/swap/swapargs.c
                          ${CMAKE_SOURCE_DIR}/kernel/lib/format.c)
keel_host_test(swapargs_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/swapargs_test.c
               ${KEEL_SWAPARGS_SOURCES})
target_include_directories(swapargs_test PRIVATE ${CMAKE_SOURCE_DIR}/cells)
keel_fuzz_target(swapargs_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/swapargs_fuzz.c
                 ${KEEL_SWAPARGS_SOURCES}
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/swapargs)
if(TARGET swapargs_fuzz)
  target_include_directories(swapargs_fuzz PRIVATE ${CMAKE_SOURCE_DIR}/cells)
endif()
