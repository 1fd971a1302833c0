# The live swap's timed functions that kernel/linker.ld gathers on pages of their own exist and
# fit (tests/host/swap_text_layout_test.py, reading the symbol table ksymgen wrote for the build).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME swap_text_layout
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/host/swap_text_layout_test.py
                 --linker-script ${CMAKE_SOURCE_DIR}/kernel/linker.ld
                 --ksyms ${CMAKE_BINARY_DIR}/kernel/ksyms.S)
set_tests_properties(swap_text_layout PROPERTIES LABELS unit TIMEOUT 60)
