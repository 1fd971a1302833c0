#!/usr/bin/env python3
"""Smoke test of `tools/keel bench --vs-linux` (tools/bench/all.py --quick --vs-linux): every
benchmark ran, every figure each one promises is in all.json with a positive median, p99 and
minimum (the swap's by CPU count at 1, 2 and 4 CPUs among them), and every Keel/Linux pair has
both sides and a ratio, or says why not: no Linux counterpart, or a figure across CPUs in a run
with one (KEEL_TEST_SMP=2 runs it with two: then those pairs must have their ratio). Numbers are
never asserted.

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

sys.path.insert(0, os.path.join(HERE, "..", "qemu"))
from keelvm import default_smp  # noqa: E402

# Figures every full run has (more may come: the loader's cells, the swap steps).
PROMISED = ["boot: qemu_to_prompt", "boot: qemu_to_entry", "boot: entry_to_prompt",
            "boot: entry_to_ready", "boot: ready_to_prompt", "tasks: switch", "tasks: spawn_join",
            "tasks: rv_rtt", "tasks: async_rtt", "tasks: alloc_free", "loader: load hello@1",
            "loader: unload hello@1", "swap: idle counter stw", "swap: workload salute total",
            "swap: busy busy total",
            "faults: task_restart", "faults: cell_reload"] + [
            f"swap: idle counter {s}" for s in benchrows.SWAP_STEPS] + [
            f"swap: {benchrows.cpu_metric(n, sc, what)}" for n in (1, 2, 4)
            for sc in benchrows.BY_CPU_SCENARIOS
            for what in ("counter total", "counter stw", "world_stop")]
# With 2+ CPUs, the tasking figures across CPUs too.
PROMISED_SMP = ["tasks: spawn_join_x", "tasks: rv_rtt_x", "tasks: async_rtt_x"]


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
    smp = default_smp()
    if j.get("smp") != smp:
        fails.append(f"all.json says -smp {j.get('smp')}, not {smp}")
    rows = {benchrows.key(r): r for r in j.get("rows", [])}
    for k in PROMISED + (PROMISED_SMP if smp >= 2 else []):
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
        if smp < p["cpus"]:
            if p.get("status") != f"needs {p['cpus']} CPUs" or p.get("ratio") is not None:
                fails.append(f"pair across CPUs at -smp {smp}: {p}")
        elif p["linux"] is None:
            if p.get("status") != "no counterpart" or not p.get("keel_median_ns", 0) > 0:
                fails.append(f"pair without a counterpart, or without its Keel side: {p}")
        elif not (p.get("status") == "ok" and p.get("ratio") and p.get("keel_median_ns", 0) > 0
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
