#!/usr/bin/python3
"""The QEMU test scripts and the benchmarks decide with tests/qemu/checks.py, never with a bare
`assert`: python3 -O (or PYTHONOPTIMIZE) strips assert statements, and a test whose decisions
vanish passes whatever the guest did.

    no_assert.py --source DIR

Scans DIR/tests/qemu/*.py and DIR/tools/bench/*.py (their syntax trees, so an `assert` in a
string or a comment does not count) and fails naming each assert statement. Run under -O it
also shows that the checks still fire there: check, has and hasnt must raise on a false
condition and stay quiet on a true one."""
import argparse
import ast
import glob
import os
import sys

SCANNED = ("tests/qemu/*.py", "tools/bench/*.py")


def bare_asserts(source):
    """[(path relative to source, line)] of every assert statement in the scanned files."""
    found = []
    for pattern in SCANNED:
        for path in sorted(glob.glob(os.path.join(source, pattern))):
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), path)
            found += [(os.path.relpath(path, source), n.lineno)
                      for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    return found


def raises(fn, *args):
    try:
        fn(*args)
    except AssertionError:
        return True
    return False


def checks_fire(source):
    """The problems of checks.py under this interpreter's optimisation level ([] if none)."""
    sys.path.insert(0, os.path.join(source, "tests", "qemu"))
    from checks import check, has, hasnt
    problems = []
    if not raises(check, False, "a false condition"):
        problems.append("check(False, ...) did not fail")
    if raises(check, True, "a true condition"):
        problems.append("check(True, ...) failed")
    if not raises(has, "keel> ", r"^panic"):
        problems.append("has() of a missing pattern did not fail")
    if raises(has, "keel> ", r"^keel"):
        problems.append("has() of a present pattern failed")
    if not raises(hasnt, "KEEL PANIC", r"PANIC"):
        problems.append("hasnt() of a present pattern did not fail")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--source", required=True, help="the source tree")
    args = ap.parse_args()
    failed = False
    found = bare_asserts(args.source)
    for path, line in found:
        print(f"{path}:{line}: a bare assert (gone under python3 -O): use check/has/hasnt "
              f"from tests/qemu/checks.py")
    failed |= bool(found)
    n = sum(len(glob.glob(os.path.join(args.source, p))) for p in SCANNED)
    if n == 0:
        print(f"no scripts found under {args.source}: wrong --source?")
        failed = True
    if __debug__:
        print("not run under python3 -O: the checks were not tried with asserts stripped")
        failed = True
    else:
        for problem in checks_fire(args.source):
            print(f"under -O: {problem}")
            failed = True
    if not failed:
        print(f"no bare assert in {n} scripts; check, has and hasnt fire under -O")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
