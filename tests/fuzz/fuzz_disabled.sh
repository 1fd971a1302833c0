#!/bin/sh
# Stands in for a fuzz target when the build has KEEL_FUZZ=OFF: CTest reports the test as
# skipped (exit 77, its SKIP_RETURN_CODE) instead of it vanishing from `ctest -L fuzz`.
echo "$1: fuzzing disabled: configure with -DKEEL_FUZZ=ON"
exit 77
