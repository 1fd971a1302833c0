#!/usr/bin/env python3
"""QEMU system tests of the shell cell: the prompt, dispatch and its errors, quoting, line
editing, history, Tab completion, Ctrl-C (on a line and on a running command), type-ahead, and
what the shell reports when a command faults or fails. Each case boots the default image and
types at the prompt over the serial console (tests/qemu/keelvm.py: KeelShell).

    shell_tests.py --build DIR [--workdir DIR] CASE...
    shell_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import PROMPT, KeelShell, run_cases  # noqa: E402
from checks import check  # noqa: E402

LEFT, RIGHT, UP, DOWN = "\x1b[D", "\x1b[C", "\x1b[A", "\x1b[B"
HOME, END, DELETE = "\x1b[H", "\x1b[F", "\x1b[3~"
CTRL_A, CTRL_C, CTRL_E, CTRL_U, CTRL_W = "\x01", "\x03", "\x05", "\x15", "\x17"
BACKSPACE = "\x7f"


def shell(build, workdir):
    return KeelShell(build, workdir=workdir)


def equal(got, want):
    check(got == want, f"expected {want!r}, got {got!r}")


def commands(build):
    """Command names of the image's command index."""
    with open(os.path.join(build, "image", "commands.index")) as f:
        return sorted(line.split("\t")[0] for line in f if line.strip())


def case_prompt(build, workdir):
    """The shell prints its banner and the prompt once the boot is done; Enter gives another."""
    with shell(build, workdir) as sh:
        text = sh.vm.text()
        ready = text.find("keel: ready in")
        banner = text.find("Keel shell \u2014 type help for commands\n" + PROMPT)
        check(0 <= ready < banner, "no banner and prompt after the ready line")
        equal(sh.run(""), "")
        sh.vm.forbid(r"PANIC")


def case_unknown(build, workdir):
    """An unknown command name is reported, and the shell carries on."""
    with shell(build, workdir) as sh:
        equal(sh.run("nosuch"), "keel: unknown command 'nosuch' (type help)")
        equal(sh.run("nosuch with args"), "keel: unknown command 'nosuch' (type help)")
        equal(sh.run("'echo x'"), "keel: unknown command 'echo x' (type help)")
        equal(sh.run("echo still here"), "still here")


def case_empty(build, workdir):
    """Empty and blank lines just give a new prompt."""
    with shell(build, workdir) as sh:
        equal(sh.run(""), "")
        equal(sh.run("    "), "")
        equal(sh.run("\t \t"), "")
        equal(sh.run("echo ok"), "ok")


def case_quoting(build, workdir):
    """Double and single quotes keep blanks; backslashes escape; adjacent parts join."""
    with shell(build, workdir) as sh:
        equal(sh.run("echo \"a  b\"  'c  d'"), "a  b c  d")
        equal(sh.run("echo \"say \\\"hi\\\"\" 'it''s' a\\ b"), 'say "hi" its a b')
        equal(sh.run("echo x\"y z\"w '' end"), "xy zw  end")
        equal(sh.run("echo 'back\\slash' \"c:\\dir\""), "back\\slash c:\\dir")


def case_unterminated_quote(build, workdir):
    """An unterminated quote is an error of its own; the next line works."""
    with shell(build, workdir) as sh:
        equal(sh.run("echo \"abc"), "keel: unterminated quote")
        equal(sh.run("echo 'abc"), "keel: unterminated quote")
        equal(sh.run("echo fine"), "fine")


def case_edit_fix(build, workdir):
    """A typo fixed with the arrows: "ehco", Left x3, Delete, Right, "h" -> runs echo."""
    with shell(build, workdir) as sh:
        equal(sh.run("ehco" + LEFT * 3 + DELETE + RIGHT + "h" + END + " fixed"), "fixed")
        # Insertion in the middle of a line.
        equal(sh.run("echo ac" + LEFT + "b"), "abc")
        # Right at the end and Left at the start do nothing.
        equal(sh.run("cho x" + LEFT * 9 + "e" + RIGHT * 9 + "y"), "xy")


def case_home_end(build, workdir):
    """Home/End (ESC[H / ESC[F, ESC O H / F, ESC[1~ / 4~) and Ctrl-A/Ctrl-E."""
    with shell(build, workdir) as sh:
        equal(sh.run("cho mid" + HOME + "e" + END + "dle"), "middle")
        equal(sh.run("cho a" + CTRL_A + "e" + CTRL_E + "b"), "ab")
        equal(sh.run("cho c" + "\x1bOH" + "e" + "\x1bOF" + "d"), "cd")
        equal(sh.run("cho e" + "\x1b[1~" + "e" + "\x1b[4~" + "f"), "ef")


