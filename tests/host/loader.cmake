# Loader host tests (ASan+UBSan) and the loader fuzzer. The tests link and execute the real
# test cells of tests/cells/, so they are linked -no-pie (their own "core exports" must lie
# within +-2 GiB of the low regions the test platform maps for cells). The loader itself comes
# from keel_loader_host (loader/CMakeLists.txt), compiled once for all of them; each test adds
# the loader's printf (kernel/lib/format.c) and, through loader_testlib.c, its platform.
# loader/ is on the tests' include path: they also check the loader's private pieces (elf64.h,
# internal.h).
set(KEEL_LOADER_TEST_INCLUDES ${CMAKE_SOURCE_DIR}/loader)

function(keel_loader_test name)
  keel_host_test(${name} SOURCES ${CMAKE_SOURCE_DIR}/tests/host/${name}.c
                                 ${CMAKE_SOURCE_DIR}/tests/host/loader_testlib.c
                                 ${CMAKE_SOURCE_DIR}/kernel/lib/format.c
                 LIBS keel_loader_host)
  target_include_directories(${name} PRIVATE ${KEEL_LOADER_TEST_INCLUDES})
  target_compile_definitions(${name} PRIVATE LT_CELL_DIR="${CMAKE_BINARY_DIR}/cells")
  target_compile_options(${name} PRIVATE -fno-pie)
  target_link_options(${name} PRIVATE -no-pie)
  add_dependencies(${name} ${KEEL_LOADER_TEST_CELL_TARGETS})
endfunction()

# The one sort and the relocation table on their own (no cells): from the static library the
# linker takes only the loader objects they use (sort.o; relocate.o and error.o).
keel_host_test(loader_sort_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/loader_sort_test.c
               LIBS keel_loader_host)
keel_host_test(loader_reloc_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/loader_reloc_test.c
                                         ${CMAKE_SOURCE_DIR}/kernel/lib/format.c
               LIBS keel_loader_host)
foreach(t loader_sort_test loader_reloc_test)
  target_include_directories(${t} PRIVATE ${KEEL_LOADER_TEST_INCLUDES})
endforeach()

keel_loader_test(loader_test)
keel_loader_test(loader_malformed_test)
keel_loader_test(loader_oom_test)

keel_fuzz_target(loader_fuzz
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/loader_fuzz.c ${CMAKE_SOURCE_DIR}/kernel/lib/format.c
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/loader_fuzz)
if(TARGET loader_fuzz)
  target_include_directories(loader_fuzz PRIVATE ${KEEL_LOADER_TEST_INCLUDES})
  target_link_libraries(loader_fuzz PRIVATE keel_loader_fuzz)
endif()
