#!/usr/bin/env python3
"""Boot benchmark: QEMU start to Keel's ready line and to the shell prompt, median of several runs.

Reports four numbers per run:
  host_to_ready_ms   QEMU process start -> ready line on the serial port (host clock; includes
                     SeaBIOS and GRUB), booting the kernel alone
  entry_to_ready_ms  first kernel output -> ready line (host clock)
  guest_ready_us     kernel entry -> ready line, measured inside the guest with the TSC
  host_to_prompt_ms  QEMU process start -> the first shell prompt "keel> " on the serial port,
                     booting the build's default image (every cell, the boot manifest); the
                     target is 0.7 s (Linux beside Keel: tools/keel bench --vs-linux). Left
                     out if the image has no shell cell.
Prints a table and writes JSON (default: <build>/bench/boot.json). Exits non-zero, printing
"boot benchmark: FAILED", if a run did not reach its ready line or prompt, or the image's module
list (build/image/modules.txt) cannot be read.

    boot.py --kernel build/keel.elf [--runs 7] [--json out.json]
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "qemu"))
from benchlib import BenchFailed, bench_main  # noqa: E402
from keelvm import EXIT_SUCCESS, PROMPT, KeelVM, image_modules  # noqa: E402

READY = r"keel: ready in (\d+) us"
PROMPT_TARGET_MS = 700  # the shell issue's goal, including SeaBIOS and GRUB


def one_run(kernel, workdir):
    with KeelVM(kernel, "after-ready=exit", workdir=workdir) as vm:
        vm.build_iso()  # outside the timed part
        t0 = time.monotonic()
        vm.start()
        vm.expect(r"Keel nano-core", timeout=60)
        t_entry = time.monotonic()
        m = vm.expect(READY, timeout=60)
        t_ready = time.monotonic()
        vm.expect_exit(EXIT_SUCCESS, timeout=60)
    return {"host_to_ready_ms": (t_ready - t0) * 1000.0,
            "entry_to_ready_ms": (t_ready - t_entry) * 1000.0,
            "guest_ready_us": int(m.group(1))}


def shell_modules(kernel):
    """The default image's boot modules if it has a shell cell, else None (the prompt is then
    not measured, as documented); an unreadable module list is a failure, not a shell-less
    image."""
    try:
        mods = image_modules(os.path.dirname(os.path.abspath(kernel)), tests=False)
    except OSError as e:
        raise BenchFailed(f"cannot read the image's module list next to {kernel}: {e}")
    return mods if any(m.rsplit("=", 1)[-1].startswith("shell@") for m in mods) else None


def prompt_run(kernel, modules, workdir):
    """QEMU start -> first shell prompt, booting the default image (killed at the prompt)."""
    with KeelVM(kernel, "", modules=modules, workdir=workdir) as vm:
        vm.build_iso()  # outside the timed part
        t0 = time.monotonic()
        vm.start()
        vm.expect(re.escape(PROMPT), timeout=60)
        t_prompt = time.monotonic()
    return (t_prompt - t0) * 1000.0


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main():
    ap = argparse.ArgumentParser(description="Keel boot benchmark")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", help="output file (default: <kernel dir>/bench/boot.json)")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    out = args.json or os.path.join(os.path.dirname(os.path.abspath(args.kernel)), "bench",
                                    "boot.json")
    workdir = os.path.join(os.path.dirname(out), "boot-work")
    modules = shell_modules(args.kernel)
    runs = []
    for _ in range(args.runs):
        run = one_run(args.kernel, workdir)
        if modules:
            run["host_to_prompt_ms"] = prompt_run(args.kernel, modules,
                                                  os.path.join(workdir, "prompt"))
        runs.append(run)
    result = {"benchmark": "boot", "runs": runs,
              "summary": {k: summary([r[k] for r in runs]) for k in runs[0]},
              "targets": {"host_to_prompt_ms": PROMPT_TARGET_MS}}
    print(f"boot benchmark, {args.runs} runs (median / min / max)")
    for key, unit in (("host_to_ready_ms", "ms"), ("entry_to_ready_ms", "ms"),
                      ("guest_ready_us", "us"), ("host_to_prompt_ms", "ms")):
        s = result["summary"].get(key)
        if not s:
            print(f"  {key:18} {'n/a (the image has no shell cell)':>32}")
            continue
        note = ""
        if key == "host_to_prompt_ms":
            note = (f"  (target <= {PROMPT_TARGET_MS} ms incl. GRUB: "
                    f"{'met' if s['median'] <= PROMPT_TARGET_MS else 'NOT met'})")
        print(f"  {key:18} {s['median']:10.1f} {s['min']:10.1f} {s['max']:10.1f} {unit}{note}")
    print("  Linux beside Keel: tools/keel bench --vs-linux")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"boot benchmark: JSON written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(bench_main("boot", main))
