"""A trial's outcome from what the guest said (docs/fault-campaigns.md, "Outcomes"): the inject
proof and status, the workload's lines and the fault log, against the workload's golden digest.
Pure functions of text, unit-tested (tests/faults/classify_test.py).

    crash            the core panicked, QEMU reset or died
    hang             the trial did not end within its timeout (the runner ended it)
    recovered        the fault was detected (the fault log has it) and the digest is golden
    detected_failed  detected (a fault logged, or the workload reported an error) but the digest
                     is wrong or missing: the ladder gave up or the workload failed
    sdc              nothing detected, the digest is wrong: silent data corruption
    masked           nothing detected, the digest is golden, the fault was activated
    not_activated    nothing detected, the digest is golden, the fault was never reached
    no_effect        a control trial (no fault) that came out golden and undetected
"""
import re

ADDR = r"0x([0-9a-f]{16})"
LADDER = ("restart", "reload_cell", "reload_dependents")
FAULT_ROW = re.compile(r"\s*(\d+)\s+(\d+)\s+(\d+) (\S+)\s+(\S+)\s+(\S+)\s+(0x[0-9a-f]{16})\s+(\S+)"
                       r"\s+(\S+)\s+(\S+)\s+(\d+\.\d{3})(?:\s+\S+)?")
DIGEST = re.compile(r"^workload (\w+) seed (\d+) rounds (\d+): digest ([0-9a-f]{16})$", re.M)
WORKLOAD_ERROR = re.compile(
    r"^workload \w+: (failed|faulted|hung|killed|waiting|left|evicted)\b.*$", re.M)


def fault_rows(text):
    """The rows of the shell's `faults` table: dicts with time_us, kind, where, cell, step,
    outcome, took_us."""
    rows = []
    for line in text.splitlines():
        m = FAULT_ROW.fullmatch(line.rstrip())
        if m:
            rows.append({"seq": int(m.group(1)), "time_us": int(m.group(2)),
                         "kind": m.group(5), "where": m.group(6), "cell": m.group(8),
                         "step": m.group(9), "outcome": m.group(10),
                         "took_us": float(m.group(11))})
    return rows


def proof(text):
    """What the inject line wrote: dict with region, address, symbol, offset, old, new (hex
    bytes "0f 0b"); alloc and ipc faults have no address. None if the line was refused."""
    m = re.search(r"^inject: (\w+) in cell (\w+), (\w+), seed (\d+)$", text, re.M)
    if m:
        p = {"region": m.group(3), "address": None, "symbol": "", "offset": None, "old": "",
             "new": ""}
        a = re.search(rf"^  address {ADDR} <(?:[\w.]+:([\w.$]+)\+0x([0-9a-f]+)|[^>]*)>$", text,
                      re.M)
        if a:
            p["address"] = int(a.group(1), 16)
            p["symbol"] = a.group(2) or ""
            p["offset"] = int(a.group(3), 16) if a.group(3) else None
        o = re.search(r"^  old((?: [0-9a-f]{2})+)$", text, re.M)
        n = re.search(r"^  (?:new|to write)((?: [0-9a-f]{2})+)$", text, re.M)
        p["old"] = o.group(1).strip() if o else ""
        p["new"] = n.group(1).strip() if n else ""
        return p
    if re.search(r"^inject: alloc in cell \w+, allocation \d+ from now fails", text, re.M) or \
            re.search(r"^inject: ipc \w+ on cell \w+", text, re.M):
        return {"region": "", "address": None, "symbol": "", "offset": None, "old": "",
                "new": ""}
    return None


def activation(text):
    """(activated, activated_ns, details) from `inject status`: details adds what the status
    names of the activation (an allocation's caller symbol, an IPC word's old and new)."""
    m = re.search(r"^  activated at (\d+) ns by task \d+ '[^']*'(.*)$", text, re.M)
    if not m:
        return False, None, {}
    details = {}
    c = re.search(r"caller 0x[0-9a-f]{16} <\w+:([\w.$]+)\+0x([0-9a-f]+)>", m.group(2))
    if c:
        details = {"symbol": c.group(1), "offset": int(c.group(2), 16)}
    w = re.search(r"^  word 0x([0-9a-f]{16}) -> 0x([0-9a-f]{16})", text, re.M)
    if w:
        details = {"old": w.group(1), "new": w.group(2)}
    return True, int(m.group(1)), details


def recovery_us(rows):
    """Fault taken -> the last ladder step done: the first row's time to the end of the last
    ladder step (a step's TOOK is its duration), in microseconds; None without a step."""
    steps = [r for r in rows if r["step"] in LADDER]
    if not rows or not steps:
        return None
    last = steps[-1]
    return round(last["time_us"] + last["took_us"] - rows[0]["time_us"], 3)


def classify(kind, workload_text, rows, golden, activated, crashed=False, hung=False):
    """(outcome, step, digest, why) of a trial. kind: "fault" or "control"; rows: fault_rows()
    of the trial's fault log; golden: the workload's golden digest."""
    if crashed:
        return "crash", "", "", "crash"
    if hung:
        return "hang", "", "", "timeout"
    m = DIGEST.search(workload_text)
    digest = m.group(4) if m else ""
    err = WORKLOAD_ERROR.search(workload_text)
    detected = bool(rows) or err is not None
    golden_ok = digest == golden and err is None
    steps = [r["step"] for r in rows]
    why = err.group(0) if err else ("workload done" if digest else "no digest")
    if detected:
        if golden_ok and "give_up" not in steps:
            done = [s for s in steps if s in LADDER]
            return "recovered", max(done, key=LADDER.index) if done else "", digest, why
        return "detected_failed", "give_up" if "give_up" in steps else "", digest, why
    if not golden_ok:
        return "sdc", "", digest, why
    if kind == "control":
        return "no_effect", "", digest, why
    return ("masked" if activated else "not_activated"), "", digest, why
