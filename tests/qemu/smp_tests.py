#!/usr/bin/env python3
"""QEMU system tests of SMP bring-up (docs/smp.md): the CPUs the MADT lists come online at
-smp 1, 2 and 4, the cpus= boot option uses fewer and refuses bad values, every CPU's own timer
ticks, cpu_call runs on every other CPU, `cpus --stop N` times stopping the world, and a fault
on CPU 1 gets a report that names it while the other CPUs stop.

    smp_tests.py --build DIR [--workdir DIR] CASE...
    smp_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import EXIT_FAILURE, EXIT_SUCCESS, KeelShell, KeelVM, run_cases  # noqa: E402
from checks import check  # noqa: E402

ROW = re.compile(r"^\s+(\d+)\s+(\d+)\s+(online|offline)\s+(\d+)\s+(\d+)$")


def cpus(sh):
    """`cpus`: (the count it announces, the CPU it ran on, [(index, apic, state, ticks, calls)])."""
    out = sh.run("cpus")
    lines = out.splitlines()
    m = re.fullmatch(r"(\d+) CPUs? online; this command ran on CPU (\d+)", lines[0])
    check(m, "cpus: bad first line", out)
    check(lines[1] == "scheduler policy: priority (the sched cell)", "cpus: bad policy line", out)
    check(lines[2].split() == ["CPU", "APIC", "STATE", "TICKS", "CALLS"], "cpus: bad header", out)
    rows = []
    for line in lines[3:]:
        r = ROW.match(line)
        check(r, f"cpus: bad row {line!r}", out)
        rows.append((int(r.group(1)), int(r.group(2)), r.group(3), int(r.group(4)),
                     int(r.group(5))))
    n = int(m.group(1))
    check(len(rows) == n and [r[0] for r in rows] == list(range(n)), "cpus: rows", out)
    return n, int(m.group(2)), rows


def online(build, workdir, smp, cmdline=""):
    with KeelShell(build, cmdline=cmdline, workdir=workdir, smp=smp) as sh:
        n, _, rows = cpus(sh)
        check(all(r[2] == "online" for r in rows), "a CPU is not online", rows)
        check(len({r[1] for r in rows}) == n, "two CPUs with one APIC id", rows)
        log = sh.vm.text()  # the boot log, as the console showed it
        check(re.search(rf"smp: {n} CPUs? online", log), "no smp line in the boot log", log)
        return n, rows, log


def case_one(build, workdir):
    """-smp 1: one CPU, no other to start, and nothing said about it but the count."""
    n, rows, log = online(build, workdir, 1)
    check(n == 1, f"{n} CPUs at -smp 1")
    check(not re.search(r"smp: .*(refused|did not start|no memory)", log), "smp complained", log)


def case_two(build, workdir):
    """-smp 2: both CPUs online with their own APIC ids."""
    n, _, _ = online(build, workdir, 2)
    check(n == 2, f"{n} CPUs at -smp 2")


def case_four(build, workdir):
    """-smp 4: four CPUs online."""
    n, _, _ = online(build, workdir, 4)
    check(n == 4, f"{n} CPUs at -smp 4")


def case_stop_bench(build, workdir):
    """`cpus --stop N --json` at -smp 2 stops the world N times and prints the round trips'
    distribution (min <= median <= p99 <= max, all positive; no value asserted) and a JSON line
    naming 2 CPUs; bad arguments are refused with the usage."""
    import json
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        out = sh.run("cpus --stop 20 --json")
        check(re.search(r"^world stop \+ resume, 2 CPUs, 20 rounds: min [\d.]+ us, median "
                        r"[\d.]+ us, p99 [\d.]+ us, max [\d.]+ us", out, re.M),
              "cpus --stop: no summary line", out)
        lines = [ln for ln in out.splitlines() if ln.startswith('{"world_stop"')]
        check(len(lines) == 1, "cpus --stop --json: no JSON line", out)
        w = json.loads(lines[0])["world_stop"]
        check(w["cpus"] == 2 and w["n"] == 20 and w["timeouts"] >= 0, "cpus --stop: JSON", out)
        check(0 < w["min_ns"] <= w["median_ns"] <= w["p99_ns"] <= w["max_ns"],
              "cpus --stop: the distribution is out of order", out)
        for bad, why in (("--stop", "--stop needs a number of rounds"),
                         ("--stop 0", "--stop needs a number of rounds from 1 to 100000"),
                         ("--json", "--json goes with --stop N"), ("x", "too many arguments")):
            out = sh.run(f"cpus {bad}")
            check(f"cpus: {why}\n" in out and "usage: cpus [--stop N [--json]]" in out
                  and "exit status 2" in out, f"cpus {bad}: not refused", out)


def case_cpus_option(build, workdir):
    """cpus=3 at -smp 4 starts three; cpus=1 starts none."""
    n, _, _ = online(build, workdir, 4, "cpus=3")
    check(n == 3, f"{n} CPUs with cpus=3")
    n, _, _ = online(build, workdir, 4, "cpus=1")
    check(n == 1, f"{n} CPUs with cpus=1")


def case_cpus_option_bad(build, workdir):
    """cpus=0, cpus=17 and cpus=two are refused with a warning, and every CPU is used."""
    for bad in ("0", "17", "two"):
        n, _, log = online(build, workdir, 2, f"cpus={bad}")
        check(n == 2, f"{n} CPUs with cpus={bad}")
        check("cpus must be a number from 1 to 16; using every CPU" in log,
              f"no warning for cpus={bad}", log)


def case_ticks(build, workdir):
    """Every CPU's own timer ticks: each CPU's count grows between two looks."""
    with KeelShell(build, workdir=workdir, smp=2) as sh:
        _, _, first = cpus(sh)
        sh.run_until("cpus", lambda out: all(
            int(ROW.match(line).group(4)) > first[i][3]
            for i, line in enumerate(out.splitlines()[3:])), what="every CPU ticking")


def case_cpucall(build, workdir):
    """selftest=cpucall at -smp 4: a call runs on each other CPU and only there; a call to this
    CPU, to no CPU or with no function is refused, and a second call while one runs is busy."""
    with KeelVM(os.path.join(build, "keel.elf"), "selftest=cpucall panic=exit after-ready=exit",
                workdir=workdir, smp=4) as vm:
        vm.start()
        vm.expect(r"selftest: 4 CPUs online")
        vm.expect(r"selftest cpucall: ok")
        vm.expect_exit(EXIT_SUCCESS)
        vm.forbid(r"check failed|PANIC")


def case_world_stop(build, workdir):
    """selftest=worldstop at -smp 1, 2 and 4: 100 stops of the world with every other CPU
    parked; a CPU kept busy with interrupts off makes a stop fail after its timeout, naming
    that CPU, and the next stop works."""
    for smp in (1, 2, 4):
        with KeelVM(os.path.join(build, "keel.elf"),
                    "selftest=worldstop panic=exit after-ready=exit", workdir=workdir,
                    smp=smp) as vm:
            vm.start()
            vm.expect(rf"selftest: 100 stops of {smp} CPUs, a busy CPU refused in time")
            vm.expect(r"selftest worldstop: ok")
            vm.expect_exit(EXIT_SUCCESS)
            vm.forbid(r"check failed|PANIC")


def case_tlb_remap(build, workdir):
    """selftest=tlbremap at -smp 2: a page mapped again on a CPU that still holds the old
    translation (the other CPU unmapped it with interrupts off, as the scheduler frees a dead
    task's stack) reads the new frame, not the old one."""
    with KeelVM(os.path.join(build, "keel.elf"), "selftest=tlbremap panic=exit after-ready=exit",
                workdir=workdir, smp=2) as vm:
        vm.start()
        vm.expect(r"selftest: CPU 1 read 0x1d01d01d01d01d0 before and 0xe90e90e90e90e90 after")
        vm.expect(r"selftest tlbremap: ok")
        vm.expect_exit(EXIT_SUCCESS)
        vm.forbid(r"check failed|PANIC")


def case_ap_fault(build, workdir):
    """A fault in core code on CPU 1: the panic report names CPU 1 and the function, and the
    system stops (exit with the failure code)."""
    with KeelVM(os.path.join(build, "keel.elf"), "selftest=apfault panic=exit after-ready=exit",
                workdir=workdir, smp=2) as vm:
        vm.start()
        vm.expect(r"selftest: CPU 1 reads address 0x8")
        vm.expect(r"CPU exception 14 \(#PF page fault\) in the nano-core")
        vm.expect(r"cr2 0x0000000000000008, CPU 1")
        vm.expect(r"not contained: in a cpu_call function \(interrupt context, no task to blame\)")
        vm.expect(r"#0  0x[0-9a-f]+ read_null\+0x")
        vm.expect(r"end of panic report\n")
        vm.expect_exit(EXIT_FAILURE)
        vm.forbid(r"survived a fault")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
