#!/usr/bin/env bash
# run_fuzz.sh <fuzzer> <seed-dir> <work-dir> <seconds>
# Runs a libFuzzer target for a bounded time over a private copy of its seeds, so the tree's
# seed corpus is never modified. Any crash, leak or sanitizer report fails the test.
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
if [ -d "$seeds" ]; then cp -r "$seeds"/. "$work/corpus/"; fi
exec "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" "$work/corpus"
