#!/usr/bin/env python3
"""QEMU system tests of the injector's exception and loop models, its triggers (--after-calls,
--after-us), `keelctl inject` and the same seed on two boots (docs/fault-injection.md), on the
test cell injtarget (cells/injtarget: `run injtarget` calls injtarget_live once).

    inject_models_tests.py --build DIR [--workdir DIR] CASE...
    inject_models_tests.py --list
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, has, hasnt, ok  # noqa: E402
from keelctlrun import KeelCtl  # noqa: E402
from keelvm import PROMPT, KeelShell, run_cases  # noqa: E402

ADDR = r"0x[0-9a-f]{16}"
BYTES = r"(?: [0-9a-f]{2})+"
ACTIVATED = rf"^  activated at (\d+) ns by task (\d+) '([^']+)', rip ({ADDR})$"


def hexbytes(s):
    return [int(b, 16) for b in s.split()]


def head(out):
    """Model, cell, address, symbol, offset and old bytes of an injection's proof."""
    m = has(out, r"^inject: (\w+) in cell (\w+), (text|rodata|data|heap|stack), seed (\d+)\n"
                 rf"  address ({ADDR}) <(?:\w+:(\w+)\+0x([0-9a-f]+)|[^>]+)>\n  old({BYTES})$")
    return {"model": m.group(1), "cell": m.group(2), "region": m.group(3),
            "addr": int(m.group(5), 16), "symbol": m.group(6),
            "offset": int(m.group(7), 16) if m.group(7) else None, "old": hexbytes(m.group(8))}


def applied(out):
    p = head(out)
    p["new"] = hexbytes(has(out, rf"^  new({BYTES})$").group(1))
    m = has(out, rf"^  watch (execute|read/write) ({ADDR}), (\d) bytes?$")
    p["watch"], p["watch_addr"] = m.group(1), int(m.group(2), 16)
    return p


def restore(sh, p):
    out = sh.run("inject restore")
    has(out, rf"^inject: restored 0x{p['addr']:016x} in cell {p['cell']}$")
    check(hexbytes(has(out, rf"^  now({BYTES})$").group(1)) == p["old"],
          "restore did not bring the old bytes back", out)
    has(sh.run("inject status"), r"^inject: no fault in place$")


def loaded(sh):
    has(sh.run("load injtarget"), r"injtarget")


def case_exception(build, workdir):
    """exception at a function: its entry's two bytes read back as ud2 (0f 0b), an execute
    breakpoint on the entry; not activated until the function runs; then the task that ran it
    faults with #UD at the entry, the breakpoint names it; restore brings the old bytes back
    and the function works again."""
    with KeelShell(build, workdir=workdir) as sh:
        loaded(sh)
        out = sh.run("inject exception injtarget --at injtarget_live")
        p = applied(out)
        check(p["model"] == "exception" and p["symbol"] == "injtarget_live" and
              p["offset"] == 0, "not at the function's entry", out)
        check(p["new"] == [0x0f, 0x0b] and p["old"] != p["new"], "not ud2", out)
        check(p["watch"] == "execute" and p["watch_addr"] == p["addr"], "watch not the entry", out)
        has(sh.run("inject status"), r"^  not activated$")
        out = sh.run("run injtarget")
        has(out, r"^run: injtarget faulted: #UD invalid opcode at injtarget:injtarget_live\+0x0$")
        hasnt(out, r"^injtarget: live")
        m = has(sh.run("inject status"), ACTIVATED)
        check(m.group(3) == "injtarget" and int(m.group(4), 16) == p["addr"],
              "activation not by injtarget at the entry", m.group(0))
        restore(sh, p)
        has(sh.run("run injtarget"), r"^injtarget: live 6$")


