# Host tests and fuzz targets of the shell cell's freestanding pieces: the line editor, the
# word splitting, completion and the command index (cells/shell/).
set(KEEL_SHELL_DIR ${CMAKE_SOURCE_DIR}/cells/shell)

keel_host_test(shell_lineedit_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/shell_lineedit_test.c
               ${KEEL_SHELL_DIR}/lineedit.c)
target_include_directories(shell_lineedit_test PRIVATE ${CMAKE_SOURCE_DIR}/cells)
keel_host_test(shell_tokenize_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/shell_tokenize_test.c
               ${KEEL_SHELL_DIR}/tokenize.c)
target_include_directories(shell_tokenize_test PRIVATE ${CMAKE_SOURCE_DIR}/cells)
keel_host_test(shell_complete_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/shell_complete_test.c
               ${KEEL_SHELL_DIR}/complete.c ${KEEL_SHELL_DIR}/cmdindex.c)
target_include_directories(shell_complete_test PRIVATE ${CMAKE_SOURCE_DIR}/cells)

keel_fuzz_target(shell_tokenize_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/shell_tokenize_fuzz.c
                 ${KEEL_SHELL_DIR}/tokenize.c
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/shell_tokenize_fuzz)
keel_fuzz_target(shell_lineedit_fuzz SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/shell_lineedit_fuzz.c
                 ${KEEL_SHELL_DIR}/lineedit.c ${KEEL_SHELL_DIR}/complete.c
                 CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/seeds/shell_lineedit_fuzz)
foreach(fuzz shell_tokenize_fuzz shell_lineedit_fuzz)
  if(TARGET ${fuzz})
    target_include_directories(${fuzz} PRIVATE ${CMAKE_SOURCE_DIR}/cells
                                               ${CMAKE_SOURCE_DIR}/tests/host)
  endif()
endforeach()
