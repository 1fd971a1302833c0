#!/usr/bin/env python3
"""Tasking benchmark: context switch, spawn+join of an empty task, one-word round trips over
rendezvous and asynchronous (capacity 1) channels, and the heap's fast path, measured inside the guest with the TSC by the
taskbench cell's init. Boots Keel with a manifest that loads taskbench@1.o; prints a table with
Keel's target next to each number and writes JSON (default:
<build>/bench/tasks.json). Exits non-zero, printing "tasks benchmark: FAILED", unless every
metric below was measured (the guest printed its BENCH_JSON line and no metric failed; with 2+
CPUs, the *_x figures too); the targets are goals, not assertions.

The round counts are fixed in cells/taskbench/taskbench.c (a cell sees no command line):
1000 rounds for the switch, the channels and the allocation, 200 for spawn+join, after 20
warm-up rounds.

Linux beside Keel: tools/keel bench --vs-linux.

    tasks.py --build build [--json out.json]
"""
import argparse
import os
import sys

from benchlib import bench_main, guest_bench_json, require, write_result

MANIFEST = "taskbench.manifest"

# metric -> target in ns.
TARGET_NS = {"switch": 500, "spawn_join": 20000, "rv_rtt": 5000, "async_rtt": 5000,
             "alloc_free": 1000}
# With two or more CPUs the guest adds these: the partner task on CPU 1, the benchmark on CPU 0.
ACROSS = {"spawn_join_x": "spawn_join", "rv_rtt_x": "rv_rtt", "async_rtt_x": "async_rtt"}


def us(ns):
    return f"{ns / 1000:.3f}us"


def main():
    ap = argparse.ArgumentParser(description="Keel tasking benchmark")
    ap.add_argument("--build", required=True, help="the build directory")
    ap.add_argument("--json", help="output file (default: <build>/bench/tasks.json)")
    args = ap.parse_args()
    out = args.json or os.path.join(args.build, "bench", "tasks.json")
    workdir = os.path.join(os.path.dirname(os.path.abspath(out)), "tasks-work")
    os.makedirs(workdir, exist_ok=True)
    manifest = os.path.join(workdir, MANIFEST)
    with open(manifest, "w") as f:
        f.write("taskbench@1.o\n")
    result = guest_bench_json(args.build, f"cells={MANIFEST}", workdir,
                              [manifest + "=" + MANIFEST])
    result["targets_ns"] = TARGET_NS
    print("tasking benchmark (guest TSC clock; QEMU TCG)")
    print(f"  {'metric':12} {'rounds':>6} {'median':>12} {'p99':>12} {'min':>12} {'target':>10}")
    for mt in result.get("metrics", []):
        name = mt["metric"]
        target = TARGET_NS.get(name, TARGET_NS.get(ACROSS.get(name, ""), 0))
        if "error" in mt:
            print(f"  {name:12} {mt['rounds']:6d} failed: {mt['error']}")
            continue
        print(f"  {name:12} {mt['rounds']:6d} {us(mt['median_ns']):>12} {us(mt['p99_ns']):>12}"
              f" {us(mt['min_ns']):>12} {'<=' + us(target):>10}")
    print("  (switch: per switch; spawn_join: spawn+join of an empty task; *_rtt: one-word ping"
          " and pong;\n   alloc_free: kmalloc(64) + kfree; all on CPU 0; *_x: the partner task on"
          " CPU 1)")
    print("  Linux beside Keel: tools/keel bench --vs-linux")
    promised = list(TARGET_NS) + (list(ACROSS) if result.get("cpus", 1) >= 2 else [])
    require("metrics", promised,
            [mt["metric"] for mt in result.get("metrics", []) if "error" not in mt])
    write_result(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(bench_main("tasks", main))