def case_ctrl_u(build, workdir):
    """Ctrl-U deletes from the start of the line to the cursor."""
    with shell(build, workdir) as sh:
        equal(sh.run("garbage words" + CTRL_U + "echo clean"), "clean")
        equal(sh.run("junk echo kept" + HOME + RIGHT * 5 + CTRL_U), "kept")


def case_ctrl_w(build, workdir):
    """Ctrl-W deletes the word before the cursor (and the blanks after it)."""
    with shell(build, workdir) as sh:
        equal(sh.run("echo one two" + CTRL_W + "three"), "one three")
        equal(sh.run("echo one two  " + CTRL_W + CTRL_W + "four"), "four")
        equal(sh.run("echo a bad c" + LEFT * 2 + CTRL_W + "b"), "a b c")


def case_backspace(build, workdir):
    """Backspace (DEL 0x7f and BS 0x08) deletes before the cursor, also mid-line."""
    with shell(build, workdir) as sh:
        equal(sh.run("echo abcd" + BACKSPACE * 2 + "XY"), "abXY")
        equal(sh.run("echo abcd" + "\x08" + "Z"), "abcZ")
        equal(sh.run("echo abxcd" + LEFT * 2 + BACKSPACE), "abcd")


def case_delete(build, workdir):
    """Delete (ESC[3~) removes the character under the cursor; at the end it does nothing."""
    with shell(build, workdir) as sh:
        equal(sh.run("echo abcd" + LEFT * 2 + DELETE + "Z"), "abZd")
        equal(sh.run("echo xy" + DELETE * 3), "xy")
        equal(sh.run("xxecho hi" + HOME + DELETE * 2), "hi")


def case_history(build, workdir):
    """Up recalls earlier lines, Down goes back down to the line being typed."""
    with shell(build, workdir) as sh:
        equal(sh.run("echo first"), "first")
        equal(sh.run("echo second"), "second")
        equal(sh.run(UP), "second")
        equal(sh.run(UP + UP), "first")            # "echo second" again was not stored twice
        equal(sh.run(UP * 3 + DOWN), "second")     # history: first, second, first
        equal(sh.run("echo draft" + UP + UP + DOWN + DOWN), "draft")
        equal(sh.run(UP + " edited"), "draft edited")
        equal(sh.run(UP * 40), "first")            # past the oldest: stays there


def case_complete_unique(build, workdir):
    """Tab completes a unique command prefix (adding a space) and a unique file name."""
    with shell(build, workdir) as sh:
        equal(sh.run("ec\thello"), "hello")
        check(re.search(rb"keel> echo hello\n", sh.vm.output), "completed line not shown")
        out = sh.run("cat commands.ind\t")
        check("cmd_spin@1.o" in out, f"cat of the completed file name printed {out!r}")
        equal(sh.run("echo\tdone"), "done")  # a complete word gets its space


def case_complete_help(build, workdir):
    """After help, Tab completes a command name (not a file or cell name); a later word does
    not."""
    with shell(build, workdir) as sh:
        out = sh.run("help sw\t")
        check(re.search(rb"keel> help swap \n", sh.vm.output), "help sw<Tab> did not complete")
        check(out.startswith("usage: swap "), f"help of the completed name printed {out!r}")
        out = sh.run("  help   ec\t")  # blanks around the words change nothing
        check(re.search(rb"keel>   help   echo \n", sh.vm.output), "help ec<Tab> not completed")
        check(out.startswith("usage: echo"), f"got {out!r}")
        # The second argument of help is not a command: file names complete there (help then
        # refuses the extra argument).
        sh.run("help echo commands.ind\t")
        check(re.search(rb"keel> help echo commands.index \n", sh.vm.output),
              "a file name did not complete after help's argument")


def case_complete_ambiguous(build, workdir):
    """An ambiguous prefix completes nothing on the first Tab and lists the matches on the
    second; the line is then shown again and can be finished."""
    names = commands(build)
    prefix = next((c for c in "abcdefghijklmnopqrstuvwxyz"
                   if len([n for n in names if n.startswith(c)]) >= 2
                   and os.path.commonprefix([n for n in names if n.startswith(c)]) == c), None)
    check(prefix, f"no ambiguous one-letter prefix among {names}")
    matches = [n for n in names if n.startswith(prefix)]
    with shell(build, workdir) as sh:
        # No pause between the Tabs: the shell counts them, however fast they come. The first
        # Tab leaves no trace (no completion, no listing): right after the echoed prefix comes
        # the newline the second Tab starts its listing with, and the redrawn line is the same.
        sh.send(prefix + "\t\t")
        m = sh.expect(re.escape(prefix) + r"(.*?)\n((?:[^\n]*\n)+?)" + re.escape(PROMPT + prefix))
        check(m.group(1) == b"", f"the first Tab printed {m.group(1)!r}")
        listing = m.group(2).decode()
        check(listing.split() == matches, f"listed {listing.split()}, expected {matches}")
        equal(sh.run(CTRL_U + "echo listed"), "listed")


