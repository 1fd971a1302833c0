#!/usr/bin/env python3
"""QEMU system tests of the shell commands help, echo, uptime, ps, kill, mem, log, faults, ls and
cat (docs/shell/commands1.md) and of the ramfs cell behind ls and cat, typed at the prompt of the
default image. Tables are parsed and checked against each other and against the build (the boot
modules, commands.index); every error path is checked for its message, usage line and status.

    commands1_tests.py --build DIR [--workdir DIR] CASE...
    commands1_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import KeelShell, image_modules, run_cases  # noqa: E402
from checks import FAULTS_HEADER, check  # noqa: E402

UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
SIZE = r"\d+ (?:B|KiB|MiB|GiB|TiB)"


def size_bytes(text):
    """'12 KiB' -> 12288 (format_size output is exact, never rounded)."""
    num, unit = text.split()
    return int(num) * UNITS[unit]


def error(sh, line, name, problem, usage, status):
    """A failing invocation: '<name>: <problem>', then for a usage error (status 2) 'usage:
    <usage>', then the shell's report of the exit status; nothing else. Runtime failures
    (status 1) print no usage line."""
    out = sh.run(line)
    lines = out.splitlines()
    want = 3 if status == 2 else 2
    check(len(lines) == want, f"'{line}': expected {want} lines", out)
    check(re.fullmatch(rf"{name}: {problem}", lines[0]), f"'{line}': bad error line", out)
    if status == 2:
        check(lines[1] == f"usage: {usage}", f"'{line}': bad usage line", out)
    check(lines[-1] == f"keel: {name}: exit status {status}", f"'{line}': bad status", out)
    return out


def command_index(build):
    """commands.index of the build: {name: (usage, summary)}."""
    index = {}
    with open(os.path.join(build, "image", "commands.index")) as f:
        for line in f:
            if line.strip():
                name, usage, summary, _obj = line.rstrip("\n").split("\t")
                index[name] = (usage, summary)
    return index


def table(out, header):
    """Rows of a table whose header line matches the regex header: lists of the text in the
    column spans of the header (the last column takes the rest of the line)."""
    lines = out.splitlines()
    at = next((i for i, l in enumerate(lines) if re.fullmatch(header, l)), None)
    check(at is not None, f"no table header /{header}/", out)
    return lines[at], lines[at + 1:]


def parse_ps(out):
    hdr, rows = table(out, r"\s+ID  NAME\s+STATE\s+PRIO\s+CPU\(ms\)  SWITCHES  CELL")
    tasks = []
    for row in rows:
        m = re.fullmatch(r"\s*(\d+)  (\S+)\s+(ready|running|blocked|sleeping|dead)\s+(\d)"
                         r"\s+(\d+)\.(\d{3})\s+(\d+)  (\S+)", row)
        check(m, f"bad ps row {row!r}", out)
        tasks.append({"id": int(m.group(1)), "name": m.group(2), "state": m.group(3),
                      "prio": int(m.group(4)), "cpu_us": int(m.group(5)) * 1000 + int(m.group(6)),
                      "switches": int(m.group(7)), "cell": m.group(8)})
    return tasks


def parse_mem(out):
    m = re.search(rf"^physical: ({SIZE}) total, ({SIZE}) free$", out, re.M)
    check(m, "no physical line", out)
    phys = (size_bytes(m.group(1)), size_bytes(m.group(2)))
    m = re.search(rf"^heap: ({SIZE}) in use, ({SIZE}) from pages, (\d+) owners$", out, re.M)
    check(m, "no heap line", out)
    heap = (size_bytes(m.group(1)), size_bytes(m.group(2)), int(m.group(3)))
    _, rows = table(out, r"OWNER\s+IN-USE\s+PEAK\s+QUOTA\s+ALLOCS\s+FAILED")
    owners = []
    for row in rows:
        m = re.fullmatch(rf"(core|loader|ramfs|task \d+ \S+|task \d+ \(ended\)|owner 0x[0-9a-f]{{8}})\s+"
                         rf"({SIZE})\s+({SIZE})\s+({SIZE}|none)\s+(\d+)\s+(\d+)", row)
        check(m, f"bad mem row {row!r}", out)
        owners.append({"owner": m.group(1), "in_use": size_bytes(m.group(2)),
                       "peak": size_bytes(m.group(3)),
                       "quota": None if m.group(4) == "none" else size_bytes(m.group(4)),
                       "allocs": int(m.group(5)), "failed": int(m.group(6))})
    return phys, heap, owners


def parse_uptime(out):
    m = re.fullmatch(r"up (\d+):(\d\d):(\d\d)\.(\d{3}), (\d+) ticks at (\d+) Hz, (\d+) tasks, "
                     r"(\d+) cells loaded", out)
    check(m, "bad uptime line", out)
    h, mi, s, ms, ticks, hz, tasks, cells = map(int, m.groups())
    check(mi < 60 and s < 60, "minutes/seconds out of range", out)
    return {"ms": ((h * 60 + mi) * 60 + s) * 1000 + ms, "ticks": ticks, "hz": hz,
            "tasks": tasks, "cells": cells}


# ---- the cases ---------------------------------------------------------------------------------

def case_help(build, workdir):
    """help lists every command of commands.index with its summary, sorted; help <cmd> shows
    one; unknown commands and extra arguments are usage errors."""
    index = command_index(build)
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("help")
        lines = out.splitlines()
        check(lines[0] == f"{len(index)} commands (help <command> shows its usage):",
              "bad help title", out)
        listed = []
        for line in lines[1:]:
            m = re.fullmatch(r"  (\S+)\s+(.*)", line)
            check(m, f"bad help line {line!r}", out)
            listed.append(m.group(1))
            check(m.group(2) == index.get(m.group(1), (None, None))[1],
                  f"summary of {m.group(1)} differs from commands.index", out)
        check(listed == sorted(index), "help does not list every command, sorted", out)
        for name in ("cat", "kill", "help"):
            out = sh.run(f"help {name}")
            usage, summary = index[name]
            check(out.splitlines() == [f"usage: {usage}", f"  {summary}"], f"help {name}", out)
        error(sh, "help nosuch", "help", "no such command 'nosuch'", "help [command]", 2)
        error(sh, "help cat ls", "help", "too many arguments", "help [command]", 2)


def case_echo(build, workdir):
    """echo joins its arguments with one space (the shell has split and unquoted them)."""
    with KeelShell(build, workdir=workdir) as sh:
        check(sh.run("echo hello") == "hello", "echo hello", sh.run("echo hello"))
        out = sh.run("echo  a   b    c ")
        check(out == "a b c", "arguments joined by one space", out)
        out = sh.run("echo 'x  y' \"z\"")
        check(out == "x  y z", "quoted argument kept whole", out)
        out = sh.run("echo")
        check(out == "", "echo alone prints an empty line", out)


def case_uptime(build, workdir):
    """uptime grows, agrees with the timer's ticks and rate, counts the tasks as ps does and
    counts a newly loaded command cell."""
    with KeelShell(build, workdir=workdir) as sh:
        first = parse_uptime(sh.run("uptime"))
        check(first["hz"] > 0 and first["ms"] > 0, "no time or no timer rate", str(first))
        # Asked again until both the clock and the tick count have moved on: that they grow is
        # the point, not by how much in a given time (the host's load decides that).
        def grown(out):
            u = parse_uptime(out)
            return u if u["ms"] > first["ms"] and u["ticks"] > first["ticks"] else None

        second = sh.run_until("uptime", grown, what="uptime's clock and ticks to grow")
        check(second["hz"] == first["hz"], "the timer rate changed", f"{first}\n{second}")
        # Ticks at hz never run ahead of the clock (the timer starts a little after it; the TSC
        # is calibrated at boot to within a few per cent). They may fall far behind: QEMU drops
        # timer interrupts while a busy host keeps the guest off the CPU, so there is no lower
        # bound. The generous upper one still catches a unit or rate mix-up.
        tick_ms = second["ticks"] * 1000 // second["hz"]
        check(tick_ms <= 2 * second["ms"] + 1000,
              f"ticks/Hz ({tick_ms} ms) far ahead of the uptime ({second['ms']} ms)", str(second))
        # Both ps and uptime count themselves: the same number of tasks.
        tasks = parse_ps(sh.run("ps"))
        third = parse_uptime(sh.run("uptime"))
        check(third["tasks"] == len(tasks), f"uptime says {third['tasks']} tasks, ps lists "
              f"{len(tasks)}", str(tasks))
        # Running echo loads cmd_echo: one more cell.
        sh.run("echo x")
        fourth = parse_uptime(sh.run("uptime"))
        check(fourth["cells"] == third["cells"] + 1, "loading cmd_echo did not add a cell",
              f"{third}\n{fourth}")
        error(sh, "uptime now", "uptime", "too many arguments", "uptime", 2)


def case_ps(build, workdir):
    """ps lists the tasks in id order: the idle task, the shell waiting for ps, ps itself
    running in its cell; a second ps shows the shell's switch count grown."""
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("ps")
        tasks = parse_ps(out)
        ids = [t["id"] for t in tasks]
        check(ids == sorted(set(ids)), "ids not unique and ascending", out)
        by_name = {t["name"]: t for t in tasks}
        idle = by_name.get("idle")
        check(idle and idle["id"] == 2 and idle["prio"] == 0 and idle["cell"] == "core",
              "idle task (id 2, priority 0, core) missing", out)
        shell = by_name.get("shell")
        # With several CPUs ps may start on another one before the shell blocks to wait for it.
        check(shell and shell["cell"] == "shell" and shell["state"] in ("blocked", "sleeping") +
              (("running",) if sh.vm.smp > 1 else ()),
              "the shell task (cell shell, waiting for ps) missing", out)
        me = by_name.get("ps")
        check(me and me["state"] == "running" and me["cell"] == "cmd_ps",
              "the ps task (running, cell cmd_ps) missing", out)
        check(me["id"] == max(ids), "ps is not the newest task", out)
        check(1 not in ids, "the boot task (1) should have ended", out)
        for t in tasks:
            # One idle task per CPU: idle (CPU 0), idle1, idle2...
            check(1 <= t["prio"] <= 7 or re.fullmatch(r"idle\d*", t["name"]),
                  f"priority of {t['name']}", out)
        out2 = sh.run("ps")
        tasks2 = {t["name"]: t for t in parse_ps(out2)}
        check(tasks2["shell"]["id"] == shell["id"], "the shell task changed", out2)
        check(tasks2["shell"]["switches"] > shell["switches"], "shell switches did not grow",
              out + "\n" + out2)
        check(tasks2["shell"]["cpu_us"] >= shell["cpu_us"], "shell CPU time went back",
              out + "\n" + out2)
        check(tasks2["ps"]["id"] > me["id"], "a second ps is a new task", out2)
        error(sh, "ps -a", "ps", "too many arguments", "ps", 2)


