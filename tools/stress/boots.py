#!/usr/bin/env python3
"""Boot Keel N times and run one shell line in each boot; count how each boot ended.

    tools/stress/boots.py --build build --smp 2 --boots 20 --line "smpstress --rounds 50"

Outcomes: pass (the line printed "smpstress: PASS" or, for another command, reached the prompt),
fail (it printed "smpstress: FAIL: ..."), panic (the guest printed a panic report), timeout (no
prompt within --timeout seconds), exited (QEMU exited). The first report of each kind after
pass is written to --out (a directory) as <outcome>-<boot>.txt with the whole transcript, and
the tally is printed at the end (and as JSON with --json). Boots run one after another, or
--jobs at a time. Exit status 0 when every boot passed, 1 otherwise."""
import argparse
import concurrent.futures
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "qemu"))
from keelvm import GuestError, KeelShell  # noqa: E402


def one_boot(build, smp, line, timeout, cmdline):
    """(outcome, transcript, detail) of one boot."""
    sh = KeelShell(build, smp=smp, cmdline=cmdline)
    try:
        with sh:
            try:
                out = sh.run(line, timeout=timeout)
            except GuestError as e:
                text = sh.vm.text()
                msg = str(e)
                if "panicked" in msg:
                    return "panic", text, msg
                if "QEMU exited" in msg:
                    return "exited", text, msg
                return "timeout", text, msg
            m = re.search(r"^smpstress: FAIL: (.*)$", out, re.M)
            if m:
                return "fail", sh.vm.text(), m.group(1)
            return "pass", sh.vm.text(), ""
    except GuestError as e:  # during boot
        return ("panic" if "panicked" in str(e) else "timeout"), "", str(e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--boots", type=int, default=10)
    ap.add_argument("--line", default="smpstress --rounds 50")
    ap.add_argument("--cmdline", default="", help="kernel command line")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds for the line")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", help="directory for the transcripts of non-passing boots")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    tally, kept = {}, set()
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        futures = {pool.submit(one_boot, build, a.smp, a.line, a.timeout, a.cmdline): i
                   for i in range(1, a.boots + 1)}
        for f in concurrent.futures.as_completed(futures):
            i = futures[f]
            outcome, text, detail = f.result()
            tally[outcome] = tally.get(outcome, 0) + 1
            first = detail.splitlines()[0] if detail else ""
            print(f"boot {i}: {outcome}{': ' + first if first else ''}", flush=True)
            if a.out and outcome != "pass":
                path = os.path.join(a.out, f"{outcome}-{i}.txt")
                with open(path, "w") as fh:
                    fh.write(detail + "\n\n--- transcript ---\n" + text)
                kept.add(outcome)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(tally.items()))
    print(f"{a.boots} boots at -smp {a.smp} of '{a.line}': {summary}")
    if a.json:
        print(json.dumps({"boots": a.boots, "smp": a.smp, "line": a.line, "tally": tally}))
    return 0 if tally.get("pass", 0) == a.boots else 1


if __name__ == "__main__":
    sys.exit(main())