def case_ctrl_c_line(build, workdir):
    """Ctrl-C abandons the line being typed: "^C", a new prompt, nothing run or remembered."""
    with shell(build, workdir) as sh:
        equal(sh.run("echo one"), "one")
        sh.send("echo never" + LEFT * 3 + CTRL_C)
        sh.expect(r"echo never\^C\n" + re.escape(PROMPT))
        equal(sh.run(UP), "one")
        sh.vm.forbid(r"\nnever\n")


UPTIME = r"up \d+:\d\d:\d\d\.\d{3}, (\d+) ticks at (\d+) Hz, \d+ tasks, \d+ cells loaded"


def ticks(out):
    """Timer ticks and rate from uptime's output (a stray byte around it is for the caller to
    judge)."""
    m = re.search(UPTIME, out)
    check(m, "uptime's line", out)
    return int(m.group(1)), int(m.group(2))


def case_ctrl_c_spin(build, workdir):
    """Ctrl-C kills a running command; the shell says so, the next command works, and from the
    interrupt on no dot of spin's comes any more (over half a second of the guest's ticks)."""
    with shell(build, workdir) as sh:
        sh.send("spin\r")
        sh.expect(r"\.\.\.")
        sh.send(CTRL_C)
        after = sh.expect(r"\^C\nkeel: spin interrupted\n" + re.escape(PROMPT)).end()
        equal(sh.run("echo next"), "next")
        # It is gone for good: a spin left running would print a dot every 100 ms. Let five
        # such periods pass, counted in the guest's own timer ticks (uptime), then every byte
        # since "interrupted" must be the commands' echo and output, and nothing else.
        start, hz = ticks(sh.run("uptime"))
        sh.run_until("uptime", lambda out: ticks(out)[0] >= start + hz // 2,
                     what="half a second of timer ticks")
        sh.vm.drain()  # a dot after the last prompt counts too
        window = sh.vm.output[after:].decode("utf-8", "replace")
        lines = window.split("\n")
        check(lines[-1] == PROMPT, "output after the last prompt", window)
        for line in lines[:-1]:
            check(re.fullmatch(rf"(?:{re.escape(PROMPT)})?(?:echo next|next|uptime|{UPTIME})", line),
                  f"after the interrupt, a line that is not the commands' own: {line!r}", window)
        check(not re.search(r"^\s*\d+  spin ", sh.run("ps"), re.M), "a spin task is left")


def case_typeahead(build, workdir):
    """Keys typed while a command runs are kept for the next prompt."""
    with shell(build, workdir) as sh:
        sh.send("spin\r")
        sh.expect(r"\.")
        # The keys and the Ctrl-C after them need no pause: the serial line keeps their order,
        # and the shell keeps every byte but the Ctrl-C for the next prompt.
        sh.send("echo typed ahead\r" + CTRL_C)
        sh.expect(r"keel: spin interrupted\n" + re.escape(PROMPT) + r"echo typed ahead\n")
        sh.expect(r"typed ahead\n" + re.escape(PROMPT))


def case_crash(build, workdir):
    """A command that faults: the shell names the exception and cmd_crash's symbol, and carries
    on (also the second time, when the cell is already loaded)."""
    with shell(build, workdir) as sh:
        fault = r"keel: crash faulted: #PF page fault at cmd_crash:cmd_crash_main\+0x[0-9a-f]+"
        for _ in range(2):
            out = sh.run("crash")
            check(re.search(fault, out), f"no fault report in {out!r}")
            # The kernel's report starts right under the command line (no blank line) and shows
            # every general register, as the core's panic report does.
            check(re.match(r"keel: task \d+ 'crash' faulted: CPU exception 14", out),
                  f"the report does not start on the line after the command: {out!r}")
            for regs in ("rax rbx rcx rdx", "rsi rdi rbp rsp", "r8  r9  r10 r11",
                         "r12 r13 r14 r15"):
                row = " ".join(f"{name} +[0-9a-f]{{16}}" for name in regs.split())
                check(re.search(r"^  " + row + "$", out, re.M), f"no line {regs!r} in {out!r}")
            check(re.search(r"^  rflags [0-9a-f]{16} cs [0-9a-f]{4} ss [0-9a-f]{4}", out, re.M),
                  f"no rflags/cs/ss line in {out!r}")
            equal(sh.run("echo alive"), "alive")
        sh.vm.forbid(r"PANIC")


def case_exit_status(build, workdir):
    """A command that returns a non-zero status: the shell prints it."""
    with shell(build, workdir) as sh:
        out = sh.run("kill not-a-number")
        check(out.endswith("keel: kill: exit status 2"), f"got {out!r}")
        equal(sh.run("echo after"), "after")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
