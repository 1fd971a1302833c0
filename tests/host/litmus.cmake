# The litmus command's freestanding parts (cells/commands/litmus/): the tests' x86-TSO outcome
# sets against exhaustive SC/TSO/PSO machines, the thread bodies run serially on the host,
# tallying and the verdict, the argument parser.
set(KEEL_LITMUS_DIR ${CMAKE_SOURCE_DIR}/cells/commands/litmus)
keel_host_test(litmus_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/litmus_test.c
               ${CMAKE_SOURCE_DIR}/tests/host/litmus_tso.c ${KEEL_LITMUS_DIR}/litmus_model.c
               ${KEEL_LITMUS_DIR}/litmus_args.c ${KEEL_LITMUS_DIR}/litmus_mem.c
               ${CMAKE_SOURCE_DIR}/kernel/lib/format.c)
target_include_directories(litmus_test PRIVATE ${CMAKE_SOURCE_DIR}/cells)
