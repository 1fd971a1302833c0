#!/usr/bin/env python3
"""Boot benchmark: QEMU start to Keel's ready line and to the shell prompt, over several runs.

Each run boots twice. The kernel alone (no modules, after-ready=exit):
  host_to_ready_ms     QEMU process start -> ready line on the serial port (host clock; includes
                       SeaBIOS and GRUB)
  entry_to_ready_ms    first kernel output ("Keel nano-core") -> ready line (host clock)
  guest_ready_us       kernel entry -> ready line, measured inside the guest with the TSC
and the build's default image (every cell, the boot manifest; the default log level), to the
first shell prompt "keel> ", broken down by phase (host clock):
  host_to_entry_ms     QEMU start -> first kernel output: QEMU, SeaBIOS, GRUB loading the kernel
                       and the boot modules
  image_entry_to_ready_ms  first kernel output -> ready line
  ready_to_prompt_ms   ready line -> prompt (the cells' tasks, the shell's start-up)
  entry_to_prompt_ms   first kernel output -> prompt; target <= 40 ms
  host_to_prompt_ms    QEMU start -> prompt; target <= 550 ms (Linux beside Keel:
                       tools/keel bench --vs-linux)
  image_guest_ready_us kernel entry -> ready line of the image, on the guest's TSC
The image figures are left out if the image has no shell cell. Each figure is summarised as
median, p99 (nearest rank), min, max and runs. Prints a table and writes JSON (default:
<build>/bench/boot.json; "targets" holds the targets). Exits non-zero, printing "boot benchmark:
FAILED", if a run did not reach its ready line or prompt, or the image's module list
(build/image/modules.txt) cannot be read.

    boot.py --kernel build/keel.elf [--runs 7] [--json out.json]
"""
import argparse
import json
import math
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "qemu"))
from benchlib import BenchFailed, bench_main, require  # noqa: E402
from keelvm import EXIT_SUCCESS, PROMPT, KeelVM, image_modules  # noqa: E402

READY = r"keel: ready in (\d+) us"
TARGETS = {"host_to_prompt_ms": 550,  # QEMU start -> prompt, SeaBIOS and GRUB included
           "entry_to_prompt_ms": 40}  # kernel entry -> prompt
ROWS = (("kernel alone", (("host_to_ready_ms", "ms"), ("entry_to_ready_ms", "ms"),
                          ("guest_ready_us", "us"))),
        ("default image to the prompt", (("host_to_entry_ms", "ms"),
                                         ("image_entry_to_ready_ms", "ms"),
                                         ("ready_to_prompt_ms", "ms"),
                                         ("entry_to_prompt_ms", "ms"),
                                         ("host_to_prompt_ms", "ms"),
                                         ("image_guest_ready_us", "us"))))


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
    """QEMU start -> kernel entry -> ready line -> first shell prompt, booting the default image
    (killed at the prompt)."""
    with KeelVM(kernel, "", modules=modules, workdir=workdir) as vm:
        vm.build_iso()  # outside the timed part
        t0 = time.monotonic()
        vm.start()
        vm.expect(r"Keel nano-core", timeout=60)
        t_entry = time.monotonic()
        m = vm.expect(READY, timeout=60)
        t_ready = time.monotonic()
        vm.expect(re.escape(PROMPT), timeout=60)
        t_prompt = time.monotonic()
    ms = lambda a, b: (b - a) * 1000.0  # noqa: E731
    return {"host_to_entry_ms": ms(t0, t_entry), "image_entry_to_ready_ms": ms(t_entry, t_ready),
            "ready_to_prompt_ms": ms(t_ready, t_prompt),
            "entry_to_prompt_ms": ms(t_entry, t_prompt), "host_to_prompt_ms": ms(t0, t_prompt),
            "image_guest_ready_us": int(m.group(1))}


def summary(values):
    ordered = sorted(values)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]  # nearest rank
    return {"median": statistics.median(values), "p99": p99, "min": min(values),
            "max": max(values), "runs": len(values)}


def verdict(key, median):
    target = TARGETS.get(key)
    if target is None:
        return ""
    return f"  target <= {target} ms: {'met' if median <= target else 'NOT met'}"


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
            run.update(prompt_run(args.kernel, modules, os.path.join(workdir, "prompt")))
        runs.append(run)
    promised = [k for _, keys in ROWS for k, _ in keys][:3 if not modules else None]
    for run in runs:
        require("boot figures", promised, run)
    result = {"benchmark": "boot", "runs": runs,
              "summary": {k: summary([r[k] for r in runs]) for k in runs[0]},
              "targets": dict(TARGETS)}
    print(f"boot benchmark, {args.runs} runs (median / p99 / min / max)")
    for title, keys in ROWS:
        print(f"  {title}:")
        for key, unit in keys:
            s = result["summary"].get(key)
            if not s:
                print(f"    {key:24} {'n/a (the image has no shell cell)':>34}")
                continue
            print(f"    {key:24} {s['median']:9.1f} {s['p99']:9.1f} {s['min']:9.1f} "
                  f"{s['max']:9.1f} {unit}{verdict(key, s['median'])}")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"boot benchmark: JSON written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(bench_main("boot", main))
