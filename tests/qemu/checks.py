"""The assertions every QEMU test script uses: a failed one raises AssertionError with what was
expected and the output it was looked for in (run_cases in keelvm.py reports it as FAIL)."""
import re


def check(cond, what, out=""):
    if not cond:
        raise AssertionError(f"{what}\n--- output ---\n{out}")


def has(out, pattern):
    """The first match of pattern (multi-line) in out; fails the test if there is none."""
    m = re.search(pattern, out, re.M)
    check(m, f"/{pattern}/ not in the output", out)
    return m


def hasnt(out, pattern):
    check(not re.search(pattern, out, re.M), f"unexpected /{pattern}/ in the output", out)


EXIT_STATUS = r"^keel: \S+: exit status"  # the shell's report of a command that failed


def ok(sh, line, timeout=20.0):
    """Run a shell command (a keelvm.KeelShell) that must succeed: the shell reports no exit
    status. Returns its output."""
    out = sh.run(line, timeout=timeout)
    hasnt(out, EXIT_STATUS)
    return out


def ok_unfaulted(sh, line, timeout=20.0):
    """ok(), and nothing in the output says "faulted" (a task or a guarded call)."""
    out = ok(sh, line, timeout)
    hasnt(out, "faulted")
    return out
