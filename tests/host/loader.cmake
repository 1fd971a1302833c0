# Loader host tests (ASan+UBSan) and the loader fuzzer. The tests link and execute the real
# test cells of tests/cells/, so they are linked -no-pie (their own "core exports" must lie
# within +-2 GiB of the low regions the test platform maps for cells).
set(KEEL_LOADER_TEST_COMMON
    ${KEEL_LOADER_SOURCES}
    ${CMAKE_SOURCE_DIR}/kernel/lib/format.c)
set(KEEL_LOADER_TEST_INCLUDES
    ${CMAKE_SOURCE_DIR}/loader/include ${CMAKE_SOURCE_DIR}/cells/include ${CMAKE_SOURCE_DIR}/loader)

function(keel_loader_test name)
  keel_host_test(${name} SOURCES ${CMAKE_SOURCE_DIR}/tests/host/${name}.c
                                 ${CMAKE_SOURCE_DIR}/tests/host/loader_testlib.c
                                 ${KEEL_LOADER_TEST_COMMON})
  target_include_directories(${name} PRIVATE ${KEEL_LOADER_TEST_INCLUDES})
  target_compile_definitions(${name} PRIVATE LT_CELL_DIR="${CMAKE_BINARY_DIR}/cells")
  target_compile_options(${name} PRIVATE -fno-pie)
  target_link_options(${name} PRIVATE -no-pie)
  add_dependencies(${name} ${KEEL_LOADER_TEST_CELL_TARGETS})
endfunction()

# The one sort and the relocation table on their own (no cells).
keel_host_test(loader_sort_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/loader_sort_test.c
                                        ${CMAKE_SOURCE_DIR}/loader/sort.c)
keel_host_test(loader_reloc_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/loader_reloc_test.c
                                         ${CMAKE_SOURCE_DIR}/loader/relocate.c
                                         ${CMAKE_SOURCE_DIR}/loader/error.c
                                         ${CMAKE_SOURCE_DIR}/kernel/lib/format.c)
foreach(t loader_sort_test loader_reloc_test)
  target_include_directories(${t} PRIVATE ${KEEL_LOADER_TEST_INCLUDES})
endforeach()

keel_loader_test(loader_test)
keel_loader_test(loader_malformed_test)
keel_loader_test(loader_oom_test)

keel_fuzz_target(loader_fuzz
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/loader_fuzz.c ${KEEL_LOADER_TEST_COMMON}
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/loader_fuzz)
if(TARGET loader_fuzz)
  target_include_directories(loader_fuzz PRIVATE ${KEEL_LOADER_TEST_INCLUDES})
endif()
