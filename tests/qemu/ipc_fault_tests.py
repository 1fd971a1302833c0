#!/usr/bin/env python3
"""QEMU system tests of IPC faults (`inject ipc`, docs/fault-injection.md, "IPC faults"): the 13
faults of the Theseus/MINIX comparison, 7 on the sender side (s1-s7) and 6 on the receiver side
(r1-r6), each armed on the rendezvous ping-pong workload (wl_pingpong) and each with the outcome
its construction gives: recovered by a restart with the golden digest, no effect (a delay), or a
hang that the watchdog ends (the workload task's heartbeat) and a restart recovers. One boot per
case.

    ipc_fault_tests.py --build DIR [--workdir DIR] CASE...
    ipc_fault_tests.py --list
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fault_table, has, hasnt, ok  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402

GOLDEN = "4bfc3b45dc7a7f50"  # pingpong, seed 1, 256 rounds (workload_tests.py)
DIGEST = rf"^workload pingpong seed 1 rounds 256: digest {GOLDEN}$"

# name: (inject arguments, expected outcome, fault the restart follows: (vector, cr2) or None)
#   recovered: the workload task faulted (in the channel code, or on purpose after detecting a
#              lost/duplicated/corrupted message), restarted once, golden digest
#   none:      the fault changed nothing a check can see (a delay), golden digest, no restart
#   hang:      the rendezvous would wait forever: the workload task misses its heartbeat, the
#              watchdog ends it as a hang fault (blocked: charged to its entry cell), it restarts
#              once (cleaning up the stale partner), golden digest
CASES = {
    "s1": ("drop wl_pingpong --side send --nth 1", "hang", ("hang(heartbeat)", None)),
    "s2": ("dup wl_pingpong --side send --nth 1", "recovered", ("#UD(6)", None)),
    "s3": ("corrupt wl_pingpong --side send --nth 2 --seed 7", "recovered", ("#UD(6)", None)),
    "s4": ("corrupt wl_pingpong --side send --nth 1 --seed 3", "recovered", ("#UD(6)", None)),
    "s5": ("delay wl_pingpong --side send --nth 3 --delay-us 20000", "none", None),
    "s6": ("badptr wl_pingpong --side send --nth 1", "recovered", ("#PF(14)", 0x10)),
    "s7": ("pagefault wl_pingpong --side send --nth 1", "recovered", ("#PF(14)", 0x28)),
    "r1": ("drop wl_pingpong --side recv --nth 1", "hang", ("hang(heartbeat)", None)),
    "r2": ("dup wl_pingpong --side recv --nth 2", "recovered", ("#UD(6)", None)),
    "r3": ("corrupt wl_pingpong --side recv --nth 1 --seed 5", "recovered", ("#UD(6)", None)),
    "r4": ("delay wl_pingpong --side recv --nth 2 --delay-us 20000", "none", None),
    "r5": ("badptr wl_pingpong --side recv --nth 2", "recovered", ("#PF(14)", 0x10)),
    "r6": ("pagefault wl_pingpong --side recv --nth 2", "recovered", ("#PF(14)", 0x28)),
}


def activated(sh, kind):
    out = ok(sh, "inject status")
    has(out, rf"^inject: ipc {kind} on cell wl_pingpong")
    has(out, r"^  activated at \d+ ns by task \d+ 'wl_pingpong")
    return out


def run_case(name):
    args, outcome, fault = CASES[name]
    kind = args.split()[0]

    def run(build, workdir):
        with KeelShell(build, workdir=workdir) as sh:
            ok(sh, "load wl_pingpong")
            has(ok(sh, f"inject ipc {args}"), r"^  armed")
            has(ok(sh, "inject status"), r"^  not activated$")
            out = ok(sh, "workload run pingpong", timeout=60)
            has(out, DIGEST)
            if outcome == "hang":
                has(out, r"^keel: task \d+ 'wl_pingpong' hung: no heartbeat for more than "
                    r"1000000 us; ended as a fault of cell wl_pingpong$")
                # The stale partner was joined by the restart: no partner is left behind.
                hasnt(ok(sh, "ps"), r"wl_pingpong")
            faults, _ = fault_table(ok(sh, "faults"))
            if outcome == "none":
                hasnt(out, r"restarted")
                check(not faults, "a delay faults nothing", str(faults))
            else:
                has(out, r"^workload pingpong: restarted 1 time$")
                check(len(faults) == 2 and faults[0]["step"] == "ended" and
                      faults[1]["step"] == "restart", "one fault, one restart", str(faults))
                check(faults[0]["kind"] == fault[0] and faults[0]["cell"] == "wl_pingpong@1",
                      f"fault {fault[0]} charged to wl_pingpong", str(faults))
                if fault[1] is not None:
                    check(int(faults[0]["cr2"], 16) == fault[1], "cr2", str(faults))
            st = activated(sh, kind)
            if kind == "corrupt":
                m = has(st, r"word 0x([0-9a-f]{16}) -> 0x([0-9a-f]{16}) \(bit (\d+)\)")
                check(int(m.group(1), 16) ^ int(m.group(2), 16) == 1 << int(m.group(3)),
                      "one bit inverted", st)
                if name == "s3":  # seeded: pong 1 of seed 1 is fixed, and seed 7 picks bit 23
                    check(m.group(1) == "14b18c8ca601fcc2" and m.group(3) == "23",
                          "seed 7 on pong 1: bit 23 of 14b18c8ca601fcc2", st)
            has(ok(sh, "inject restore"), rf"^inject: disarmed ipc {kind} on cell wl_pingpong "
                r"\(activated\)$")
            has(ok(sh, "inject status"), r"^inject: no fault in place$")
    run.__doc__ = f"{name}: inject ipc {args} -> {outcome}"
    return run


for _name in CASES:
    globals()[f"case_{_name}"] = run_case(_name)


def case_rules(build, workdir):
    """One fault in place (IPC and code faults exclude each other), refusals, same seed same bit."""
    with KeelShell(build, workdir=workdir) as sh:
        ok(sh, "load wl_pingpong")
        ok(sh, "load injtarget")
        out = sh.run("inject ipc drop nosuchcell")
        has(out, r"^inject: no cell 'nosuchcell' is loaded \(KE_NOENT\)$")
        out = sh.run("inject ipc explode any")
        has(out, r"^inject: unknown IPC fault")
        out = sh.run("inject ipc delay any")
        has(out, r"delay wants --delay-us N")
        out = sh.run("inject ipc drop any --nth 0")
        has(out, r"bad --nth")
        has(ok(sh, "inject status"), r"^inject: no fault in place$")
        has(ok(sh, "inject ipc corrupt any --seed 9"), r"^  armed")
        has(sh.run("inject bitflip injtarget --seed 1"), r"an IPC fault is armed.*\(KE_BUSY\)")
        has(sh.run("inject ipc drop any"), r"\(KE_BUSY\)")
        ok(sh, "inject restore")
        ok(sh, "inject bitflip injtarget --seed 1")
        has(sh.run("inject ipc drop any"), r"a fault is in place.*\(KE_BUSY\)")
        ok(sh, "inject restore")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