def case_kill_errors(build, workdir):
    """kill refuses missing, extra and non-numeric arguments (status 2), the idle task, ended
    and unknown tasks (status 1)."""
    with KeelShell(build, workdir=workdir) as sh:
        u = "kill <id>"
        error(sh, "kill", "kill", "missing task id", u, 2)
        error(sh, "kill 3 4", "kill", "too many arguments", u, 2)
        error(sh, "kill abc", "kill", "'abc' is not a task id", u, 2)
        error(sh, "kill -5", "kill", "'-5' is not a task id", u, 2)
        error(sh, "kill 0", "kill", "'0' is not a task id", u, 2)
        error(sh, "kill 99999999999999999999999", "kill",
              "'99999999999999999999999' is not a task id", u, 2)
        error(sh, "kill 2", "kill",
              r"task 2 \(idle\) cannot be killed: it is one of the core's own tasks", u, 1)
        error(sh, "kill 1", "kill", "no such task 1", u, 1)  # boot: ended after the ready line
        error(sh, "kill 4000000", "kill", "no such task 4000000", u, 1)
        # The idle task survived: ps still lists it.
        check(any(t["name"] == "idle" for t in parse_ps(sh.run("ps"))), "idle gone")


def case_kill_task(build, workdir):
    """kill of a live task: the shell itself. kill reports it, and the shell comes back: the
    killed shell task starts a new one, which says so, waits for kill to end, shows a prompt and
    runs commands. The old task is gone (ps), the new one is the shell, with the history kept."""
    with KeelShell(build, workdir=workdir) as sh:
        sh.run("echo before")
        shell = next(t for t in parse_ps(sh.run("ps")) if t["name"] == "shell")
        out = sh.run(f"kill {shell['id']}")
        check(re.search(rf"^killed task {shell['id']} \(shell\)$", out, re.M), "kill's report",
              out)
        m = re.search(rf"^keel: the shell \(task {shell['id']}\) was killed; a new shell runs as "
                      r"task (\d+)$", out, re.M)
        check(m, "the new shell did not say it runs", out)
        check(sh.run("echo alive") == "alive", "the new shell does not run commands")
        tasks = parse_ps(sh.run("ps"))
        shells = [t for t in tasks if t["name"] == "shell"]
        check([t["id"] for t in shells] == [int(m[1])], "not exactly the new shell task",
              str(tasks))
        # The history came along: five lines back is the one typed to the killed shell.
        check(sh.run("\x1b[A" * 5) == "before", "the history did not come along")
        # Killed again (now while idle at the prompt, from a second kill): it comes back again.
        out = sh.run(f"kill {m[1]}")
        check(re.search(rf"^keel: the shell \(task {m[1]}\) was killed", out, re.M),
              "the second kill did not restart the shell", out)
        check(sh.run("echo again") == "again", "the third shell does not run commands")
        sh.vm.forbid(r"PANIC")


