#!/usr/bin/env python3
"""Every benchmark in one table: runs boot, loader, tasks, swap and faults (each the script
beside this one, its own JSON beside all.json), then prints one row per measured figure with
its median, p99, minimum and number of runs, and writes them all to <build>/bench/all.json.

    all.py --build DIR [--quick] [--compare OLD.json] [--vs-linux] [--json OUT]
           [--only NAME,...]

--compare OLD.json  a ratio new/old per row, marked "slower" or "faster" only when the change is
                    beyond the noise both runs measured (see noise() below).
--vs-linux          also boot Debian's Linux kernel with a busybox initramfs on the same QEMU in
                    this same run (tools/bench/linux.py) and print Keel/Linux per matching
                    operation. No figure of either side is ever typed in.
--quick             fewer rounds and runs (the smoke test's setting); the numbers are noisier.

Every VM, Keel's and Linux's, has the CPUs of KEEL_TEST_SMP (tools/keel bench --smp N; default
2), except the swap benchmark's figures by CPU count, which boot 1, 2 and 4 CPUs whatever it is;
the Keel/Linux pairs use the figures measured with the run's own count.

Times are kept in ns in the JSON; the table prints µs (ms for whole boots). Exits non-zero,
printing "all benchmarks: FAILED: ...", if any benchmark failed or a promised figure is
missing; the others still run and their rows are still written.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchrows  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "qemu"))
from keelvm import default_smp  # noqa: E402

PYTHON = sys.executable or "/usr/bin/python3"


def bench_args(name, build, quick, out):
    """The command line of one benchmark script, writing its JSON to out."""
    script = os.path.join(HERE, f"{name}.py")
    if name == "boot":
        args = [script, "--kernel", os.path.join(build, "keel.elf"), "--runs",
                "3" if quick else "11"]
    else:
        args = [script, "--build", build]
        if name == "loader":
            args += ["--rounds", "20" if quick else "200"]
        elif name == "swap":
            args += ["--rounds", "20" if quick else "200"]
    return [PYTHON] + args + ["--json", out]


def run_bench(name, build, quick, workdir):
    """Run one benchmark; (rows, error or None). Its JSON goes beside all.json (NAME.json),
    its whole output to workdir/NAME.log."""
    out = os.path.join(os.path.dirname(workdir), f"{name}.json")
    log = os.path.join(workdir, f"{name}.log")
    start = time.monotonic()
    print(f"  {name:7} ...", end="", flush=True)
    with open(log, "w") as f:
        status = subprocess.run(bench_args(name, build, quick, out), stdout=f,
                                stderr=subprocess.STDOUT, cwd=HERE).returncode
    took = time.monotonic() - start
    if status != 0:
        print(f" FAILED after {took:.0f} s (its output: {log})")
        with open(log) as f:
            tail = f.read().splitlines()[-15:]
        print("\n".join("    | " + line for line in tail))
        return [], f"{name} exited with status {status}"
    try:
        with open(out) as f:
            rows = benchrows.extract(name, json.load(f))
    except (OSError, ValueError, KeyError, benchrows.Missing) as e:
        print(f" FAILED: its JSON {out}: {e}")
        return [], f"{name}: {e}"
    print(f" {len(rows)} figures in {took:.0f} s")
    return rows, None


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                             text=True).stdout
        return out.splitlines()[0].strip() if out else "unknown"
    except OSError:
        return "unknown"


def git_commit():
    try:
        out = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description="run every Keel benchmark and print one table")
    ap.add_argument("--build", required=True, help="the build directory")
    ap.add_argument("--quick", action="store_true", help="fewer rounds (noisier numbers)")
    ap.add_argument("--compare", metavar="OLD.json", help="an earlier all.json to compare with")
    ap.add_argument("--vs-linux", action="store_true",
                    help="measure Debian's Linux on the same QEMU in this run, print ratios")
    ap.add_argument("--json", help="output file (default: <build>/bench/all.json)")
    ap.add_argument("--only", help="a comma-separated subset of: " + ", ".join(benchrows.BENCHES))
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)  # the benchmarks run from this script's folder
    names = list(benchrows.BENCHES)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in benchrows.BENCHES]
        if unknown or not names:
            ap.error(f"--only: unknown benchmark {', '.join(unknown) or '(none given)'} "
                     f"(known: {', '.join(benchrows.BENCHES)})")
    old = None
    if args.compare:  # read first: a bad file is refused before an hour of benchmarks
        try:
            old = benchrows.load_all(args.compare)
        except (OSError, ValueError, benchrows.Missing) as e:
            print(f"all benchmarks: --compare {args.compare}: {e}", file=sys.stderr)
            return 2
    linux = None
    if args.vs_linux:
        try:
            import linux  # noqa: F401  (tools/bench/linux.py)
        except ImportError as e:
            print(f"all benchmarks: --vs-linux: tools/bench/linux.py cannot be used: {e}",
                  file=sys.stderr)
            return 2
    out = args.json or os.path.join(args.build, "bench", "all.json")
    workdir = os.path.join(os.path.dirname(os.path.abspath(out)), "all-work")
    os.makedirs(workdir, exist_ok=True)
    result = {"benchmark": "all", "date": datetime.datetime.now().astimezone().isoformat(
        timespec="seconds"), "commit": git_commit(), "qemu": qemu_version(),
        "host_cpus": os.cpu_count(), "smp": default_smp(), "quick": args.quick, "rows": [],
        "failed": []}
    print(f"running {len(names)} benchmarks{' (quick)' if args.quick else ''}, "
          f"-smp {result['smp']}; logs in {workdir}")
    for name in names:
        rows, err = run_bench(name, args.build, args.quick, workdir)
        result["rows"] += rows
        if err:
            result["failed"].append(err)
    if args.vs_linux:
        print("  linux   ...", end="", flush=True)
        start = time.monotonic()
        try:
            quick = {"runs": benchrows.LINUX_QUICK_RUNS, "boots": 3} if args.quick else {}
            ref = linux.measure(args.build, os.path.join(workdir, "linux"), **quick)
            result["linux"] = ref
            result["vs_linux"] = benchrows.pair_with_linux(result["rows"], ref, result["smp"])
            print(f" {len(ref['metrics'])} figures in {time.monotonic() - start:.0f} s "
                  f"({ref.get('kernel', '?')})")
        except Exception as e:  # noqa: BLE001  (any failure of the reference is reported)
            print(f" FAILED: {e}")
            result["failed"].append(f"linux: {e}")
    print()
    print(benchrows.table(result["rows"]))
    if old is not None:
        result["compare"] = {"with": os.path.abspath(args.compare),
                             "rows": benchrows.compare(old["rows"], result["rows"])}
        print()
        print(benchrows.compare_table(result["compare"]["rows"], old, result))
    if result.get("vs_linux"):
        print()
        print(benchrows.linux_table(result["vs_linux"], result["linux"]))
    if args.vs_linux and "vs_linux" in result:
        missing = [p["what"] for p in result["vs_linux"]  # of the benchmarks that ran
                   if p["status"] == "missing" and p["keel"].split(":")[0] in names]
        if missing:
            result["failed"].append("no Keel/Linux ratio for " + ", ".join(missing))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nall benchmarks: JSON written to {out}")
    if result["failed"]:
        print("all benchmarks: FAILED: " + "; ".join(result["failed"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
