# Host tests of small core pieces: atomics, error codes, the ACPI _S5_ extractor, the MADT parser.
find_package(Threads REQUIRED)
keel_host_test(atomic_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/atomic_test.c
               LIBS Threads::Threads)
keel_host_test(errno_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/errno_test.c
               ${CMAKE_SOURCE_DIR}/kernel/lib/errno.c)
keel_host_test(acpi_s5_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/acpi_s5_test.c
               ${CMAKE_SOURCE_DIR}/kernel/arch/acpi_s5.c)
keel_fuzz_target(acpi_s5_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/acpi_s5_fuzz.c
                 ${CMAKE_SOURCE_DIR}/kernel/arch/acpi_s5.c
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/acpi_s5_fuzz)
keel_host_test(madt_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/madt_test.c
               ${CMAKE_SOURCE_DIR}/kernel/arch/madt.c ${CMAKE_SOURCE_DIR}/kernel/lib/format.c)
keel_fuzz_target(madt_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/madt_fuzz.c
                 ${CMAKE_SOURCE_DIR}/kernel/arch/madt.c ${CMAKE_SOURCE_DIR}/kernel/lib/format.c
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/madt_fuzz)
keel_host_test(manifest_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/manifest_test.c
               ${CMAKE_SOURCE_DIR}/kernel/link/manifest.c)
keel_fuzz_target(manifest_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/manifest_fuzz.c
                 ${CMAKE_SOURCE_DIR}/kernel/link/manifest.c
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/manifest_fuzz)
keel_host_test(argv_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/argv_test.c)
target_include_directories(argv_test PRIVATE ${CMAKE_SOURCE_DIR}/cells/include)
keel_fuzz_target(argv_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/argv_fuzz.c
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/argv_fuzz)
if(TARGET argv_fuzz)
  target_include_directories(argv_fuzz PRIVATE ${CMAKE_SOURCE_DIR}/cells/include)
endif()