def case_loop(build, workdir):
    """loop at a function: jmp . (eb fe) at its entry; the task that calls it spins there (it
    prints nothing) while the host sees the activation over the control channel; restoring the
    bytes (from the host, the shell being busy) lets the spinning task go on: it finishes."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        ctl = KeelCtl(build, sh.vm)
        loaded(sh)
        p = applied(sh.run("inject loop injtarget --at injtarget_live"))
        check(p["new"] == [0xeb, 0xfe] and p["offset"] == 0, "not jmp . at the entry", str(p))
        sh.vm.skip()
        start = sh.vm._pos
        sh.send("run injtarget\r")

        def spinning():
            doc = json.loads(ctl("inject", "status", "--json"))
            return doc if doc["activated"] else None
        doc = sh.vm.wait_until(spinning, 60, "the loop to be entered")
        check(doc["task_name"] == "injtarget" and doc["rip"] == p["addr"] and
              doc["model"] == "loop" and doc["new"] == [0xeb, 0xfe], "activation", doc)
        check(b"injtarget: live" not in sh.vm.output[start:], "the looping task went on",
              sh.vm.output[start:].decode(errors="replace"))
        out = ctl("inject", "restore")
        has(out, rf"^inject: restored 0x{p['addr']:016x} in cell injtarget$")
        sh.expect(r"injtarget: live 6\r?\n")
        sh.expect(re.escape(PROMPT))
        has(sh.run("inject status"), r"^inject: no fault in place$")


def case_after_calls(build, workdir):
    """--after-calls 3 --of injtarget_live: armed, not applied (nothing written: the bytes read
    the same) for two runs, the calls counted; the third call writes ud2 from the #DB handler,
    which runs at once: the third run faults at the entry, activated by that call."""
    with KeelShell(build, workdir=workdir) as sh:
        loaded(sh)
        line = "inject exception injtarget --at injtarget_live --after-calls 3 --of injtarget_live"
        out = sh.run(line)
        p = head(out)
        has(out, r"^  to write 0f 0b$")
        has(out, rf"^  armed, not applied: after 3 calls of injtarget_live \({ADDR}\), 0 so far$")
        hasnt(out, r"^  new")
        refused = sh.run("inject loop injtarget --at injtarget_dead")
        has(refused, r"^inject: a fault is in place at .* \(KE_BUSY\)$")
        for n in (1, 2):
            has(sh.run("run injtarget"), r"^injtarget: live 6$")
            out = sh.run("inject status")
            has(out, rf"^  armed, not applied: after 3 calls of injtarget_live \({ADDR}\), "
                     rf"{n} so far$")
            hasnt(out, r"activated")
        out = sh.run("run injtarget")
        has(out, r"^run: injtarget faulted: #UD invalid opcode at injtarget:injtarget_live\+0x0$")
        out = sh.run("inject status")
        q = applied(out)
        check(q["new"] == [0x0f, 0x0b] and q["old"] == p["old"], "not ud2 read back", out)
        has(out, r"^  applied at \d+ ns by the after-calls trigger$")
        m = has(out, ACTIVATED)
        check(m.group(3) == "injtarget" and int(m.group(4), 16) == p["addr"], "activation", out)
        restore(sh, q)
        has(sh.run("run injtarget"), r"^injtarget: live 6$")


def case_after_us(build, workdir):
    """--after-us: armed, not applied, then (the system's own time: polled, not slept) applied
    by the delay; a bit flip in dead code is then 'not activated'. A trigger cancelled before
    it fires writes nothing: restore says so and the bytes read as before."""
    with KeelShell(build, workdir=workdir) as sh:
        loaded(sh)
        out = sh.run("inject bitflip injtarget --at injtarget_dead --seed 3 --after-us 2000")
        p = head(out)
        has(out, r"^  armed, not applied: after 2000 us$")
        out = sh.run_until("inject status", lambda o: o if re.search(
            r"^  applied at \d+ ns by the after-us trigger$", o, re.M) else None)
        q = applied(out)
        check(q["addr"] == p["addr"] and q["old"] == p["old"], "another place", out)
        check(bin(q["old"][0] ^ q["new"][0]).count("1") == 1, "not one bit", out)
        has(out, r"^  not activated$")
        restore(sh, q)
        out = sh.run("inject word injtarget --at injtarget_limit --value ones --after-us 60000000")
        p = head(out)
        out = sh.run("inject restore")
        has(out, rf"^inject: disarmed: the fault at 0x{p['addr']:016x} in cell injtarget was "
                 r"never applied$")
        check(hexbytes(has(out, rf"^  now({BYTES})$").group(1)) == p["old"], "bytes changed", out)
        has(sh.run("run injtarget"), r"^injtarget: live 6$")


def case_keelctl(build, workdir):
    """keelctl inject takes the shell's words: its proof is the shell's status proof line for
    line; --json has the same values; a bad spec is refused with the parser's message and
    changes nothing; restore from the host."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        ctl = KeelCtl(build, sh.vm)
        loaded(sh)
        out = ctl("inject", "flip", "injtarget", want=1)
        check("unknown fault model 'flip'" in out, "parser's message", out)
        out = ctl("inject", "bitflip", "injtarget", "--at", "nosuch", want=1)
        check("no symbol 'nosuch' in cell 'injtarget' (KE_NOENT)" in out, "injector's message",
              out)
        has(sh.run("inject status"), r"^inject: no fault in place$")
        text = ctl("inject", "word", "injtarget", "--at", "injtarget_limit", "--value", "zero")
        p = applied(text)
        shell = sh.run("inject status")
        check(shell.startswith(text.rstrip("\n")), "keelctl's proof is not the shell's",
              f"{text}\n---\n{shell}")
        has(sh.run("run injtarget"), r"^injtarget: ")
        doc = json.loads(ctl("inject", "status", "--json"))
        m = has(sh.run("inject status"), ACTIVATED)
        check(doc["in_place"] and doc["model"] == "word" and doc["address"] == p["addr"] and
              doc["old"] == p["old"] and doc["new"] == p["new"] and doc["symbol"] == p["symbol"]
              and doc["activated"] and doc["activated_ns"] == int(m.group(1)) and
              doc["task"] == int(m.group(2)) and doc["task_name"] == m.group(3) and
              doc["rip"] == int(m.group(4), 16) and doc["applied"] and doc["trigger"] == "now",
              "JSON and the shell differ", f"{doc}\n{m.group(0)}")
        has(ctl("inject", "restore"), rf"^inject: restored 0x{p['addr']:016x} in cell injtarget$")
        doc = json.loads(ctl("inject", "status", "--json"))
        check(doc == {"action": "status", "in_place": False}, "still in place", doc)


def case_keelctl_families(build, workdir):
    """keelctl inject alloc and inject ipc: the parser's refusals, the armed lines as the shell
    prints them, the activation in --json equal to the shell's status line, restore from the
    host; status and restore find whichever family is in place."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        ctl = KeelCtl(build, sh.vm)
        ok(sh, "workload run storm --rounds 1")
        ok(sh, "load wl_pingpong")
        out = ctl("inject", "alloc", "wl_storm", "--nth", "0", want=1)
        check("bad --nth '0': want a number from 1 to 4294967295" in out, "parser's message", out)
        out = ctl("inject", "alloc", "nosuch", want=1)
        check("no cell 'nosuch' is loaded (KE_NOENT)" in out, "injector's message", out)
        out = ctl("inject", "ipc", "explode", "any", want=1)
        check("unknown IPC fault 'explode'" in out, "parser's message", out)
        has(sh.run("inject status"), r"^inject: no fault in place$")
        # Allocation failure: arm from the host, activate from the shell, read it back as JSON.
        text = ctl("inject", "alloc", "wl_storm", "--nth", "1", "--seed", "4")
        has(text, r"^inject: alloc in cell wl_storm, allocation 1 from now fails, seed 4$")
        check(sh.run("inject status").startswith(text.rstrip("\n")),
              "keelctl's armed lines are not the shell's", text)
        has(ctl("inject", "status"), r"^  not activated \(1 to go\)$")
        has(sh.run("workload run storm --rounds 1"), r"^workload storm: failed: ")
        m = has(sh.run("inject status"), r"^  activated at (\d+) ns by task (\d+) '([^']+)': "
                r"allocation failed, caller (0x[0-9a-f]{16}) <wl_storm:(\w+)\+0x([0-9a-f]+)>$")
        doc = json.loads(ctl("inject", "status", "--json"))
        check(doc["action"] == "status" and doc["in_place"] and doc["model"] == "alloc" and
              doc["cell"] == "wl_storm" and doc["nth"] == 1 and doc["seed"] == 4 and
              doc["activated"] and doc["activated_ns"] == int(m.group(1)) and
              doc["task"] == int(m.group(2)) and doc["task_name"] == m.group(3) and
              doc["caller"] == int(m.group(4), 16) and doc["caller_symbol"] == m.group(5) and
              doc["caller_offset"] == int(m.group(6), 16) and doc["left"] == 0,
              "JSON and the shell differ", f"{doc}\n{m.group(0)}")
        doc = json.loads(ctl("inject", "restore", "--json"))
        check(doc["action"] == "restore" and not doc["in_place"] and doc["model"] == "alloc",
              "restore's JSON", doc)
        has(ctl("inject", "status"), r"^inject: no fault in place$")
        # IPC: a corrupted message, activated by the workload, restored from the host.
        text = ctl("inject", "ipc", "corrupt", "wl_pingpong", "--side", "send", "--nth", "2",
                   "--seed", "7")
        has(text, r"^inject: ipc corrupt on cell wl_pingpong, send, message 2, seed 7\n"
                  r"  armed: the hook counts matching calls from now on$")
        has(sh.run("inject bitflip wl_pingpong --seed 1"), r"\(KE_BUSY\)")
        ok(sh, "workload run pingpong", timeout=60)
        shell = sh.run("inject status")
        check(ctl("inject", "status") == shell.rstrip("\n") + "\n",
              "keelctl's status is not the shell's", shell)
        m = has(shell, r"^  activated at (\d+) ns by task (\d+) '([^']+)', channel "
                       r"(0x[0-9a-f]{16})\n  word 0x([0-9a-f]{16}) -> 0x([0-9a-f]{16}) \(bit (\d+)\)$")
        doc = json.loads(ctl("inject", "status", "--json"))
        check(doc["model"] == "ipc" and doc["kind"] == "corrupt" and doc["side"] == "send" and
              doc["nth"] == 2 and doc["seed"] == 7 and doc["activated"] and
              doc["activated_ns"] == int(m.group(1)) and doc["task"] == int(m.group(2)) and
              doc["task_name"] == m.group(3) and doc["channel"] == int(m.group(4), 16) and
              doc["old_word"] == int(m.group(5), 16) and doc["new_word"] == int(m.group(6), 16)
              and doc["bit"] == int(m.group(7)) and
              doc["old_word"] ^ doc["new_word"] == 1 << doc["bit"],
              "JSON and the shell differ", f"{doc}\n{m.group(0)}")
        has(ctl("inject", "restore"),
            r"^inject: disarmed ipc corrupt on cell wl_pingpong \(activated\)$")
        has(sh.run("inject status"), r"^inject: no fault in place$")
        out = ctl("inject", "restore", want=1)
        check("no fault in place" in out, "restore with nothing in place", out)


def hold_and_hit(sh, ctl, region, extra, pattern_of):
    """`run injtarget hold`, then faults of region from seeds 0, 1, ... (each restored) until
    one lands in the cell's 64 bytes of 0x5a; that one stays. Returns (proof, where it
    landed)."""
    sh.send("run injtarget hold\r")
    m = sh.expect(rf"injtarget: hold heap ({ADDR}) stack ({ADDR})")
    base = int(m.group(1 if region == "heap" else 2), 16)
    for seed in range(64):
        out = ctl("inject", "bitflip", "injtarget", "--region", region, *extra, "--seed",
                  str(seed))
        p = applied(out)
        where = pattern_of(out)
        check(where["task_name"] == "injtarget", "not the cell's task", out)
        check(bin(p["old"][0] ^ p["new"][0]).count("1") == 1, "not one bit", out)
        check(p["watch"] == "read/write" and p["watch_addr"] == p["addr"], "watch", out)
        if base <= p["addr"] < base + 64:
            check(p["old"] == [0x5a], "the cell's byte read back differently", out)
            return p, p["addr"] - base
        has(ctl("inject", "restore"), rf"^inject: restored 0x{p['addr']:016x} in cell injtarget$")
    check(False, f"no seed in 0..63 hit the cell's {region} bytes", "")


def heap_where(out):
    m = has(out, rf"^  address {ADDR} <heap block ({ADDR})\+0x([0-9a-f]+), (\d+) bytes, of task "
                 r"(\d+) '([^']+)'>$")
    return {"block": int(m.group(1), 16), "task_name": m.group(5)}


def stack_where(out):
    m = has(out, rf"^  address {ADDR} <stack of task (\d+) '([^']+)', rsp\+0x[0-9a-f]+ of "
                 r"(\d+) live bytes>$")
    return {"task_name": m.group(2)}


def case_heap(build, workdir):
    """--region heap: a seeded block owned by the cell's task (injtarget's); one bit flipped and
    read back; when the task wakes and reads its block it sees the flipped byte, and the
    watchpoint has recorded the first access; the block freed, restore refuses (nothing
    written into memory that is no longer the block)."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        ctl = KeelCtl(build, sh.vm)
        loaded(sh)
        out = ctl("inject", "word", "injtarget", "--region", "heap", want=1)
        check("no task of cell 'injtarget' runs: no heap block it owns (KE_NOENT)" in out,
              "no task: refused", out)
        p, off = hold_and_hit(sh, ctl, "heap", [], heap_where)
        sh.send("\x03")
        sh.expect(rf"injtarget: heap \+{off} changed: {p['new'][0]:02x}\r?\n")
        sh.expect(r"injtarget: hold done")
        doc = json.loads(ctl("inject", "status", "--json"))
        # The first access is recorded, whoever made it: the cell's read, or (seen in these
        # runs) a read by the ctl task's memcpy while it serves requests.
        check(doc["region"] == "heap" and doc["address"] == p["addr"] and doc["activated"] and
              doc["task_name"] in ("injtarget", "ctl"), "activation", doc)
        out = ctl("inject", "restore", want=1)
        check(f"the heap block 0x{doc['block']:x} was freed: nothing restored" in out,
              "restore after free", out)
        has(ctl("inject", "status"), r"^inject: no fault in place$")


