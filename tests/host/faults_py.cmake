# The fault campaign's results store and summary, pure Python under Debian's interpreter
# (tools/faults/results.py, report.py; tests/host/faults_*_test.py with synthetic rows).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(name results report)
  add_test(NAME faults_${name}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/host/faults_${name}_test.py)
  set_tests_properties(faults_${name} PROPERTIES LABELS unit TIMEOUT 120
                       ENVIRONMENT "MPLBACKEND=Agg;PYTHONDONTWRITEBYTECODE=1")
endforeach()
