#!/usr/bin/env python3
"""QEMU system tests of the shell commands cells, deps, sym, run, load, unload, poweroff and
reboot (docs/shell/commands2.md), typed at the prompt of the default image.

    commands2_tests.py --build DIR [--workdir DIR] CASE...
    commands2_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import PROMPT, KeelShell, run_cases  # noqa: E402
from checks import check, has  # noqa: E402

ADDR = r"0x(ffffffff[0-9a-f]{8})"


def usage_error(sh, line, name, usage):
    """A bad invocation: '<name>: ...', 'usage: <usage>', exit status 2."""
    out = sh.run(line)
    has(out, rf"^{name}: ")
    has(out, rf"^usage: {re.escape(usage)}$")
    has(out, r"exit status 2")
    return out


def case_cells(build, workdir):
    """cells lists every loaded cell with regions, state, dependents and pins."""
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("cells")
        lines = out.splitlines()
        check(re.match(r"NAME\s+VERSION\s+TEXT\s+RODATA\s+DATA\s+STATE\s+DEPENDENTS\s+PINS$",
                       lines[0]), "header line", out)
        def row(name):
            return (r"^" + name + r"\s+1\s+" + ADDR + "-" + ADDR +
                    r"\s+\d+ (?:B|KiB)\s+\d+ (?:B|KiB)\s+(\d+ B|\d+ KiB|-)\s+(\d+)\s+(\d+)$")
        m = re.search(row("hello"), out, re.M)
        check(m, "no hello row", out)
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        check(hi > lo and (hi - lo) % 4096 == 0, "text range of whole pages", out)
        check(m.group(4) == "1" and m.group(5) == "0", "hello: 1 dependent (greeter), no pins", out)
        m = re.search(row("greeter"), out, re.M)
        check(m and m.group(4) == "0", "greeter: no dependents", out)
        # The command's own cell is loaded and pinned by the task running it.
        m = re.search(row("cmd_cells"), out, re.M)
        check(m and m.group(5) == "1", "cmd_cells pinned once by its task", out)
        check(out.index("hello") < out.index("greeter"), "load order", out)
        usage_error(sh, "cells now", "cells", "cells")


def case_deps(build, workdir):
    """deps shows both directions of the dependency graph; unknown cells are errors."""
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("deps hello")
        has(out, r"^hello uses \(\d+ sites?\):$")
        has(out, r"^  core\s+kprintf\s+\d+$")
        has(out, r"^hello is used by \(\d+ sites?\):$")
        has(out, r"^  greeter\s+hello_greet\s+[1-9]\d*$")
        has(out, r"^  greeter\s+hello_greetings\s+[1-9]\d*$")
        used_by = out[out.index("is used by"):]
        check("core" not in used_by, "the core never uses a cell", out)
        out = sh.run("deps greeter")
        has(out, r"^  hello\s+hello_greet\s+[1-9]\d*$")
        has(out, r"^greeter is used by \(0 sites\):\n  \(nothing\)$")
        out = sh.run("deps nosuch")
        has(out, r"^deps: no cell named 'nosuch' is loaded$")
        has(out, r"exit status 1")
        usage_error(sh, "deps", "deps", "deps <cell>")
        usage_error(sh, "deps hello greeter", "deps", "deps <cell>")


def case_sym(build, workdir):
    """sym finds core and cell symbols by name and names addresses, both ways round."""
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("sym kprintf")
        m = re.search(r"^kprintf = " + ADDR + r" \(core, function, size (\d+), exported\)$", out,
                      re.M)
        check(m and int(m.group(2)) > 0, "kprintf in the core", out)
        kp = int(m.group(1), 16)
        out = sh.run(f"sym 0x{kp:016x}")
        has(out, rf"^0x{kp:016x} is kprintf\+0x0$")
        out = sh.run(f"sym {kp + 3:x}")  # plain hex
        has(out, rf"^0x{kp + 3:016x} is kprintf\+0x3$")
        out = sh.run("sym panic")  # in the core's symbol table, not exported
        has(out, r"^panic = " + ADDR + r" \(core, size \d+, not exported\)$")
        out = sh.run("sym hello_greet")
        m = re.search(r"^hello_greet = " + ADDR + r" \(cell hello, function, size (\d+)\)$", out,
                      re.M)
        check(m and int(m.group(2)) > 5, "hello_greet in the hello cell", out)
        hg = int(m.group(1), 16)
        out = sh.run(f"sym 0x{hg + 5:x}")
        has(out, rf"^0x{hg + 5:016x} is hello:hello_greet\+0x5$")
        out = sh.run("sym no_such_symbol")
        has(out, r"^sym: no symbol named 'no_such_symbol' in the core or any loaded cell$")
        has(out, r"exit status 1")
        out = sh.run("sym 0x10")
        has(out, r"^sym: 0x0000000000000010 is not in the core or any loaded cell$")
        has(out, r"exit status 1")
        usage_error(sh, "sym 0xnothex", "sym", "sym <address|name>")
        usage_error(sh, "sym", "sym", "sym <address|name>")


def case_run(build, workdir):
    """run loads a cell if needed and runs <cell>_main as a task with the arguments; a cell
    without a main is an error that names the function run wants, and what run loaded for it
    is unloaded again."""
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("run hello")
        check(out.splitlines() == [
            "run: hello@1 has no hello_main: nothing to run (run needs the cell to export "
            "int hello_main(const void *arg, void *ret))",
            "keel: run: exit status 1"], "hello has no main: an error", out)
        out = sh.run("run salute@1")  # not loaded: run loads it, finds no main, unloads it
        has(out, r"^run: salute@1 has no salute_main: nothing to run ")
        has(out, r"^run: unloaded salute@1 again \(use load to keep a cell loaded\)$")
        has(out, r"^keel: run: exit status 1$")
        check(not re.search(r"^\s*salute\s", sh.run("cells"), re.M), "salute left loaded", out)
        # A command cell is a cell with a main: argv[0] is the cell name, the rest are ours.
        check(sh.run("run cmd_echo Ada") == "Ada", "echo ran with our argument", "")
        out = sh.run("run cmd_echo@1.o a b")
        check(out == "a b", "exact object, already loaded: the same cell runs again", out)
        out = sh.run("cells")
        check(len(re.findall(r"^cmd_echo\s", out, re.M)) == 1, "cmd_echo loaded once", out)
        out = sh.run("run cmd_cells now")
        has(out, r"^cells: takes no arguments$")
        has(out, r"^run: cmd_cells: exit status 2$")
        out = sh.run("run nosuch")
        has(out, r"^run: 'nosuch' is not loaded and there is no nosuch@<version>.o in the ramfs$")
        has(out, r"exit status 1")
        out = sh.run("run hello@7.o")
        has(out, r"^run: hello@1 is loaded, not version 7 \(unload it first\)$")
        # A cell whose init faults: the load is refused with the loader's message.
        out = sh.run("run faulty")
        has(out, r"^run: cell 'faulty': ")
        has(out, r"exit status 1")
        out = sh.run("cells")
        check("faulty" not in out, "faulty was not left loaded", out)
        usage_error(sh, "run", "run", "run <cell|object> [args...]")
        usage_error(sh, "run bad/name", "run", "run <cell|object> [args...]")
        index = open(os.path.join(build, "image", "commands.index")).read()
        for name in ("crash", "spin"):  # the test commands the image must have for what follows
            check(f"{name}\t" in index, f"the {name} test command is not in commands.index", "")
        # A main that faults is reported like the shell reports commands.
        out = sh.run("run cmd_crash")
        has(out, r"^run: cmd_crash faulted: #PF page fault at cmd_crash:cmd_crash_main\+0x")
        has(out, r"exit status 1")
        # Ctrl-C kills run, and run takes the task it started with it.
        sh.send("run cmd_spin\r")
        sh.expect(r"\.\.")
        sh.send("\x03")
        sh.expect(r"\^C\nkeel: run interrupted\n" + re.escape(PROMPT))
        # The spinner dies at its next safe point, on its own time: cells until it shows
        # cmd_spin with no pin left.
        out = sh.run_until("cells", r"^cmd_spin\s.*\s0$",
                           what="the spinning task to end (cmd_spin unpinned)").string
        check("cmd_spin" not in sh.run("ps"), "no cmd_spin task left", out)


def case_load_unload(build, workdir):
    """load/unload round trip over the boot cells: greeter depends on hello."""
    with KeelShell(build, workdir=workdir) as sh:
        out = sh.run("load greeter")
        has(out, r"^load: cell 'greeter': already loaded \(version 1\)$")
        has(out, r"exit status 1")
        out = sh.run("unload hello")
        has(out, r"^unload: cell 'hello': .*'greeter'")
        has(out, r"exit status 1")
        out = sh.run("unload greeter")
        check(out == "unloaded greeter", "greeter unloads", out)
        out = sh.run("unload hello")
        check(out.splitlines() == ["hello: exiting after 2 greetings", "unloaded hello"],
              "hello unloads once nobody uses it (its exit runs)", out)
        out = sh.run("cells")
        check(not re.search(r"^(hello|greeter) ", out, re.M), "both gone from cells", out)
        out = sh.run("deps hello")
        has(out, r"^deps: no cell named 'hello' is loaded$")
        out = sh.run("unload hello")
        has(out, r"^unload: no cell named 'hello' is loaded$")
        out = sh.run("load greeter")  # needs hello
        has(out, r"^load: cell 'greeter': undefined symbol 'hello_greet")
        has(out, r"exit status 1")
        out = sh.run("load hello")
        lines = out.splitlines()
        check(lines[0] == "hello: cell initialised (version 1)", "init ran", out)
        check(re.match(r"loaded hello@1 from hello@1\.o: text " + ADDR +
                       r" \(\d+ KiB\), rodata \d+ (?:B|KiB), data \d+ (?:B|KiB), \d+ relocations$",
                       lines[1]), "the line keelctl load prints too", out)
        out = sh.run("load greeter@1.o")
        has(out, r"^hello: hello, world! \(greeting 1\)$")
        has(out, r"^greeter: hello has greeted 2 times$")
        has(out, r"^loaded greeter@1 from greeter@1\.o: text ")
        has(sh.run("deps hello"), r"^  greeter\s+hello_greet\s+\d+$")
        out = sh.run("load nosuch")
        has(out, r"^load: no object for cell 'nosuch' in the ramfs")
        out = sh.run("load nosuch@1.o")
        has(out, r"^load: no object named 'nosuch@1.o' in the ramfs$")
        out = sh.run("unload cmd_unload")
        has(out, r"^unload: cell 'cmd_unload': pinned by 1 task$")
        usage_error(sh, "load", "load", "load <object|cell>")
        usage_error(sh, "load a/b", "load", "load <object|cell>")
        usage_error(sh, "unload", "unload", "unload <cell>")
        usage_error(sh, "unload a b", "unload", "unload <cell>")


def case_poweroff(build, workdir):
    """poweroff switches the machine off through ACPI: QEMU exits with status 0."""
    with KeelShell(build, workdir=workdir) as sh:
        usage_error(sh, "poweroff now", "poweroff", "poweroff")
        sh.send("poweroff\r")
        sh.expect(r"poweroff: powering off")
        sh.vm.expect_exit(0)


def case_reboot(build, workdir):
    """reboot resets the machine (the tests run QEMU with -no-reboot, so it exits with 0)."""
    with KeelShell(build, workdir=workdir) as sh:
        usage_error(sh, "reboot now", "reboot", "reboot")
        sh.send("reboot\r")
        sh.expect(r"reboot: restarting")
        sh.vm.expect_exit(0)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="build"))
