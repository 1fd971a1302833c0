# The Slurm scripts of fault campaigns (tools/faults/slurm/) on a real single-node Slurm that the
# test brings up in a temp dir and tears down (tests/slurm/campaign_array_test.py). Needs root and
# Debian's slurm-wlm and munge (tools/keel setup); skipped, saying so, when not root.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME slurm_campaign_array
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/slurm/campaign_array_test.py)
set_tests_properties(slurm_campaign_array PROPERTIES LABELS slurm TIMEOUT 300
                                                     SKIP_RETURN_CODE 77)
