# Every relative link in README.md and docs/ resolves inside the repository: a clone has nothing
# beside it (tests/host/doclinks_test.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME doc_links COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/host/doclinks_test.py
                                --source ${CMAKE_SOURCE_DIR})
set_tests_properties(doc_links PROPERTIES LABELS unit TIMEOUT 30)
