#!/usr/bin/env python3
"""Smoke test of `tools/keel bench --vs-linux` (tools/bench/all.py --quick --vs-linux): every
benchmark ran, every figure each one promises is in all.json with a positive median, p99 and
minimum, and every Keel/Linux pair has both sides and a ratio. Numbers are never asserted.

    all_smoke.py --build DIR --out FILE
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "tools", "bench")
sys.path.insert(0, BENCH)
import benchrows  # noqa: E402

# Figures every full run has (more may come: the loader's cells, the swap steps).
PROMISED = ["boot: qemu_to_prompt", "boot: qemu_to_entry", "boot: entry_to_prompt",
            "boot: entry_to_ready", "boot: ready_to_prompt", "tasks: switch", "tasks: spawn_join",
            "tasks: rv_rtt", "tasks: async_rtt", "tasks: alloc_free", "loader: load hello@1",
            "loader: unload hello@1", "swap: idle counter stw", "swap: workload salute total",
            "faults: task_restart", "faults: cell_reload"] + [
            f"swap: idle counter {s}" for s in benchrows.SWAP_STEPS]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if os.path.exists(args.out):
        os.remove(args.out)  # a stale file must not pass for this run's
    status = subprocess.run([sys.executable, os.path.join(BENCH, "all.py"), "--build",
                             args.build, "--quick", "--vs-linux", "--json", args.out]).returncode
    fails = []
    if status != 0:
        fails.append(f"all.py exited with status {status}")
    with open(args.out) as f:
        j = json.load(f)
    if j.get("failed"):
        fails.append(f"failed: {j['failed']}")
    rows = {benchrows.key(r): r for r in j.get("rows", [])}
    for k in PROMISED:
        if k not in rows:
            fails.append(f"no figure {k}")
    for k, r in rows.items():
        if not (r["min_ns"] > 0 and r["median_ns"] >= r["min_ns"] and r["p99_ns"] >= r["median_ns"]
                and r["runs"] >= 1):
            fails.append(f"{k}: figures out of order or not positive: {r}")
    benches = {r["bench"] for r in rows.values()}
    if benches != set(benchrows.BENCHES):
        fails.append(f"benchmarks in the table: {sorted(benches)}")
    pairs = j.get("vs_linux", [])
    if len(pairs) != len(benchrows.LINUX_PAIRS):
        fails.append(f"{len(pairs)} Keel/Linux pairs, not {len(benchrows.LINUX_PAIRS)}")
    for p in pairs:
        if not (p.get("ratio") and p.get("keel_median_ns", 0) > 0
                and p.get("linux_median_ns", 0) > 0):
            fails.append(f"pair without both sides: {p}")
    if not j.get("linux", {}).get("kernel"):
        fails.append("the Linux reference does not name its kernel")
    for f in fails:
        print(f"FAIL: {f}")
    print("FAILED" if fails else f"all {len(rows)} figures and {len(pairs)} pairs present")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
