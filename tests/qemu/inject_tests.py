#!/usr/bin/env python3
"""QEMU system tests of the fault injector from the shell (`inject`, docs/fault-injection.md,
"Injecting a fault"), on the test cell injtarget (cells/injtarget): the proof it prints, the
activation a debug register observes (or not, for dead code), the same fault from the same
seed, NOP-out and branch inversion bytes, restore, and every refusal leaving the bytes as they
were.

    inject_tests.py --build DIR [--workdir DIR] CASE...
    inject_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, has, hasnt  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402

ADDR = r"0x[0-9a-f]{16}"
BYTES = r"(?: [0-9a-f]{2})+"


def proof(out):
    """The proof lines of an injection: model, cell, region, seed, address, symbol, offset, old
    and new bytes (lists of ints), watch kind, address and length."""
    m = re.search(r"^inject: (\w+) in cell (\w+), (text|rodata|data), seed (\d+)\n"
                  rf"  address ({ADDR}) <(\w+):(\w+)\+0x([0-9a-f]+)>\n"
                  rf"  old({BYTES})\n  new({BYTES})\n"
                  rf"  watch (execute|read/write) ({ADDR}), (\d) bytes?$", out, re.M)
    check(m, "no proof in the output", out)
    g = m.groups()
    return {"model": g[0], "cell": g[1], "region": g[2], "seed": int(g[3]),
            "addr": int(g[4], 16), "symbol": g[6], "offset": int(g[7], 16),
            "old": [int(b, 16) for b in g[8].split()], "new": [int(b, 16) for b in g[9].split()],
            "watch": g[10], "watch_addr": int(g[11], 16), "watch_len": int(g[12])}


def inject(sh, line):
    out = sh.run(line)
    hasnt(out, r"exit status")
    return proof(out)


def status(sh):
    return sh.run("inject status")


def restore(sh, p):
    out = sh.run("inject restore")
    has(out, rf"^inject: restored 0x{p['addr']:016x} in cell {p['cell']}$")
    now = [int(b, 16) for b in has(out, rf"^  now({BYTES})$").group(1).split()]
    check(now == p["old"], "restore did not bring the old bytes back", out)


def shell(build, workdir):
    sh = KeelShell(build, workdir=workdir)
    return sh


def loaded(sh):
    has(sh.run("load injtarget"), r"injtarget")


def one_bit(old, new):
    diff = [a ^ b for a, b in zip(old, new)]
    return sum(bin(d).count("1") for d in diff) == 1


def case_dead_code(build, workdir):
    """A bit flip in a function nobody calls: proof printed, one bit differs, never activated
    even after the cell runs."""
    with shell(build, workdir) as sh:
        loaded(sh)
        p = inject(sh, "inject bitflip injtarget --at injtarget_dead --seed 3")
        check(p["symbol"] == "injtarget_dead" and p["region"] == "text", "wrong place", str(p))
        check(len(p["old"]) == 1 and one_bit(p["old"], p["new"]), "not one bit flipped", str(p))
        check(p["watch"] == "execute", "text is watched for execution", str(p))
        has(sh.run("run injtarget"), r"^injtarget: live 6$")
        out = status(sh)
        check(proof(out) == p, "status shows another proof", out)
        has(out, r"^  not activated$")
        restore(sh, p)
        has(status(sh), r"^inject: no fault in place$")


def case_activated_branch(build, workdir):
    """Branch inversion in the function `run injtarget` calls: the condition byte differs in
    its low bit only; the execute breakpoint fires when the task runs it and names the task."""
    with shell(build, workdir) as sh:
        loaded(sh)
        p = inject(sh, "inject branch injtarget --at injtarget_live --seed 1")
        check(p["symbol"] == "injtarget_live", "wrong function", str(p))
        check(len(p["old"]) in (2, 6), "a Jcc is 2 or 6 bytes", str(p))
        cond = 0 if len(p["old"]) == 2 else 1
        check((p["old"][cond] & 0xf0) == (0x70 if cond == 0 else 0x80), "not a Jcc", str(p))
        check(p["new"][cond] == p["old"][cond] ^ 1, "condition byte: low bit not flipped", str(p))
        check(p["new"][:cond] + p["new"][cond + 1:] == p["old"][:cond] + p["old"][cond + 1:],
              "other bytes changed", str(p))
        check(p["watch_addr"] == p["addr"], "the breakpoint is not on the Jcc", str(p))
        has(status(sh), r"^  not activated$")
        out = sh.run("run injtarget")
        has(out, r"^injtarget: big$")  # the inverted condition took the other way
        out = status(sh)
        m = has(out, rf"^  activated at (\d+) ns by task (\d+) '([^']+)', rip ({ADDR})$")
        check(int(m.group(4), 16) == p["addr"], "activated elsewhere than the Jcc", out)
        check(m.group(3) == "injtarget", "not the injtarget task", out)
        restore(sh, p)
        has(sh.run("run injtarget"), r"^injtarget: live 6$")


def case_activated_data(build, workdir):
    """A word of data zeroed: watched for read/write (8 bytes, aligned); the run reads it, so
    the watchpoint records the task, and the zeroed value shows in the output."""
    with shell(build, workdir) as sh:
        loaded(sh)
        p = inject(sh, "inject word injtarget --at injtarget_limit --value zero")
        check(p["region"] == "data" and p["new"] == [0] * 8, "not a zeroed data word", str(p))
        check(p["watch"] == "read/write" and p["watch_len"] == 8 and p["watch_addr"] % 8 == 0,
              "not an aligned 8-byte watchpoint", str(p))
        has(status(sh), r"^  not activated$")
        has(sh.run("run injtarget"), r"^injtarget: live 0$")
        has(status(sh), r"^  activated at \d+ ns by task \d+ 'injtarget', rip 0x")
        restore(sh, p)


def case_same_seed(build, workdir):
    """The same seed, no --at: the same address, old and new bytes, restored in between; a
    NOP-out from a seed likewise."""
    with shell(build, workdir) as sh:
        loaded(sh)
        for line in ("inject bitflip injtarget --seed 12345",
                     "inject word injtarget --region data --seed 99",
                     "inject nop injtarget --at injtarget_dead --seed 5"):
            first = inject(sh, line)
            restore(sh, first)
            second = inject(sh, line)
            restore(sh, second)
            check(first == second, f"'{line}' twice: different faults", f"{first}\n{second}")


def case_nop(build, workdir):
    """NOP-out of one instruction: the new bytes are all 0x90, as many as the instruction the
    decoder found (its first byte where --at points); restore brings it back."""
    with shell(build, workdir) as sh:
        loaded(sh)
        p = inject(sh, "inject nop injtarget --at injtarget_dead+0")
        check(p["offset"] == 0, "not the function's first instruction", str(p))
        check(1 <= len(p["old"]) <= 15 and p["new"] == [0x90] * len(p["old"]),
              "new bytes are not NOPs of the instruction's length", str(p))
        check(p["old"] != p["new"], "nothing changed", str(p))
        restore(sh, p)


def refused(sh, line, message):
    out = sh.run(line)
    has(out, rf"^inject: {message}$")
    has(out, r"^keel: inject: exit status 1$")
    hasnt(out, r"^  address")


def case_refusals(build, workdir):
    """Each refusal prints its reason and changes nothing: no fault in place afterwards, and
    the reference location still holds the bytes it held before."""
    with shell(build, workdir) as sh:
        loaded(sh)
        ref = "inject nop injtarget --at injtarget_flat+0"
        before = inject(sh, ref)
        refused(sh, "inject bitflip injtarget --at injtarget_dead",
                rf"a fault is in place at 0x{before['addr']:x}: restore it first "
                r"\(inject restore\) \(KE_BUSY\)")
        restore(sh, before)
        refused(sh, "inject bitflip nosuchcell", r"no cell 'nosuchcell' is loaded \(KE_NOENT\)")
        refused(sh, "inject bitflip injtarget --at nosuchsym",
                r"no symbol 'nosuchsym' in cell 'injtarget' \(KE_NOENT\)")
        refused(sh, "inject bitflip injtarget --offset 0x10000000",
                r"offset 0x10000000 out of range: the text of 'injtarget' has \d+ bytes "
                r"\(KE_RANGE\)")
        refused(sh, "inject bitflip injtarget --at injtarget_flat+0x10000",
                r"offset 0x10000 out of range: 'injtarget_flat' has \d+ bytes \(KE_RANGE\)")
        refused(sh, "inject branch injtarget --at injtarget_flat",
                r"no conditional jump in injtarget_flat of 'injtarget' \(KE_NOENT\)")
        refused(sh, "inject nop injtarget --region data --offset 0",
                r"nop needs code: the location is in data \(KE_INVAL\)")
        has(sh.run("echo hi"), r"^hi$")  # loads cmd_echo, a cell without data
        refused(sh, "inject bitflip cmd_echo --region data",
                r"cell 'cmd_echo' has no data \(KE_NOENT\)")
        out = sh.run("inject restore")
        has(out, r"^inject: no fault in place$")
        has(status(sh), r"^inject: no fault in place$")
        after = inject(sh, ref)  # read back: the location holds what it held
        check(after == before, "a refusal changed the bytes", f"{before}\n{after}")
        restore(sh, after)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
