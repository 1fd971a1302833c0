#!/usr/bin/python3
"""Smoke run of the Linux reference (tools/bench/linux.py): a few rounds and one boot, then the
JSON it wrote must hold every figure of linux.METRICS with a positive median, p99 and min, the
right unit and its number of runs, and name the kernel and QEMU. With one CPU the figures across
CPUs (linux.X_METRICS) must be absent; with KEEL_TEST_SMP=2 or more, present (the guest's CPUs
are recorded as "smp"). Values are never asserted.

    linuxref_smoke.py --build BUILD --out FILE [--runs N]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "bench"))
import linux  # noqa: E402  (importing it must do nothing: the integrator imports measure())
from checks import check  # noqa: E402
from keelvm import default_smp  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if os.path.exists(args.out):
        os.remove(args.out)
    cmd = ["/usr/bin/python3", linux.__file__, "--build", args.build, "--runs", str(args.runs),
           "--boots", "1", "--out", args.out]
    p = subprocess.run(cmd)
    check(p.returncode == 0, f"{' '.join(cmd)} exited with {p.returncode}")
    with open(args.out) as f:
        result = json.load(f)
    check(result.get("kernel", "").endswith("-amd64"), f"no kernel release: {result.get('kernel')}")
    check(result.get("qemu"), "no QEMU version")
    smp = default_smp()
    check(result.get("smp") == smp, f"the guest had {result.get('smp')} CPUs, not {smp}")
    metrics = result.get("metrics", {})
    for name, (unit, _) in linux.METRICS.items():
        s = metrics.get(name)
        if name not in linux.expected(smp):
            check(s is None, f"{name} measured with {smp} CPU", json.dumps(s))
            continue
        check(s is not None, f"{name} missing from {args.out}", json.dumps(metrics, indent=1))
        check(s.get("unit") == unit, f"{name}: unit {s.get('unit')}, expected {unit}")
        for key in ("median", "p99", "min"):
            v = s.get(key)
            check(isinstance(v, (int, float)) and v > 0, f"{name}: {key} is {v!r}, not positive")
        want = 1 if unit == "ms" else args.runs
        check(s.get("runs") == want, f"{name}: {s.get('runs')} runs, expected {want}")
    print(f"linuxref smoke: all {len(linux.expected(smp))} figures of -smp {smp} measured "
          f"({result['kernel']}, QEMU {result['qemu']})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print(f"linuxref smoke: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
