# Every #include keeps to the include layers of tests/layers.txt: cells never see the core's
# keel/core/ headers, a component's private headers stay its own (tests/host/layers_test.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME include_layers
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/host/layers_test.py
                 --source ${CMAKE_SOURCE_DIR})
set_tests_properties(include_layers PROPERTIES LABELS unit TIMEOUT 60)