def case_mem(build, workdir):
    """mem: physical and heap totals, one row per owner; the rows add up to the heap's totals,
    the core and mem itself (holding its table) are owners, task rows name live tasks, in-use
    never exceeds peak."""
    with KeelShell(build, workdir=workdir) as sh:
        live = {t["id"]: t["name"] for t in parse_ps(sh.run("ps"))}
        out = sh.run("mem")
        (total, free), (in_use, from_pages, nowners), owners = parse_mem(out)
        check(0 < free <= total, "physical free not within total", out)
        check(total >= 200 << 20, "less than 200 MiB of RAM managed (the VM has 256)", out)
        check(0 < in_use <= from_pages, "heap in use not within the pages it holds", out)
        names = [o["owner"] for o in owners]
        check(names[0] == "core", "core is not the first owner", out)
        mine = [o for o in owners if re.fullmatch(r"task \d+ mem", o["owner"])]
        check(len(mine) == 1 and mine[0]["in_use"] >= 16 * 1024,
              "mem's own task (holding its table of owners) not listed", out)
        mem_id = int(mine[0]["owner"].split()[1])
        check(mem_id > max(live), "mem is not a new task", out)
        for o in owners:
            check(o["in_use"] <= o["peak"], f"{o['owner']}: in use above peak", out)
            check(o["in_use"] == 0 or o["allocs"] > 0, f"{o['owner']}: memory without allocs",
                  out)
            check(o["in_use"] % 16 == 0, f"{o['owner']}: charge not a multiple of 16", out)
            m = re.fullmatch(r"task (\d+) (\S+)", o["owner"])
            if m and int(m.group(1)) != mem_id:
                check(live.get(int(m.group(1))) == m.group(2),
                      f"{o['owner']} is not a task ps listed", out)
        check(sum(o["in_use"] for o in owners) == in_use,
              f"rows add up to {sum(o['in_use'] for o in owners)}, heap says {in_use}", out)
        check(sum(1 for o in owners if o["in_use"]) == nowners,
              "owner count differs from the rows holding memory", out)
        # The table is freed with mem: a second run shows the first mem task gone.
        out2 = sh.run("mem")
        check(not re.search(rf"^task {mem_id} ", out2, re.M), "the first mem task is listed",
              out2)
        error(sh, "mem x", "mem", "too many arguments", "mem", 2)


