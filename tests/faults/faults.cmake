# The fault-campaign runner (tools/faults/campaign.py and its modules; docs/fault-campaigns.md).
# Unit tests under Debian's interpreter: the spec's refusals, the plan's determinism and shards,
# the classification on texts copied from real trials, the image hash of the campaign's identity.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(name spec plan classify identity)
  add_test(NAME faults_${name}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/faults/${name}_test.py)
  set_tests_properties(faults_${name} PROPERTIES LABELS unit TIMEOUT 60
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endforeach()
# Whole campaigns of tests/faults/known.toml in QEMU (trials whose outcomes are known by
# construction): outcomes, resume after SIGKILL, shards and merge, replay, refusals. One test a
# case (campaign_tests.py --list); each runs its own reference campaign (~12 s).
keel_qemu_cases(../faults/campaign_tests.py PREFIX qemu_campaign_ TIMEOUT 240 WORKDIR campaign)
# The Slurm job array for real: known.toml as 4 shards on a single-node Slurm brought up by the
# test, merged, against a local run (needs root, slurm-wlm and munge; skipped when not root).
add_test(NAME slurm_campaign_known
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/slurm/campaign_slurm_test.py
                 --build ${CMAKE_BINARY_DIR})
set_tests_properties(slurm_campaign_known PROPERTIES LABELS slurm TIMEOUT 300
                                                     SKIP_RETURN_CODE 77)
