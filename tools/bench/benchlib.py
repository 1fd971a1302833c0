"""Shared pieces of the in-guest benchmarks: boot Keel with a command line and extra boot
modules, take the guest's one-line "BENCH_JSON {...}" result, and write results."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "qemu"))
from keelvm import EXIT_SUCCESS, KeelVM, image_modules  # noqa: E402


def guest_bench_json(build, cmdline, workdir, extra_modules=(), timeout=300):
    """Boot the build's image (plus extra_modules, "file=name") with cmdline + after-ready=exit
    and return the parsed BENCH_JSON object the guest prints."""
    mods = image_modules(build) + list(extra_modules)
    with KeelVM(os.path.join(build, "keel.elf"), f"{cmdline} after-ready=exit", modules=mods,
                workdir=workdir) as vm:
        vm.start()
        m = vm.expect(r"BENCH_JSON (\{.*\})\n", timeout=timeout)
        vm.expect_exit(EXIT_SUCCESS, timeout=60)
    return json.loads(m.group(1))


def write_result(result, out):
    """Write the JSON result file and say where (the numbers are printed as a table above)."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"{result.get('benchmark', 'the')} benchmark: JSON written to {out}")
