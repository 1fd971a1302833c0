# The smpstress command's freestanding argument parser (cells/commands/smpstress/ssargs.c).
keel_host_test(ssargs_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/ssargs_test.c
               ${CMAKE_SOURCE_DIR}/cells/commands/smpstress/ssargs.c
               ${CMAKE_SOURCE_DIR}/kernel/lib/format.c)
target_include_directories(ssargs_test PRIVATE ${CMAKE_SOURCE_DIR}/cells)
