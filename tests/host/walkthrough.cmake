# docs/writing-a-command.md is tested: its file blocks match the tree and its transcript is the
# one the QEMU case qemu_cmd2_greet replays (tests/host/walkthrough_test.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME walkthrough
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/host/walkthrough_test.py
                 --source ${CMAKE_SOURCE_DIR})
set_tests_properties(walkthrough PROPERTIES LABELS unit TIMEOUT 30)
