#!/usr/bin/env python3
"""Loader benchmark: load+link and unload time per cell inside the guest (TSC clock), and
relocations per second, for bench_small (a hello-world-sized cell), bench_large (2048+
relocations) and the hello demo cell. Boots Keel with bench=loader; prints a table and writes
JSON (default: <build>/bench/loader.json). Exits non-zero, printing "loader benchmark: FAILED",
unless all three cells were measured; the targets are goals, not assertions.

Linux beside Keel: tools/keel bench --vs-linux. Keel's targets for a comparable cell: <= 0.25 ms
load, <= 0.1 ms unload.

    loader.py --build build [--rounds 100] [--json out.json]
"""
import argparse
import os
import sys

from benchlib import bench_main, guest_bench_json, require, write_result

# The cells the guest measures (kernel/link/cells_bench.c): each one must be in the result.
CELLS = ("bench_small@1.o", "bench_large@1.o", "hello@1.o")


def main():
    ap = argparse.ArgumentParser(description="Keel loader benchmark")
    ap.add_argument("--build", required=True, help="the build directory")
    ap.add_argument("--rounds", type=int, default=100, help="load/unload rounds per cell (1..256)")
    ap.add_argument("--json", help="output file (default: <build>/bench/loader.json)")
    args = ap.parse_args()
    if not 1 <= args.rounds <= 256:
        ap.error("--rounds must be 1..256")
    out = args.json or os.path.join(args.build, "bench", "loader.json")
    workdir = os.path.join(os.path.dirname(os.path.abspath(out)), "loader-work")
    result = guest_bench_json(args.build, f"bench=loader bench.rounds={args.rounds}", workdir)
    require("cells", CELLS, [c.get("cell") for c in result.get("cells", [])])
    print(f"loader benchmark, {result['rounds']} rounds per cell (guest TSC clock)")
    print(f"  {'cell':18} {'relocs':>7} {'load med':>10} {'load min':>10} {'unload med':>11}"
          f" {'relocs/s':>12}")
    for c in result["cells"]:
        print(f"  {c['cell']:18} {c['relocations']:7d} {c['load_ns_median'] / 1000:8.1f}us"
              f" {c['load_ns_min'] / 1000:8.1f}us {c['unload_ns_median'] / 1000:9.1f}us"
              f" {c['relocations_per_s']:12d}")
    print("  targets 250 us / 100 us; Linux beside Keel: tools/keel bench --vs-linux")
    write_result(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(bench_main("loader", main))
