# Live swap (docs/live-swap.md): the swap command on the demo cells and on the shell, typed at the
# prompt of the test image (tests/qemu/swap_tests.py), and the swap benchmark's smoke run.
#
# The soak case swaps KEEL_SOAK_SWAPS times (default 300, a few seconds). A long soak:
#   cmake -DKEEL_SOAK_SWAPS=20000 -B build && ctest --test-dir build -R qemu_swap_soak
# (KEEL_SOAK_SWAPS in the environment at the first configure also sets it; its CTest timeout
# scales with the count), or run the script directly:
#   KEEL_SOAK_SWAPS=20000 tests/qemu/swap_tests.py --build build soak
if(DEFINED ENV{KEEL_SOAK_SWAPS})
  set(keel_soak_default $ENV{KEEL_SOAK_SWAPS})
else()
  set(keel_soak_default 300)
endif()
set(KEEL_SOAK_SWAPS ${keel_soak_default} CACHE STRING "Swaps done by the qemu_swap_soak test")
if(NOT KEEL_SOAK_SWAPS MATCHES "^[1-9][0-9]*$")
  message(FATAL_ERROR "KEEL_SOAK_SWAPS must be a positive number, not '${KEEL_SOAK_SWAPS}'")
endif()

keel_qemu_cases(swap_tests.py PREFIX qemu_swap_ TIMEOUT 120)
# Boot and setup take ~10 s; a swap well under 1 ms (allow 20 ms each under a slow TCG).
math(EXPR keel_soak_timeout "180 + ${KEEL_SOAK_SWAPS} / 50")
set_tests_properties(qemu_swap_soak PROPERTIES TIMEOUT ${keel_soak_timeout}
                     ENVIRONMENT "KEEL_SOAK_SWAPS=${KEEL_SOAK_SWAPS}")

# Benchmark smoke run: the swap benchmark must produce its JSON (numbers are not asserted), and
# every swap it makes must succeed without a leak; it also boots 2 and 4 CPUs for its figures by
# CPU count (the stop round trip and counter swaps, idle and under the workload). The exit
# status decides (it exits non-zero and prints "swap benchmark: FAILED" if not); the
# FAIL_REGULAR_EXPRESSION is only an extra.
add_test(NAME bench_swap_smoke
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/bench/swap.py
                 --build ${CMAKE_BINARY_DIR} --rounds 10
                 --json ${CMAKE_BINARY_DIR}/tests/bench/swap.json)
set_tests_properties(bench_swap_smoke PROPERTIES LABELS "bench;qemu" TIMEOUT 360
                     FAIL_REGULAR_EXPRESSION "swap benchmark: FAILED")
