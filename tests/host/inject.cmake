# The fault injector's instruction decoder (inject/insn_decode.c, keel_inject_host / _fuzz):
#   insn_decode_test  hand-written encodings (tests/host/insn_decode_test.c)
#   insn_cells_test   every cell of the build and the kernel walked by the decoder and by
#                     llvm-objdump: the same instruction boundaries, the same conditional jumps
#                     (tests/host/insn_cells_test.py, with the libelf helper insn_walk.c)
#   insn_fuzz         libFuzzer (tests/fuzz/insn_fuzz.c)
#   inject_pick_test  the seeded choices of a fault (tests/host/inject_pick_test.c)
keel_host_test(insn_decode_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/insn_decode_test.c
               LIBS keel_inject_host)

# insn_walk reads ELF (libelf, like every host-side ELF reader) and prints the decoder's walk of
# the executable sections; built with ASan+UBSan so the decoder runs checked over real code.
add_executable(insn_walk ${CMAKE_SOURCE_DIR}/tests/host/insn_walk.c
                         ${CMAKE_SOURCE_DIR}/kernel/lib/errno.c)
target_include_directories(insn_walk PRIVATE ${KEEL_LIBELF_INCLUDE})
target_compile_options(insn_walk PRIVATE -g -O1 -std=gnu11 ${KEEL_HOST_WARNINGS} ${KEEL_SANITIZE})
target_link_options(insn_walk PRIVATE ${KEEL_SANITIZE})
target_link_libraries(insn_walk PRIVATE keel_inject_host ${KEEL_LIBELF})
# The objects it walks: building the helper builds the image (its cells) and the kernel first.
add_dependencies(insn_walk image kernel)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
find_program(KEEL_OBJDUMP NAMES llvm-objdump llvm-objdump-14 REQUIRED)
add_test(NAME insn_cells_test
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/host/insn_cells_test.py
                 --walker $<TARGET_FILE:insn_walk> --objdump ${KEEL_OBJDUMP}
                 --image-dir ${CMAKE_BINARY_DIR}/image --kernel ${KEEL_ELF})
set_tests_properties(insn_cells_test PROPERTIES LABELS unit TIMEOUT 300)

keel_fuzz_target(insn_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/insn_fuzz.c
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/insn_fuzz)
if(TARGET insn_fuzz)
  target_link_libraries(insn_fuzz PRIVATE keel_inject_fuzz)
endif()

# The injector's seeded choices (inject/inject_pick.c): PRNG, bit flip, word, NOP-out, branch.
keel_host_test(inject_pick_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/inject_pick_test.c
               LIBS keel_inject_host)

# The inject spec language (cells/commands/inject/injargs.h), shared by the shell's inject and
# the control channel's INJECT: host test and fuzz target.
set(KEEL_INJARGS_SOURCES ${CMAKE_SOURCE_DIR}/kernel/lib/format.c)
set(KEEL_INJARGS_INCLUDES ${CMAKE_SOURCE_DIR}/cells ${CMAKE_SOURCE_DIR}/tasking/include)
keel_host_test(injargs_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/injargs_test.c
               ${KEEL_INJARGS_SOURCES} LIBS keel_inject_host keel_loader_api)
target_include_directories(injargs_test PRIVATE ${KEEL_INJARGS_INCLUDES})
keel_fuzz_target(injargs_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/injargs_fuzz.c
                 ${KEEL_INJARGS_SOURCES} CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/injargs)
if(TARGET injargs_fuzz)
  target_include_directories(injargs_fuzz PRIVATE ${KEEL_INJARGS_INCLUDES})
  target_link_libraries(injargs_fuzz PRIVATE keel_inject_fuzz keel_loader_api)
endif()
# The IPC fault's choices (inject/ipc_pick.c): kind words, the nth-call counter, the seeded bit.
keel_host_test(ipc_pick_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/ipc_pick_test.c
               LIBS keel_inject_host)
