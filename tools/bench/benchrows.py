"""The rows of the all-benchmarks table (tools/bench/all.py): each benchmark's JSON turned into
uniform rows {bench, metric, what, median_ns, p99_ns, min_ns, runs}; the table; the comparison
with an earlier run; and the pairing of Keel's rows with the Linux reference measured in the
same run. Pure functions of their arguments, so the host unit test can check them."""
import json
import math

BENCHES = ("boot", "loader", "tasks", "swap", "faults")
LINUX_QUICK_RUNS = 20
NOISE_FLOOR = 0.03  # a change below 3 % is never called a change


class Missing(Exception):
    """A benchmark's JSON lacks a figure it promises."""


def row(bench, metric, what, median_ns, p99_ns, min_ns, runs, target_ns=None):
    """One figure; target_ns: a goal for its median, printed beside it (never asserted)."""
    if None in (median_ns, p99_ns, min_ns) or not runs:
        raise Missing(f"{bench} {metric}: median, p99, min or runs missing")
    r = {"bench": bench, "metric": metric, "what": what, "median_ns": int(median_ns),
         "p99_ns": int(p99_ns), "min_ns": int(min_ns), "runs": int(runs)}
    if target_ns is not None:
        r["target_ns"] = int(target_ns)
    return r


def percentile(sorted_values, p):
    """Nearest-rank percentile (p in 0..100) of a sorted list: the same definition the guest's
    benchmarks use (the value at index n*p/100), so host and guest figures read alike."""
    return sorted_values[min(len(sorted_values) - 1, len(sorted_values) * p // 100)]


def series(bench, metric, what, values_ns):
    v = sorted(values_ns)
    if not v:
        raise Missing(f"{bench} {metric}: no runs")
    return row(bench, metric, what, percentile(v, 50), percentile(v, 99), v[0], len(v))


# Host-clock figures of the boot benchmark, per run: key -> (metric, what, ns per unit).
BOOT_KEYS = (
    ("host_to_prompt_ms", "qemu_to_prompt", "QEMU start -> shell prompt (host clock)", 1e6),
    ("host_to_entry_ms", "qemu_to_entry", "QEMU start -> kernel entry: firmware + GRUB", 1e6),
    ("entry_to_prompt_ms", "entry_to_prompt", "kernel entry -> shell prompt (host clock)", 1e6),
    ("image_entry_to_ready_ms", "entry_to_ready", "kernel entry -> ready line (host clock)", 1e6),
    ("ready_to_prompt_ms", "ready_to_prompt", "ready line -> shell prompt (host clock)", 1e6),
    ("image_guest_ready_us", "guest_entry_to_ready", "kernel entry -> ready line (guest TSC)",
     1e3),
    ("guest_ready_us", "kernel_alone_entry_to_ready",
     "kernel alone (no cells): entry -> ready line (guest TSC)", 1e3),
)

def boot_rows(j):
    runs = j["runs"]
    rows = [series("boot", metric, what, [r[key] * scale for r in runs])
            for key, metric, what, scale in BOOT_KEYS if runs and all(key in r for r in runs)]
    if not any(r["metric"] == "qemu_to_prompt" for r in rows):
        raise Missing("boot: no QEMU start -> prompt figure")
    return rows


def loader_rows(j):
    rows = []
    for c in j["cells"]:
        name = c["cell"].removesuffix(".o")
        for op in ("load", "unload"):
            rows.append(row("loader", f"{op} {name}",
                            f"{'load+link' if op == 'load' else 'unload'} of {name} "
                            f"({c['relocations']} relocations)", c.get(f"{op}_ns_median"),
                            c.get(f"{op}_ns_p99"), c.get(f"{op}_ns_min"), j["rounds"]))
    return rows


def metric_rows(bench, j):
    """tasks and faults: {"metrics": [{metric, what?, rounds, median_ns, p99_ns, min_ns}]}."""
    rows = []
    for m in j["metrics"]:
        if "error" in m:
            raise Missing(f"{bench} {m['metric']}: {m['error']}")
        rows.append(row(bench, m["metric"], m.get("what", m["metric"]), m.get("median_ns"),
                        m.get("p99_ns"), m.get("min_ns"), m.get("rounds")))
    return rows


SWAP_STEPS = ("link", "check", "quiesce", "transfer", "rewrite", "commit", "retire")
BY_CPU_SCENARIOS = ("idle", "workload")


def cpu_metric(cpus, scenario, what):
    """The name of a by-CPU swap figure: "4cpu idle counter stw", "2cpu workload world_stop"."""
    return f"{cpus}cpu {scenario} {what}"


def by_cpus_rows(j):
    """Per CPU count (swap.py's by_cpus): the whole swap and stop-the-world window of counter
    1 <-> 2 swaps and the world_stop + world_resume round trip, idle and under the workload;
    the stop-the-world rows carry the CPU count's target, if it has one."""
    rows = []
    if not j.get("by_cpus"):
        raise Missing("swap: no figures by CPU count (by_cpus)")
    for e in j["by_cpus"]:
        n = e["cpus"]
        scenarios = {sc["scenario"]: sc for sc in e.get("scenarios", [])}
        for scenario in BY_CPU_SCENARIOS:
            sc, w = scenarios.get(scenario), e.get("world_stop", {}).get(scenario)
            if sc is None or w is None:
                raise Missing(f"swap {n} CPUs {scenario}: no swaps or no world_stop")
            for part in ("total", "stw"):
                s = sc["series"].get(part)
                if s is None:
                    raise Missing(f"swap {n} CPUs {scenario}: no {part}")
                rows.append(row("swap", cpu_metric(n, scenario, f"counter {part}"),
                                f"{'whole swap' if part == 'total' else 'stop-the-world window'}"
                                f", counter 1<->2, {scenario}, {n} CPUs", s["median_ns"],
                                s["p99_ns"], s["min_ns"], s["n"],
                                e.get("stw_target_ns") if part == "stw" else None))
            rows.append(row("swap", cpu_metric(n, scenario, "world_stop"),
                            f"world_stop + world_resume round trip, {scenario}, {n} CPUs",
                            w["median_ns"], w["p99_ns"], w["min_ns"], w["n"]))
    return rows


def swap_rows(j):
    """Whole swap and stop-the-world per scenario and cell; the steps of the idle counter
    swaps (the breakdown); then the figures by CPU count."""
    rows = []
    for sc in j["scenarios"]:
        s = sc["series"]
        parts = ("total", "stw") + (SWAP_STEPS if (sc["scenario"], sc["cell"]) ==
                                    ("idle", "counter") else ())
        for part in parts:
            if part not in s:
                raise Missing(f"swap {sc['scenario']} {sc['cell']}: no {part}")
            what = {"total": "whole swap", "stw": "stop-the-world window"}.get(
                part, f"step {part}")
            rows.append(row("swap", f"{sc['scenario']} {sc['cell']} {part}",
                            f"{what}, {sc['cell']} 1<->2, {sc['scenario']}",
                            s[part]["median_ns"], s[part]["p99_ns"], s[part]["min_ns"],
                            s[part]["n"]))
    b = j.get("busy")
    if b:  # a cell its callers never leave for long: each swap pending until they do
        s = b["series"]
        rows.append(row("swap", "busy busy total", "request to commit, busy 1<->2, a caller "
                        "always inside (pending swaps)", s["total"]["median_ns"],
                        s["total"]["p99_ns"], s["total"]["min_ns"], s["total"]["n"]))
        if b.get("gate_calls"):
            rows.append(row("swap", "busy gate_wait", "a call's time held at the gate while a "
                            "swap is pending (mean)", b["gate_wait_mean_ns"],
                            b["gate_wait_mean_ns"], b["gate_wait_mean_ns"], b["gate_calls"]))
    return rows + by_cpus_rows(j)


def extract(bench, j):
    if bench == "boot":
        return boot_rows(j)
    if bench == "loader":
        return loader_rows(j)
    if bench == "swap":
        return swap_rows(j)
    return metric_rows(bench, j)


def key(r):
    return f"{r['bench']}: {r['metric']}"


def fmt(ns, bench=None):
    """µs with 1-3 decimals; ms for the boot rows (whole boots)."""
    if bench == "boot" and ns >= 1e6:
        return f"{ns / 1e6:.1f} ms"
    us = ns / 1000
    return f"{us:.3f} us" if us < 10 else f"{us:.1f} us" if us < 1e4 else f"{us:.0f} us"


def table(rows):
    """The rows; a figure with a target has it at the end of its line (a goal: "met" or "NOT
    met" by the median, never a failure)."""
    lines = [f"{'benchmark':8} {'figure':30} {'median':>12} {'p99':>12} {'min':>12} {'runs':>6}"]
    for r in rows:
        line = (f"{r['bench']:8} {r['metric']:30} {fmt(r['median_ns'], r['bench']):>12} "
                f"{fmt(r['p99_ns'], r['bench']):>12} {fmt(r['min_ns'], r['bench']):>12} "
                f"{r['runs']:6d}")
        if r.get("target_ns") is not None:
            met = "met" if r["median_ns"] <= r["target_ns"] else "NOT met"
            line += f"  target <= {fmt(r['target_ns'], r['bench'])}: {met}"
        lines.append(line)
    return "\n".join(lines)


def load_all(path):
    with open(path) as f:
        j = json.load(f)
    if not isinstance(j, dict) or j.get("benchmark") != "all" or not isinstance(
            j.get("rows"), list):
        raise Missing("not an all.json of tools/keel bench (no \"benchmark\": \"all\" rows)")
    for r in j["rows"]:
        for k in ("bench", "metric", "median_ns", "p99_ns", "min_ns", "runs"):
            if k not in r:
                raise Missing(f"a row lacks {k}: {r}")
    return j


def noise(r):
    """The noise a run measured for one figure: how far its median lies above its fastest run,
    relative to the median ((median - min) / median). Under TCG a figure's slow outliers come
    from the host, its floor from the code; a median that moved less than this spread is within
    what one run already shows of itself."""
    return (r["median_ns"] - r["min_ns"]) / r["median_ns"] if r["median_ns"] else 0.0


def compare(old_rows, new_rows):
    """Per figure in both runs: ratio new/old of the medians and a verdict: "slower" or
    "faster" when the ratio lies beyond 1 +- the larger noise of the two runs (at least
    NOISE_FLOOR), else "same". Figures in only one run are listed with verdict "new" or
    "gone"."""
    old = {key(r): r for r in old_rows}
    new = {key(r): r for r in new_rows}
    out = []
    for k, n in new.items():
        o = old.get(k)
        if o is None:
            out.append({"figure": k, "verdict": "new", "new_ns": n["median_ns"]})
            continue
        band = max(noise(o), noise(n), NOISE_FLOOR)
        ratio = n["median_ns"] / o["median_ns"] if o["median_ns"] else math.inf
        verdict = "slower" if ratio > 1 + band else "faster" if ratio < 1 / (1 + band) else "same"
        out.append({"figure": k, "old_ns": o["median_ns"], "new_ns": n["median_ns"],
                    "ratio": round(ratio, 4), "noise": round(band, 4), "verdict": verdict})
    for k, o in old.items():
        if k not in new:
            out.append({"figure": k, "verdict": "gone", "old_ns": o["median_ns"]})
    return out


def compare_table(rows, old, new):
    lines = [f"compared with {old.get('date', '?')} (commit {old.get('commit', '?')}): "
             "new/old of the medians; a change is marked only beyond the noise both runs show",
             f"{'figure':40} {'old':>12} {'new':>12} {'new/old':>8} {'noise':>7}  verdict"]
    for c in rows:
        bench = c["figure"].split(":")[0]
        if c["verdict"] in ("new", "gone"):
            ns = c.get("new_ns", c.get("old_ns"))
            lines.append(f"{c['figure']:40} {'':>12} {fmt(ns, bench):>12} {'':>8} {'':>7}  "
                         f"{c['verdict']} (only in the {'new' if c['verdict'] == 'new' else 'old'}"
                         " run)")
            continue
        mark = {"slower": "SLOWER", "faster": "faster", "same": "-"}[c["verdict"]]
        lines.append(f"{c['figure']:40} {fmt(c['old_ns'], bench):>12} "
                     f"{fmt(c['new_ns'], bench):>12} {c['ratio']:8.2f} "
                     f"{c['noise'] * 100:6.0f}%  {mark}")
    changed = sum(c["verdict"] in ("slower", "faster") for c in rows)
    lines.append(f"{changed} of {len(rows)} figures changed beyond their noise")
    if old.get("quick") != new.get("quick"):
        lines.append("note: one run was --quick and the other not: the rounds differ")
    return "\n".join(lines)


# Keel figure <-> Linux figure (tools/bench/linux.py), the same operation on the same QEMU with
# the same CPUs: (operation, Keel figure, Linux figure or None when Linux has no counterpart,
# CPUs both need). "{smp}" in a Keel figure is the run's own CPU count (the by-CPU swap figure
# measured with the CPUs Linux had).
LINUX_PAIRS = (
    ("boot to a shell prompt, from QEMU start", "boot: qemu_to_prompt", "boot_to_prompt", 1),
    ("kernel entry -> shell prompt / first user program", "boot: entry_to_prompt",
     "kernel_entry_to_init", 1),
    ("load+link a hello cell / insmod a hello module", "loader: load bench_small@1",
     "module_load", 1),
    ("unload it / rmmod", "loader: unload bench_small@1", "module_unload", 1),
    ("replace one function live: swap / livepatch", "swap: idle salute total", "livepatch", 1),
    ("yield ping-pong, per switch", "tasks: switch", "yield_pingpong", 1),
    ("spawn+join an empty task / pthread", "tasks: spawn_join", "spawn_join", 1),
    ("one-word round trip: channel / 1-byte pipe", "tasks: rv_rtt", "pipe_roundtrip", 1),
    ("spawn+join, the task / pthread on CPU 1", "tasks: spawn_join_x", "spawn_join_x", 2),
    ("round trip across CPUs: channel / pipe", "tasks: rv_rtt_x", "pipe_roundtrip_x", 2),
    ("stop every CPU, resume: world_stop / stop_machine", "swap: {smp}cpu idle world_stop",
     "stop_machine", 1),
    ("a swap's stop-the-world window", "swap: idle counter stw", None, 1),
)
# The note under the table for the pair without a Linux figure.
NO_COUNTERPART = "no Linux counterpart: livepatch stops no CPU (see stop_machine)"
UNIT_NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def linux_ns(m):
    scale = UNIT_NS.get(m.get("unit", "us"))
    if scale is None:
        raise Missing(f"unknown unit {m.get('unit')!r} in the Linux figures")
    return {k: m[k] * scale for k in ("median", "p99", "min") if k in m}


def pair_with_linux(rows, ref, smp=None):
    """One entry per LINUX_PAIRS line: Keel's and Linux's medians (ns), Keel/Linux, and a
    status: "ok" (both sides, a ratio), "no counterpart" (Linux has none), "needs N CPUs" (a
    figure across CPUs in a run with fewer: neither side measures it) or "missing" (a side that
    should have been measured was not). smp: the run's CPUs (default: the Linux reference's)."""
    smp = smp or ref.get("smp") or 1
    keel = {key(r): r for r in rows}
    out = []
    for what, keel_key, linux_key, cpus in LINUX_PAIRS:
        keel_key = keel_key.format(smp=smp)
        k = keel.get(keel_key)
        lm = ref.get("metrics", {}).get(linux_key) if linux_key else None
        entry = {"what": what, "keel": keel_key, "linux": linux_key, "cpus": cpus}
        if k is not None:
            entry["keel_median_ns"] = k["median_ns"]
        if lm is not None:
            entry["linux_median_ns"] = int(linux_ns(lm)["median"])
            entry["linux_runs"] = lm.get("runs")
        entry["ratio"] = (round(entry["keel_median_ns"] / entry["linux_median_ns"], 5)
                          if k is not None and lm is not None and entry["linux_median_ns"]
                          else None)
        if smp < cpus:
            entry["status"] = f"needs {cpus} CPUs"
            entry["ratio"] = None
        elif entry["ratio"] is not None:
            entry["status"] = "ok"
        elif linux_key is None:
            entry["status"] = "no counterpart"
        else:
            entry["status"] = "missing"
        out.append(entry)
    return out


def linux_table(pairs, ref):
    smp = ref.get("smp", 1)
    lines = [f"Keel beside Linux ({ref.get('kernel', '?')}, busybox), both measured in this run "
             f"on the same QEMU ({ref.get('qemu', '?')}) with -smp {smp}; medians",
             f"{'operation':50} {'Keel':>12} {'Linux':>12} {'Keel/Linux':>11}"]
    notes = []
    for p in pairs:
        bench = p["keel"].split(":")[0]
        status = p.get("status", "ok" if p["ratio"] is not None else "missing")
        if status.startswith("needs"):
            lines.append(f"{p['what']:50} {'-':>12} {'-':>12} {'-':>11}  "
                         f"(needs {p['cpus']} CPUs: --smp {p['cpus']})")
            continue
        k = fmt(p["keel_median_ns"], bench) if "keel_median_ns" in p else "missing"
        if status == "no counterpart":
            lines.append(f"{p['what']:50} {k:>12} {'-':>12} {'-':>11}  (no Linux counterpart)")
            if NO_COUNTERPART not in notes:
                notes.append(NO_COUNTERPART)
            continue
        lx = fmt(p["linux_median_ns"], bench) if "linux_median_ns" in p else "missing"
        ratio = p["ratio"]
        rt = "-" if ratio is None else f"{ratio:.4f}" if ratio < 0.01 else f"{ratio:.3f}"
        if ratio:
            rt += f" ({1 / ratio:.0f}x faster)" if ratio < 1 else f" ({ratio:.1f}x slower)"
        lines.append(f"{p['what']:50} {k:>12} {lx:>12} {rt:>11}")
    lines += [f"  {n}" for n in notes]
    return "\n".join(lines)
