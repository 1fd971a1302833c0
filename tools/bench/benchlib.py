"""Shared pieces of the in-guest benchmarks: boot Keel with a command line and extra boot
modules, take the guest's one-line "BENCH_JSON {...}" result, and write results.

A benchmark that could not measure everything it promises fails: it prints
"<name> benchmark: FAILED: <why>" and exits non-zero (bench_main), so its smoke test, which goes
by the exit status alone, fails too."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "qemu"))
from keelvm import EXIT_SUCCESS, GuestError, KeelVM, image_modules  # noqa: E402


class BenchFailed(Exception):
    """The benchmark could not measure what it promises; the message says what is missing."""


def require(what, promised, measured):
    """Raise BenchFailed unless every promised item (e.g. metric names) was measured."""
    missing = [p for p in promised if p not in measured]
    if missing:
        raise BenchFailed(f"{what} not measured: {', '.join(map(str, missing))}")


def bench_main(name, main):
    """Run main() -> exit status; a BenchFailed or GuestError (the guest panicked, hung or said
    something unexpected) becomes "<name> benchmark: FAILED: ..." and exit status 1."""
    try:
        return main()
    except (BenchFailed, GuestError) as e:
        print(f"{name} benchmark: FAILED: {e}", file=sys.stderr)
        print(f"{name} benchmark: FAILED")
        return 1


def guest_bench_json(build, cmdline, workdir, extra_modules=(), timeout=300):
    """Boot the build's image (plus extra_modules, "file=name") with cmdline + after-ready=exit
    and return the parsed BENCH_JSON object the guest prints."""
    mods = image_modules(build) + list(extra_modules)
    with KeelVM(os.path.join(build, "keel.elf"), f"{cmdline} after-ready=exit", modules=mods,
                workdir=workdir) as vm:
        vm.start()
        m = vm.expect(r"BENCH_JSON (\{.*\})\n", timeout=timeout)
        vm.expect_exit(EXIT_SUCCESS, timeout=60)
    try:
        return json.loads(m.group(1))
    except ValueError as e:
        raise BenchFailed(f"the guest's BENCH_JSON line is not valid JSON ({e}): {m.group(1)}")


def write_result(result, out):
    """Write the JSON result file and say where (the numbers are printed as a table above)."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"{result.get('benchmark', 'the')} benchmark: JSON written to {out}")