def case_stack(build, workdir):
    """--region stack --task injtarget: a seeded word of its live stack; in the cell's array
    the flipped byte is seen when the task wakes, the watchpoint names it; restore after the
    task ended refuses. A stack fault elsewhere is restored while the task sleeps."""
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        ctl = KeelCtl(build, sh.vm)
        loaded(sh)
        out = ctl("inject", "word", "injtarget", "--region", "stack", "--task", "nosuch", want=1)
        check("no task named 'nosuch' (KE_NOENT)" in out, "unknown task", out)
        p, off = hold_and_hit(sh, ctl, "stack", ["--task", "injtarget"], stack_where)
        sh.send("\x03")
        sh.expect(rf"injtarget: stack \+{off} changed: {p['new'][0]:02x}\r?\n")
        sh.expect(r"injtarget: hold done")
        doc = json.loads(ctl("inject", "status", "--json"))
        check(doc["activated"] and doc["task_name"] == "injtarget", "activation", doc)
        out = ctl("inject", "restore", want=1)
        check("nothing restored" in out, "restore after the task ended", out)


def one_boot(build, workdir, line):
    with KeelShell(build, workdir=workdir) as sh:
        loaded(sh)
        out = sh.run(line)
        p = applied(out)
        run = sh.run("run injtarget")
        st = sh.run("inject status")
        m = re.search(ACTIVATED, st, re.M)
        p["outcome"] = (re.sub(r"\d+ ns|task \d+", "", m.group(0)) if m else
                        has(st, r"^  not activated$").group(0))
        p["run"] = run
        return p


def case_same_seed_two_boots(build, workdir):
    """The same seed on the same image, two boots: the same address, bytes and outcome (the
    run's output, activated or not and where), for a seed-chosen bit flip and branch."""
    for line in ("inject bitflip injtarget --seed 4242",
                 "inject branch injtarget --at injtarget_live --seed 5"):
        a = one_boot(build, workdir, line)
        b = one_boot(build, workdir, line)
        check(a == b, f"'{line}' on two boots: different", f"{a}\n{b}")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
