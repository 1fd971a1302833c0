# host tests: boot information (multiboot2), kernel command line, kernel log ring
set(KEEL_BOOT_MB2 ${CMAKE_SOURCE_DIR}/kernel/boot/mb2.c)
set(KEEL_BOOT_CMDLINE ${CMAKE_SOURCE_DIR}/kernel/boot/cmdline.c)
set(KEEL_CONSOLE_LOGRING ${CMAKE_SOURCE_DIR}/kernel/console/logring.c)

keel_host_test(mb2_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/mb2_test.c ${KEEL_BOOT_MB2})
keel_host_test(cmdline_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/cmdline_test.c
               ${KEEL_BOOT_CMDLINE})
keel_host_test(logring_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/logring_test.c
               ${KEEL_CONSOLE_LOGRING})

keel_fuzz_target(mb2_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/mb2_fuzz.c ${KEEL_BOOT_MB2}
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/mb2_fuzz)
keel_fuzz_target(cmdline_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/cmdline_fuzz.c
                 ${KEEL_BOOT_CMDLINE} CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/cmdline_fuzz)
