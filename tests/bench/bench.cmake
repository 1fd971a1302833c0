# The all-benchmarks table (tools/bench/all.py, benchrows.py; docs/benchmarking.md).
# Unit test: rows, refusals of missing figures, --compare's noise rule, the Linux pairing.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME bench_rows
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/bench/benchrows_test.py)
set_tests_properties(bench_rows PROPERTIES LABELS unit TIMEOUT 60
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# tools/keel bench --vs-linux, quick: every figure of every benchmark and every Keel/Linux pair
# present (numbers never asserted).
add_test(NAME bench_all_vs_linux_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/bench/all_smoke.py
                 --build ${CMAKE_BINARY_DIR} --out ${CMAKE_BINARY_DIR}/tests/bench/all.json)
set_tests_properties(bench_all_vs_linux_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 900
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
