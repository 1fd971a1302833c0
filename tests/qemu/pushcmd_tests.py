#!/usr/bin/env python3
"""QEMU system tests of command cells pushed at run time (docs/shell/editing.md): the default
image without the fixture command cells of cells/commands/hi (TEST cells), booted with the
control channel; keelctl pushes a fixture, and the shell runs it by name, lists it in help and
completes it with Tab, takes a newer version, and refuses cells with a missing, malformed or
unreadable index record with a clear message.

    pushcmd_tests.py --build DIR [--workdir DIR] CASE...
    pushcmd_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelctlrun import KeelCtl  # noqa: E402
from keelvm import PROMPT, KeelShell, image_modules, run_cases  # noqa: E402
from checks import check, has  # noqa: E402

FIXTURES = ("cmd_hi@1.o", "cmd_hi@2.o", "cmd_norecord@1.o", "cmd_badrecord@1.o")


def booted(build, workdir):
    """The default image minus the fixtures, with the control channel."""
    return KeelShell(build, workdir=workdir, ctl_socket=True,
                     modules=image_modules(build, without=FIXTURES))


def push(build, sh, ctl, obj, name=None):
    extra = ["--name", name] if name else []
    has(ctl("push", os.path.join(build, "cells", obj), *extra),
        rf"^pushed .*{re.escape(obj)} as {re.escape(name or obj)} ")


def case_run(build, workdir):
    """A command cell that is not in the image: unknown until pushed; then it runs by name,
    help lists it and shows its usage, and Tab completes it (first word and after help)."""
    with booted(build, workdir) as sh:
        ctl = KeelCtl(build, sh.vm)
        check(sh.run("hi") == "keel: unknown command 'hi' (type help)", "hi before the push")
        check("hi" not in sh.run("help").split(), "help lists hi before the push")
        push(build, sh, ctl, "cmd_hi@1.o")
        check(sh.run("hi") == "hi there, from cmd_hi version 1", "hi after the push")
        check(sh.run("hi Ada") == "hi Ada, from cmd_hi version 1", "hi with an argument")
        out = sh.run("hi a b")
        check(out.splitlines() == ["hi: expected at most one name", "usage: hi [name]",
                                   "keel: hi: exit status 2"], "hi's usage error", out)
        out = sh.run("help")
        has(out, r"^  hi\s+say hi \(a test fixture, pushed by the tests\)$")
        n = int(has(out, r"^(\d+) commands ")[1])
        check(n == len(out.splitlines()) - 1, "help's count does not include hi", out)
        out = sh.run("help hi")
        check(out == "usage: hi [name]\n  say hi (a test fixture, pushed by the tests)", "help hi",
              out)
        # Tab: "h" now has two matches (help, hi): the second Tab lists both.
        sh.send("h\t\t")
        m = sh.expect(r"\n((?:[^\n]*\n)+?)" + re.escape(PROMPT + "h"))
        check(m.group(1).decode().split() == ["help", "hi"], "the listing for h<Tab><Tab>",
              m.group(1).decode())
        sh.send("\x15")  # Ctrl-U
        check(sh.run("help hi\t") == "usage: hi [name]\n  say hi (a test fixture, pushed by the "
              "tests)", "help hi<Tab>")
        check(sh.run("hi\tBob") == "hi Bob, from cmd_hi version 1", "hi<Tab> completes")
        sh.vm.forbid(r"PANIC|faulted")


def case_newer(build, workdir):
    """A newer version pushed while the older one is loaded: the highest version in the ramfs
    runs (the shell replaces the loaded one and says so), and help shows its record."""
    with booted(build, workdir) as sh:
        ctl = KeelCtl(build, sh.vm)
        push(build, sh, ctl, "cmd_hi@1.o")
        check(sh.run("hi") == "hi there, from cmd_hi version 1", "version 1")
        push(build, sh, ctl, "cmd_hi@2.o")
        out = sh.run("hi")
        check(out.splitlines() == [
            "keel: hi: replaced cmd_hi@1 by cmd_hi@2.o, the highest version in the ramfs",
            "hi there, from cmd_hi version 2"], "version 2 replaces version 1", out)
        check(sh.run("hi") == "hi there, from cmd_hi version 2", "version 2 stays")
        has(sh.run("help"), r"^  hi\s+say hi, version 2 \(a test fixture, pushed by the tests\)$")
        has(sh.run("cells"), r"^\s*cmd_hi\s+2\s")
        sh.vm.forbid(r"PANIC|faulted")


def case_bad_records(build, workdir):
    """Command cells whose record is missing, malformed or unreadable (a truncated object), or
    names another command: running one by name says what is wrong and runs nothing; help
    marks them; Tab does not offer them; the shell carries on."""
    with booted(build, workdir) as sh:
        ctl = KeelCtl(build, sh.vm)
        push(build, sh, ctl, "cmd_norecord@1.o")
        push(build, sh, ctl, "cmd_badrecord@1.o")
        push(build, sh, ctl, "cmd_hi@1.o", "cmd_hello2@1.o")  # a record for hi, not hello2
        trunc = os.path.join(workdir, "cmd_trunc@1.o")
        with open(os.path.join(build, "cells", "cmd_hi@1.o"), "rb") as f:
            data = f.read()
        with open(trunc, "wb") as f:
            f.write(data[:400])
        has(ctl("push", trunc), r"^pushed .* as cmd_trunc@1\.o ")
        cases = {
            "norecord": r"keel: norecord: cmd_norecord@1\.o has no command record \(section "
                        r"\.keel_command\): build it with add_command",
            "badrecord": r"keel: badrecord: cmd_badrecord@1\.o: malformed command record \(want "
                         r"name<TAB>usage<TAB>summary, at most 512 bytes\)",
            "hello2": r"keel: hello2: cmd_hello2@1\.o holds the cell 'cmd_hi', not 'cmd_hello2'",
            "trunc": r"keel: trunc: cmd_trunc@1\.o is not a cell the loader accepts: .+",
        }
        for name, want in cases.items():
            out = sh.run(name)
            check(re.fullmatch(want, out), f"running {name}", out)
        out = sh.run("help")
        for name in cases:
            has(out, rf"^  {name}\s+\(cannot run: cmd_{name}@1\.o.*\)$")
        out = sh.run("help badrecord")
        check(out.startswith("help: badrecord: cmd_badrecord@1.o: malformed command record")
              and out.endswith("keel: help: exit status 1"), "help of a bad one", out)
        # Tab offers none of them: "norecord<Tab>" gets no space (nothing matched), and the
        # line runs as typed.
        check(re.fullmatch(cases["norecord"], sh.run("norecord\t")), "norecord<Tab>")
        check(not re.search(rb"keel> norecord \n", sh.vm.output), "Tab offered norecord")
        check(sh.run("echo alive") == "alive", "the shell carries on")
        check(not any("norecord" in c or "badrecord" in c
                      for c in re.findall(r"^\s*(\S+)", sh.run("cells"), re.M)),
              "a bad command cell was loaded", sh.run("cells"))
        sh.vm.forbid(r"PANIC|faulted")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
