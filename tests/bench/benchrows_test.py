#!/usr/bin/env python3
"""Unit tests of tools/bench/benchrows.py: every benchmark's JSON becomes rows with median, p99,
min and runs (a missing figure is refused, not dropped); --compare marks only changes beyond
the noise both runs show; the Linux pairing gives Keel/Linux for each operation and None when a
side is missing; all.json files that are not one are refused."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tools", "bench"))
import benchrows as br  # noqa: E402

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print(f"FAIL: {what}")


def refused(fn, *args):
    try:
        fn(*args)
    except br.Missing:
        return True
    return False


def test_boot():
    j = {"runs": [{"host_to_prompt_ms": v, "guest_ready_us": 40} for v in (600, 500, 700)]}
    rows = {r["metric"]: r for r in br.extract("boot", j)}
    p = rows["qemu_to_prompt"]
    check((p["median_ns"], p["min_ns"], p["p99_ns"], p["runs"]) == (600e6, 500e6, 700e6, 3),
          f"boot prompt row {p}")
    check(rows["kernel_alone_entry_to_ready"]["median_ns"] == 40000,
          "guest_ready_us is read in us")
    check(refused(br.extract, "boot", {"runs": [{"guest_ready_us": 1}]}),
          "a boot run without the prompt figure is refused")


def test_loader_tasks_faults():
    j = {"rounds": 50, "cells": [{"cell": "bench_small@1.o", "relocations": 9,
                                  "load_ns_median": 100, "load_ns_p99": 300,
                                  "load_ns_min": 90, "unload_ns_median": 50,
                                  "unload_ns_p99": 70, "unload_ns_min": 40}]}
    rows = {r["metric"]: r for r in br.extract("loader", j)}
    check(rows["load bench_small@1"]["p99_ns"] == 300 and rows["load bench_small@1"]["runs"] == 50,
          f"loader rows {rows}")
    del j["cells"][0]["unload_ns_p99"]
    check(refused(br.extract, "loader", j), "a loader cell without unload p99 is refused")
    t = {"metrics": [{"metric": "switch", "what": "w", "rounds": 10, "median_ns": 5,
                      "p99_ns": 9, "min_ns": 4}]}
    check(br.extract("tasks", t)[0]["median_ns"] == 5, "tasks row")
    t["metrics"].append({"metric": "rv_rtt", "rounds": 10, "error": "KE_NOMEM"})
    check(refused(br.extract, "tasks", t), "a metric that failed in the guest is refused")
    check(refused(br.extract, "faults", {"metrics": [{"metric": "task_restart", "rounds": 3,
                                                      "median_ns": 5, "min_ns": 4}]}),
          "a metric without p99 is refused")


def test_swap():
    part = {"n": 20, "min_ns": 1, "median_ns": 2, "p99_ns": 3, "max_ns": 4}
    full = {p: part for p in ("total", "stw") + br.SWAP_STEPS}
    j = {"scenarios": [{"scenario": "idle", "cell": "counter", "series": full},
                       {"scenario": "workload", "cell": "salute",
                        "series": {"total": part, "stw": part}}]}
    rows = br.extract("swap", j)
    check(len(rows) == 9 + 2, f"idle counter has the breakdown, others total+stw: {len(rows)}")
    del full["link"]
    check(refused(br.extract, "swap", j), "a missing swap step is refused")


def r(metric, median, mn, bench="tasks"):
    return br.row(bench, metric, metric, median, median, mn, 10)


def test_compare():
    old = [r("a", 100, 90), r("b", 100, 90), r("c", 100, 50), r("gone", 1, 1)]
    new = [r("a", 105, 95), r("b", 130, 120), r("c", 140, 70), r("fresh", 1, 1)]
    v = {c["figure"]: c["verdict"] for c in br.compare(old, new)}
    check(v["tasks: a"] == "same", "5% with 10% noise is the same")
    check(v["tasks: b"] == "slower", "30% with ~10% noise is slower")
    check(v["tasks: c"] == "same", "40% with 50% noise is the same")
    check(v["tasks: gone"] == "gone" and v["tasks: fresh"] == "new", "gone/new figures")
    v = {c["figure"]: c["verdict"] for c in br.compare([r("a", 100, 100)], [r("a", 96, 96)])}
    check(v["tasks: a"] == "faster", "no noise: a 4% change is beyond the 3% floor")
    v = {c["figure"]: c["verdict"] for c in br.compare([r("a", 100, 100)], [r("a", 98, 98)])}
    check(v["tasks: a"] == "same", "a 2% change is within the floor")
    text = br.compare_table(br.compare(old, new), {"date": "d", "commit": "x"}, {})
    check("SLOWER" in text and "1 of 5 figures changed" in text, f"compare table:\n{text}")


def test_linux():
    rows = [r("switch", 2000, 1000), r("rv_rtt", 4000, 3000)]
    ref = {"kernel": "6.1", "metrics": {"yield_pingpong": {"median": 4, "p99": 5, "min": 3,
                                                           "runs": 9, "unit": "us"}}}
    pairs = {p["linux"]: p for p in br.pair_with_linux(rows, ref)}
    check(pairs["yield_pingpong"]["ratio"] == 0.5, f"ratio {pairs['yield_pingpong']}")
    check(pairs["pipe_roundtrip"]["ratio"] is None, "no Linux figure: no ratio")
    check(pairs["boot_to_prompt"]["ratio"] is None, "no Keel figure: no ratio")
    text = br.linux_table(list(pairs.values()), ref)
    check("2x faster" in text and "missing" in text, f"linux table:\n{text}")
    check(refused(br.linux_ns, {"median": 1, "unit": "furlongs"}), "an unknown unit is refused")


def test_load_all():
    with tempfile.TemporaryDirectory() as d:
        good, bad = os.path.join(d, "good.json"), os.path.join(d, "bad.json")
        with open(good, "w") as f:
            json.dump({"benchmark": "all", "rows": [r("a", 1, 1)]}, f)
        with open(bad, "w") as f:
            json.dump({"benchmark": "tasks", "metrics": []}, f)
        check(br.load_all(good)["rows"][0]["metric"] == "a", "an all.json is read")
        check(refused(br.load_all, bad), "another benchmark's JSON is refused")


if __name__ == "__main__":
    for name, fn in sorted(globals().items()):
        if name.startswith("test_"):
            fn()
    print("FAILED" if FAILS else "all benchrows tests passed")
    sys.exit(1 if FAILS else 0)