LOG_LINE = r"\[\s*(\d+)\.(\d{6})\] (debug|info|notice|warn|err|crit)\s+(.*)"


def parse_log(out):
    recs = []
    for line in out.splitlines():
        m = re.fullmatch(LOG_LINE, line)
        check(m, f"bad log line {line!r}", out)
        recs.append((int(m.group(1)) * 1000000 + int(m.group(2)), m.group(3), m.group(4)))
    stamps = [r[0] for r in recs]
    check(stamps == sorted(stamps), "timestamps go back", out)
    return recs


def case_log(build, workdir):
    """log shows the newest records (20 by default, n on request) with timestamps and levels;
    they include the boot's own records; bad counts are usage errors."""
    with KeelShell(build, workdir=workdir) as sh:
        everything = parse_log(sh.run("log 100000"))
        check(len(everything) > 25, "fewer than 25 records after boot", str(everything))
        texts = [r[2] for r in everything]
        check(any(re.fullmatch(r"ramfs: \d+ files from boot modules, \d+ bytes", t)
                  for t in texts), "the ramfs init record is not in the log", "\n".join(texts))
        check(any(t.startswith("loaded shell@1 from shell@1.o:") for t in texts), "no record of the shell cell",
              "\n".join(texts))
        # Commands may add records between runs (task ends are logged at debug level), so each
        # window is checked against a full listing taken after it.
        for line, n in (("log", 20), ("log 5", 5), ("log 1", 1)):
            got = parse_log(sh.run(line))
            after = parse_log(sh.run("log 100000"))
            check(len(got) == n, f"'{line}' printed {len(got)} records, not {n}", str(got))
            starts = [i for i in range(len(after) - n + 1) if after[i:i + n] == got]
            check(starts, f"'{line}' is not a run of consecutive records", str(got))
            check(starts[-1] + n >= len(everything), f"'{line}' is not the newest records",
                  f"{got}\n{everything[-n:]}")
            everything = after
        u = "log [n]"
        for bad in ("x", "0", "-3", "100001", "12abc"):
            error(sh, f"log {bad}", "log", rf"'{re.escape(bad)}' is not a record count "
                  r"\(1 to 100000\)", u, 2)
        error(sh, "log 5 6", "log", "too many arguments", u, 2)


