# Retired versions (docs/live-swap.md, "Retire, then free"): every kind of reference into a
# swapped cell keeps its old version, which is freed once they are gone (tests/qemu/
# reclaim_tests.py). The soak swaps KEEL_RECLAIM_SOAK_SWAPS times per cell and round (default
# 2000; 4 rounds).
set(KEEL_RECLAIM_SOAK_SWAPS 2000 CACHE STRING "Swaps per round of the qemu_reclaim_soak test")
if(NOT KEEL_RECLAIM_SOAK_SWAPS MATCHES "^[1-9][0-9]+$")
  message(FATAL_ERROR "KEEL_RECLAIM_SOAK_SWAPS must be a number >= 10")
endif()
keel_qemu_cases(reclaim_tests.py PREFIX qemu_reclaim_ TIMEOUT 180 WORKDIR reclaim)
math(EXPR keel_reclaim_soak_timeout "180 + ${KEEL_RECLAIM_SOAK_SWAPS} / 10")
set_tests_properties(qemu_reclaim_soak PROPERTIES TIMEOUT ${keel_reclaim_soak_timeout}
                     ENVIRONMENT "KEEL_RECLAIM_SOAK_SWAPS=${KEEL_RECLAIM_SOAK_SWAPS}")
