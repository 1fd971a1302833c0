# The Python QEMU tests and benchmarks decide with tests/qemu/checks.py, not bare asserts (which
# python3 -O strips): an AST scan, run under -O to show the checks still fire there. Debian's
# python3, as for every host-side script.
add_test(NAME py_no_bare_assert
         COMMAND /usr/bin/python3 -O ${CMAKE_SOURCE_DIR}/tests/qemu/no_assert.py
                 --source ${CMAKE_SOURCE_DIR})
set_tests_properties(py_no_bare_assert PROPERTIES LABELS unit TIMEOUT 30)
