#!/usr/bin/env python3
"""Recovery latency benchmark: the time from a fault being taken to the faulted task running
again, for the recovery ladder's first two rungs — a task restart, and a reload of the faulting
cell from its pristine object (docs/fault-injection.md, "The recovery ladder"). Measured inside
the guest on its clock (the TSC) by the faultbench cell's task, over fbvictim's restartable task;
fault reports are kept off the serial console during the trials. Boots Keel to its shell and
runs `run faultbench bench`; prints medians, p99 and minima next to the targets and writes
JSON (default: <build>/bench/faults.json). Exits non-zero, printing "faults benchmark: FAILED",
unless both metrics were measured; the targets are goals, not assertions.

The round counts are fixed in cells/faultbench/faultbench.c: 200 restarts, 50 reloads.

    faults.py --build build [--json out.json]
"""
import argparse
import json
import os
import re
import sys

from benchlib import BenchFailed, bench_main, require, write_result
from keelvm import KeelShell  # noqa: E402 (benchlib puts tests/qemu on the path)

TARGET_NS = {"task_restart": 50000, "cell_reload": 300000}


def us(ns):
    return f"{ns / 1000:.1f}us"


def main():
    ap = argparse.ArgumentParser(description="Keel recovery latency benchmark")
    ap.add_argument("--build", required=True, help="the build directory")
    ap.add_argument("--json", help="output file (default: <build>/bench/faults.json)")
    args = ap.parse_args()
    out = args.json or os.path.join(args.build, "bench", "faults.json")
    workdir = os.path.join(os.path.dirname(os.path.abspath(out)), "faults-work")
    os.makedirs(workdir, exist_ok=True)
    with KeelShell(args.build, workdir=workdir) as sh:
        sh.run("load fbvictim")
        text = sh.run("run faultbench bench", timeout=600)
    m = re.search(r"^BENCH_JSON (\{.*\})$", text, re.M)
    if not m:
        raise BenchFailed(f"no BENCH_JSON line from the guest:\n{text}")
    try:
        result = json.loads(m.group(1))
    except ValueError as e:
        raise BenchFailed(f"the guest's BENCH_JSON line is not valid JSON ({e}): {m.group(1)}")
    result["target_ns"] = TARGET_NS
    print("recovery latency benchmark (guest TSC clock; QEMU TCG): fault taken -> task running")
    print(f"  {'metric':13} {'rounds':>6} {'median':>10} {'p99':>10} {'min':>10} {'target':>10}")
    for mt in result.get("metrics", []):
        name = mt["metric"]
        if "error" in mt:
            print(f"  {name:13} {mt['rounds']:6d} failed: {mt['error']}")
            continue
        print(f"  {name:13} {mt['rounds']:6d} {us(mt['median_ns']):>10} {us(mt['p99_ns']):>10}"
              f" {us(mt['min_ns']):>10} {'<=' + us(TARGET_NS[name]):>10}")
    print("  (task_restart: one fault, the first rung; cell_reload: a second fault within the"
          " quiet period, the second rung reloads fbvictim from its object first)")
    require("metrics", TARGET_NS,
            [mt["metric"] for mt in result.get("metrics", []) if "error" not in mt])
    write_result(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(bench_main("faults", main))
