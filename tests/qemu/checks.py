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


FAULTS_HEADER = (r"\s*SEQ\s+TIME\(us\)\s+TASK\s+KIND\s+WHERE\s+CR2\s+CELL\s+STEP\s+OUTCOME\s+"
                 r"TOOK\(us\)(\s+CALLED FROM)?")
FAULTS_ROW = (r"\s*(\d+)\s+(\d+)\s+(\d+) (\S+)\s+(\S+)\s+(\S+)\s+(0x[0-9a-f]{16})\s+(\S+)\s+(\S+)"
              r"\s+(\S+)\s+(\d+\.\d{3})")
FAULTS_DROPPED = r"\((\d+) older record\(s\) dropped: the log keeps the newest (\d+)\)"


def fault_table(out):
    """The fault log as the shell's `faults` and `keelctl faults` print it: (rows, dropped),
    each row a dict (caller None when the CALLED FROM column is absent, "-" when empty)."""
    lines = out.splitlines()
    dropped = 0
    if lines and re.fullmatch(FAULTS_DROPPED, lines[-1]):
        dropped = int(re.fullmatch(FAULTS_DROPPED, lines[-1]).group(1))
        lines = lines[:-1]
    if lines == ["no faults"]:
        return [], dropped
    check(lines and re.fullmatch(FAULTS_HEADER, lines[0]), "faults header", out)
    callers = lines[0].rstrip().endswith("CALLED FROM")
    rows = []
    for line in lines[1:]:
        m = re.fullmatch(FAULTS_ROW + (r"\s+(\S+)" if callers else ""), line)
        check(m, f"bad faults row {line!r}", out)
        rows.append({"seq": int(m.group(1)), "time_us": int(m.group(2)), "task": m.group(3),
                     "name": m.group(4), "kind": m.group(5), "where": m.group(6),
                     "cr2": m.group(7), "cell": m.group(8), "step": m.group(9),
                     "outcome": m.group(10), "took_us": float(m.group(11)),
                     "caller": m.group(12) if callers else None})
    return rows, dropped
