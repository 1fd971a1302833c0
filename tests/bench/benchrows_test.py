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


def by_cpus(n, stw_median=30000, target=None):
    part = {"n": 20, "min_ns": 10, "median_ns": 20, "p99_ns": 30, "max_ns": 40}
    e = {"cpus": n, "scenarios": [
        {"scenario": sc, "cell": "counter",
         "series": {"total": part, "stw": dict(part, median_ns=stw_median, p99_ns=stw_median)}}
        for sc in br.BY_CPU_SCENARIOS],
        "world_stop": {sc: dict(part, timeouts=0) for sc in br.BY_CPU_SCENARIOS}}
    if target:
        e["stw_target_ns"] = target
    return e


def test_swap():
    part = {"n": 20, "min_ns": 1, "median_ns": 2, "p99_ns": 3, "max_ns": 4}
    full = {p: part for p in ("total", "stw") + br.SWAP_STEPS}
    j = {"scenarios": [{"scenario": "idle", "cell": "counter", "series": full},
                       {"scenario": "workload", "cell": "salute",
                        "series": {"total": part, "stw": part}}],
         "by_cpus": [by_cpus(1), by_cpus(4, 30000, 20000)]}
    rows = br.extract("swap", j)
    check(len(rows) == 9 + 2 + 2 * 6,
          f"idle counter has the breakdown, others total+stw, 6 per CPU count: {len(rows)}")
    rows = {r["metric"]: r for r in rows}
    for n in (1, 4):
        for sc in br.BY_CPU_SCENARIOS:
            for what in ("counter total", "counter stw", "world_stop"):
                check(br.cpu_metric(n, sc, what) in rows, f"no row {br.cpu_metric(n, sc, what)}")
    check(rows["4cpu idle counter stw"].get("target_ns") == 20000
          and "target_ns" not in rows["1cpu idle counter stw"]
          and "target_ns" not in rows["4cpu idle world_stop"],
          "only the stop-the-world rows of the CPU count with a target carry it")
    text = br.table(list(rows.values()))
    check("target <= 20.0 us: NOT met" in text, f"the target beside its row:\n{text}")
    j["by_cpus"][1]["scenarios"][1]["series"]["stw"]["median_ns"] = 15000
    text = br.table(br.extract("swap", j))
    check("4cpu workload counter stw" in text and "target <= 20.0 us: met" in text,
          f"a met target:\n{text}")
    del j["by_cpus"][0]["world_stop"]["workload"]
    check(refused(br.extract, "swap", j), "a CPU count without its world_stop is refused")
    del j["by_cpus"]
    check(refused(br.extract, "swap", j), "no figures by CPU count are refused")
    j["by_cpus"] = [by_cpus(2)]
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


def lx(median):
    return {"median": median, "p99": median, "min": median, "runs": 9, "unit": "us"}


def test_linux():
    rows = [r("switch", 2000, 1000), r("rv_rtt", 4000, 3000), r("idle counter stw", 9000, 8000,
                                                                 "swap"),
            r("1cpu idle world_stop", 500, 400, "swap"), r("2cpu idle world_stop", 3000, 2000,
                                                            "swap")]
    ref = {"kernel": "6.1", "smp": 1, "metrics": {"yield_pingpong": lx(4), "stop_machine": lx(10)}}
    pairs = {p["what"]: p for p in br.pair_with_linux(rows, ref)}
    by_linux = {p["linux"]: p for p in pairs.values()}
    check(by_linux["yield_pingpong"]["ratio"] == 0.5, f"ratio {by_linux['yield_pingpong']}")
    check(by_linux["pipe_roundtrip"]["ratio"] is None
          and by_linux["pipe_roundtrip"]["status"] == "missing", "no Linux figure: missing")
    check(by_linux["boot_to_prompt"]["status"] == "missing", "no Keel figure: missing")
    check(by_linux["stop_machine"]["keel"] == "swap: 1cpu idle world_stop"
          and by_linux["stop_machine"]["ratio"] == 0.05,
          f"world_stop at the run's CPUs beside stop_machine: {by_linux['stop_machine']}")
    check(by_linux["spawn_join_x"]["status"] == "needs 2 CPUs"
          and by_linux["pipe_roundtrip_x"]["status"] == "needs 2 CPUs",
          "*_x pairs need 2 CPUs with one")
    check(by_linux[None]["status"] == "no counterpart"
          and by_linux[None]["keel_median_ns"] == 9000, "the stw window has no counterpart")
    text = br.linux_table(list(pairs.values()), ref)
    check("2x faster" in text and "missing" in text and "needs 2 CPUs: --smp 2" in text
          and "no Linux counterpart" in text and "-smp 1" in text, f"linux table:\n{text}")
    # With 2 CPUs: the *_x figures of both sides pair up, world_stop is the 2-CPU one.
    rows += [r("spawn_join_x", 30000, 20000), r("rv_rtt_x", 8000, 7000)]
    ref = {"kernel": "6.1", "smp": 2, "metrics": {"spawn_join_x": lx(60), "stop_machine": lx(30)}}
    by_linux = {p["linux"]: p for p in br.pair_with_linux(rows, ref)}
    check(by_linux["spawn_join_x"]["ratio"] == 0.5 and by_linux["spawn_join_x"]["status"] == "ok",
          f"spawn_join_x pair {by_linux['spawn_join_x']}")
    check(by_linux["pipe_roundtrip_x"]["status"] == "missing", "a *_x side missing at 2 CPUs")
    check(by_linux["stop_machine"]["keel"] == "swap: 2cpu idle world_stop"
          and by_linux["stop_machine"]["ratio"] == 0.1, f"2 CPUs: {by_linux['stop_machine']}")
    check(br.pair_with_linux(rows, ref, 1)[8]["status"] == "needs 2 CPUs",
          "the run's CPUs given explicitly win over the reference's")
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