def case_faults(build, workdir):
    """faults: "no faults" after boot; after the crash test command faulted, one record naming
    the task, #PF, the cell and symbol, CR2 0, the cell charged, the step and its outcome;
    --clear empties the log and sequence numbers go on; bad arguments are refused."""
    index = command_index(build)
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("faults")
        check(out == "no faults", "faults after a clean boot", out)
        error(sh, "faults x", "faults", "unknown option 'x'", "faults [--clear]", 2)
        error(sh, "faults --clear x", "faults", "too many arguments", "faults [--clear]", 2)
        if "crash" not in index:
            raise AssertionError("the crash test command is not in commands.index")
        sh.run("crash")
        out = sh.run("faults")
        _, rows = table(out, FAULTS_HEADER)
        check(len(rows) == 1, "one fault expected", out)
        m = re.fullmatch(r"\s*1\s+(\d+)\s+(\d+) crash\s+#PF\(14\)\s+(cmd_crash:\S+)"
                         r"\s+0x0000000000000000\s+cmd_crash@1\s+ended\s+ok\s+\d+\.\d{3}", rows[0])
        check(m, f"bad fault row {rows[0]!r}", out)
        sh.run("crash")
        out = sh.run("faults")
        _, rows = table(out, FAULTS_HEADER)
        check(len(rows) == 2 and re.match(r"\s*2\s", rows[1]), "second fault: sequence 2", out)
        ids = [int(re.split(r"\s+", r.strip())[2]) for r in rows]
        check(ids[1] > ids[0], "the second crash is a later task", out)
        check(sh.run("faults --clear") == "faults: cleared 2 record(s)", "faults --clear")
        check(sh.run("faults") == "no faults", "no faults after --clear")
        sh.run("crash")
        _, rows = table(sh.run("faults"), FAULTS_HEADER)
        check(len(rows) == 1 and re.match(r"\s*3\s", rows[0]), "numbers go on after a clear",
              rows)


def case_ls(build, workdir):
    """ls lists exactly the image's boot modules, sorted, with their sizes; cell objects are
    named from their descriptors, the manifest and the command index are text."""
    mods = {}
    for arg in image_modules(build):
        path, name = arg.rsplit("=", 1)
        mods[name] = path
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("ls")
        _, rows = table(out, r"NAME\s+SIZE  KIND")
        listed = []
        for row in rows:
            m = re.fullmatch(rf"(\S+)\s+({SIZE})  (cell \S+@\d+|elf|text|data)", row)
            check(m, f"bad ls row {row!r}", out)
            name, size, kind = m.group(1), size_bytes(m.group(2)), m.group(3)
            listed.append(name)
            check(name in mods, f"{name} is not a boot module", out)
            check(size == os.path.getsize(mods[name]), f"size of {name}", out)
            cell = re.fullmatch(r"(.+)@(\d+)\.o", name)
            if cell:
                check(kind == f"cell {cell.group(1)}@{cell.group(2)}", f"kind of {name}", out)
            elif name in ("boot.manifest", "commands.index"):
                check(kind == "text", f"kind of {name}", out)
            else:  # no row goes unchecked: a new kind of module needs its expectation here
                check(False, f"{name}: the test does not know which kind ls should show", out)
        check(listed == sorted(mods), "ls does not list the boot modules, sorted", out)
        error(sh, "ls /", "ls", "too many arguments", "ls", 2)


def case_cat(build, workdir):
    """cat prints a text file as it is; a binary file, a missing file and bad arguments are
    errors."""
    mods = {a.rsplit("=", 1)[1]: a.rsplit("=", 1)[0] for a in image_modules(build)}
    with KeelShell(build, workdir=workdir) as sh:
        for name in ("boot.manifest", "commands.index"):
            out = sh.run(f"cat {name}")
            want = open(mods[name], encoding="utf-8").read().rstrip()
            check(out == want, f"cat {name} differs from the file", out)
        u = "cat <file>"
        size = os.path.getsize(mods["hello@1.o"])
        error(sh, "cat hello@1.o", "cat", rf"hello@1\.o is binary \({size} bytes\)", u, 1)
        error(sh, "cat nosuch.txt", "cat", "no such file 'nosuch.txt'", u, 1)
        error(sh, "cat", "cat", "missing file name", u, 2)
        error(sh, "cat boot.manifest commands.index", "cat", "too many arguments", u, 2)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
