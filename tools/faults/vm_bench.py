#!/usr/bin/python3
"""What one fault-campaign worker (vm.py) costs: boot, savevm, loadvm to a shell that answers,
a shell round trip, each workload's run, guest memory's effect on loadvm, the migrate-to-file
alternative, and the trials per hour that follow.

    vm_bench.py --build DIR [--rounds 20] [--memory 128M,64M,256M] [--cmdline "hz=1000"]
                [--json FILE]

Numbers are medians of --rounds (wall time on this host, TCG). A trial is taken as loadvm +
5 shell lines + one workload run; "reset inside Keel" as the 5 lines and the run alone. The
trials per hour of the table add medians; --trials whole trials are also timed end to end.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

# Lines a trial might type besides the workload: an injection, its status, the fault log...
TRIAL_LINES = ("inject status", "faults", "mem", "ps", "echo x")


def timed(fn):
    t = time.monotonic()
    fn()
    return (time.monotonic() - t) * 1000.0


def median(fn, rounds):
    return statistics.median(timed(fn) for _ in range(rounds))


def must(w, line, timeout=60.0):
    out, ok = w.run(line, timeout)
    if not ok:
        raise vm.VMError(f"'{line}' failed:\n{out}")
    return out


def workloads(w):
    """The workload names, from `workload list` (a table: NAME CELL ROUNDS WHAT)."""
    rows = must(w, "workload list").splitlines()[1:]
    return [r.split()[0] for r in rows if r.strip()]


def bench_memory(args, iso, tmp, memory, res):
    """Boot, savevm, loadvm, echo and workload figures at one guest memory size."""
    w = vm.Worker(args.build, tmp, memory=memory, iso=iso)
    try:
        r = res.setdefault(memory, {})
        r["boot_ms"] = timed(w.start)
        r["echo_ms"] = median(lambda: must(w, "echo x"), args.rounds)
        r["savevm_ms"] = median(lambda: w.savevm("golden"), 5)
        r["overlay_bytes"] = os.path.getsize(w.overlay)
        r["loadvm_ms"] = median(lambda: w.loadvm("golden"), args.rounds)
        r["loadvm_answer_ms"] = median(lambda: (w.loadvm("golden"), must(w, "echo x")),
                                       args.rounds)
        r["trial_lines_ms"] = median(lambda: [must(w, line) for line in TRIAL_LINES],
                                     args.rounds)
        if memory != args.memory[0]:
            return
        # Workloads from the boot's golden state (their cells loaded by the run: a trial's
        # cost) and from a golden state saved after one run of each (cells already loaded).
        names = workloads(w)
        cold = r["workload_cold_ms"] = {}
        for name in names:
            cold[name] = median(lambda: (w.loadvm("golden"),
                                         must(w, f"workload run {name} --seed 1")), 3) \
                - r["loadvm_ms"]
        for name in names:
            must(w, f"workload run {name} --seed 1")
        w.savevm("warm")
        warm = r["workload_warm_ms"] = {}
        for name in names:
            warm[name] = median(lambda: (w.loadvm("warm"),
                                         must(w, f"workload run {name} --seed 1")), 3) \
                - r["loadvm_ms"]
        r["loadvm_warm_answer_ms"] = median(lambda: (w.loadvm("warm"), must(w, "echo x")),
                                            args.rounds)
        # Whole trials end to end, as a campaign would run them (storm, warm golden), and the
        # same without loadvm (what a reset inside Keel could at best give).
        def trial(restore):
            if restore:
                w.loadvm("warm")
            for line in TRIAL_LINES:
                must(w, line)
            must(w, "workload run storm --seed 1")
        for restore, key in ((True, "trials_per_hour"), (False, "trials_per_hour_no_loadvm")):
            took = timed(lambda: [trial(restore) for _ in range(args.trials)])
            r[key] = int(args.trials * 3600e3 / took)
        # The alternative: the state migrated to a file, a fresh QEMU started from it.
        state = os.path.join(w.dir, "state.mig")
        r["migrate_out_ms"] = timed(lambda: w.migrate_to_file(state))
        r["migrate_bytes"] = os.path.getsize(state)
        times = []
        for _ in range(min(args.rounds, 5)):
            fresh = vm.Worker(args.build, tmp, memory=memory, iso=iso,
                              incoming=f"exec:cat {state}")
            try:
                times.append(timed(lambda: (fresh.start(), must(fresh, "echo x"))))
            finally:
                fresh.close()
        r["incoming_answer_ms"] = statistics.median(times)
    finally:
        w.close()


def per_hour(ms):
    return int(3600e3 / ms) if ms > 0 else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--build", required=True, help="the Keel build directory")
    ap.add_argument("--rounds", type=int, default=20, help="samples per median (default 20)")
    ap.add_argument("--memory", default="128M,64M,256M",
                    help="guest memory sizes; the first gets the full set (default "
                         "128M,64M,256M)")
    ap.add_argument("--trials", type=int, default=100,
                    help="whole trials timed end to end (default 100)")
    ap.add_argument("--cmdline", default="", help="the kernel command line (e.g. hz=1000)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    if args.rounds < 1 or args.trials < 1:
        ap.error("--rounds and --trials must be at least 1")
    args.memory = [m for m in args.memory.split(",") if m]
    res = {}
    try:
        with tempfile.TemporaryDirectory(prefix="vm-bench-") as tmp:
            iso = vm.make_image(args.build, os.path.join(tmp, "keel.iso"), args.cmdline)
            for memory in args.memory:
                bench_memory(args, iso, tmp, memory, res)
    except vm.VMError as e:
        print(f"vm_bench: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    for memory, r in res.items():
        print(f"-m {memory}: boot {r['boot_ms']:.0f} ms, savevm {r['savevm_ms']:.1f} ms "
              f"(overlay {r['overlay_bytes'] / 2**20:.1f} MiB), loadvm {r['loadvm_ms']:.1f} ms, "
              f"loadvm+echo {r['loadvm_answer_ms']:.1f} ms, echo {r['echo_ms']:.2f} ms, "
              f"5 trial lines {r['trial_lines_ms']:.1f} ms")
    r = res[args.memory[0]]
    print(f"migrate to file {r['migrate_out_ms']:.0f} ms ({r['migrate_bytes'] / 2**20:.1f} MiB); "
          f"fresh QEMU -incoming to echo {r['incoming_answer_ms']:.0f} ms")
    print(f"loadvm+echo from a warm golden (workload cells loaded): "
          f"{r['loadvm_warm_answer_ms']:.1f} ms")
    print(f"measured, {args.trials} whole trials (loadvm warm + {len(TRIAL_LINES)} lines + "
          f"storm): {r['trials_per_hour']} trials/h; without loadvm "
          f"{r['trials_per_hour_no_loadvm']} trials/h")
    print(f"{'workload':10} {'cold ms':>8} {'warm ms':>8} {'trials/h loadvm':>16} "
          f"{'(warm)':>8} {'trials/h no loadvm':>19}")
    for name, cold in r["workload_cold_ms"].items():
        warm = r["workload_warm_ms"][name]
        lines = r["trial_lines_ms"]
        print(f"{name:10} {cold:8.1f} {warm:8.1f} "
              f"{per_hour(r['loadvm_ms'] + lines + cold):16d} "
              f"{per_hour(r['loadvm_ms'] + lines + warm):8d} {per_hour(lines + warm):19d}")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
