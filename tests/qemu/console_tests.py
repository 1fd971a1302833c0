#!/usr/bin/env python3
"""QEMU system tests of the screen and keyboard consoles: the vgacon cell draws the shell on the
VGA text screen and the ps2kbd cell types into it. Keys go in through the QEMU monitor's
`sendkey` (so they travel the real PS/2 path: 8042, scancode set 1, the polling task); the screen
is read back with `xp` on the text buffer at 0xb8000; the serial port must show the same session.

    console_tests.py --build DIR [--workdir DIR] CASE...
    console_tests.py --list
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import PROMPT, KeelShell, run_cases  # noqa: E402
from checks import check  # noqa: E402
from qemumon import Monitor  # noqa: E402


class Session:
    """A booted default image at its prompt, with a monitor for keys and the screen."""

    def __init__(self, build, workdir, extra_args=()):
        self.sh = KeelShell(build, workdir=workdir, extra_args=extra_args, monitor=True)

    def __enter__(self):
        self.sh.__enter__()
        self.vm = self.sh.vm
        try:
            self.mon = Monitor(self.vm)
        except BaseException:
            self.sh.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.mon.close()
        self.sh.__exit__(*exc)

    def screen_when(self, ready, timeout=10.0):
        return self.mon.screen_when(ready, timeout)

    def command(self, keys, output):
        """Type keys (ending in Enter) and wait for a line `output` and the next prompt on the
        serial port."""
        self.mon.type(keys)
        self.vm.expect(r"\n" + re.escape(output) + r"\n", timeout=20)
        self.vm.expect(re.escape(PROMPT), timeout=20)

    def check_screen_has(self, *lines):
        """The screen shows these rows consecutively, and ends at a fresh prompt."""
        want = list(lines)

        def has(rows):
            return any(rows[i:i + len(want)] == want for i in range(len(rows) - len(want) + 1))

        rows = self.screen_when(lambda r: has(r) and [x for x in r if x][-1:] == [PROMPT.rstrip()])
        text = "\n".join(rows)
        found = has(rows)
        check(found, f"the screen lacks the rows {want!r}:\n{text}")
        last = [r for r in rows if r][-1]
        check(last == PROMPT.rstrip(), f"the screen's last row is {last!r}, not the prompt",
              text)
        return rows


def case_screen_prompt(build, workdir):
    """vgacon takes over the screen: the banner and the prompt are on it, the boot output after
    the takeover too (cleared first, so the nano-core's early log is gone)."""
    with Session(build, workdir) as s:
        rows = s.screen_when(lambda r: any(re.match(r"Keel shell - type help", x) for x in r)
                             and [x for x in r if x][-1:] == ["keel>"])
        text = "\n".join(rows)
        check(re.search(r"vgacon: 80x25 text console at 0xb8000", s.vm.text()), s.vm.tail())
        check(not any("Keel nano-core" in r for r in rows),
              f"the early boot output should have been cleared:\n{text}")
        # The banner's em dash is drawn as '-' (code page 437 has no em dash).
        check(any(re.match(r"Keel shell - type help", r) for r in rows),
              f"no banner on the screen:\n{text}")
        check(any(re.search(r"keel: ready in \d+ us", r) for r in rows),
              f"no ready line on the screen:\n{text}")
        last = [r for r in rows if r][-1]
        check(last == "keel>", f"the screen does not end at the prompt:\n{text}")


def case_keyboard_command(build, workdir):
    """A command typed on the PS/2 keyboard runs: its output is on the serial port and the
    screen; Shift, Caps Lock and punctuation translate."""
    with Session(build, workdir) as s:
        s.command("echo Hi\r", "Hi")
        s.check_screen_has("keel> echo Hi", "Hi")
        s.mon.type("echo ")
        s.mon.key("caps_lock")
        s.mon.type("abc")
        s.mon.key("caps_lock")
        s.command("d (x_y) a-b!\r", "ABCd (x_y) a-b!")
        s.check_screen_has("keel> echo ABCd (x_y) a-b!", "ABCd (x_y) a-b!")


def case_keyboard_editing(build, workdir):
    """Line editing from the keyboard: Backspace, Left, Home/End, Delete; the screen shows the
    edited line exactly as the serial terminal would."""
    with Session(build, workdir) as s:
        s.mon.type("echx")
        s.mon.key("backspace")
        s.command("o Hi\r", "Hi")
        s.mon.type("ech Yo")
        for _ in range(3):
            s.mon.key("left")
        s.command("o\r", "Yo")
        s.mon.type("cho Up")
        s.mon.key("home")
        s.mon.type("e")
        s.mon.key("end")
        s.command("!\r", "Up!")
        # Both edits shorten the line: the screen must erase the leftovers (ESC [ K).
        s.mon.type("echo  Dell")
        s.mon.key("home")
        for _ in range(4):
            s.mon.key("right")
        s.mon.key("delete")
        s.mon.key("end")
        s.mon.key("backspace")
        s.command("\r", "Del")
        s.check_screen_has("keel> echo Hi", "Hi", "keel> echo Yo", "Yo", "keel> echo Up!", "Up!",
                           "keel> echo Del", "Del")
        # Up recalls the previous line from the history.
        s.mon.key("up")
        s.command("\r", "Del")


def case_keyboard_ctrl_c(build, workdir):
    """Ctrl-C on the keyboard abandons the line being typed and interrupts a running command."""
    with Session(build, workdir) as s:
        s.mon.type("echo abc")
        s.mon.key("ctrl-c")
        s.vm.expect(r"\^C\n", timeout=20)
        s.vm.expect(re.escape(PROMPT), timeout=20)
        s.vm.forbid(r"\nabc\n")
        rows = s.check_screen_has("keel> echo abc^C", "keel>")
        s.mon.type("spin\r")
        s.vm.expect(r"\.\.\.", timeout=20)  # it runs (a dot every 100 ms)
        s.mon.key("ctrl-c")
        s.vm.expect(r"\^C", timeout=20)
        s.vm.expect(re.escape(PROMPT), timeout=20)
        rows = s.screen_when(lambda r: any(x.startswith("keel> spin") for x in r))
        check(any(r.startswith("keel> spin") for r in rows), "\n".join(rows))
        s.command("echo after\r", "after")


def case_no_screen(build, workdir):
    """Without a VGA text screen (-vga none) vgacon stays out of the way; the keyboard still
    types into the shell."""
    with Session(build, workdir, extra_args=["-vga", "none"]) as s:
        check("vgacon: no VGA text screen; not attached" in s.vm.text(), s.vm.tail())
        s.vm.forbid(r"vgacon: \d+x\d+ text console")
        s.mon.type("nosuch\r")
        s.vm.expect(r"keel: unknown command 'nosuch'", timeout=20)
        s.vm.expect(re.escape(PROMPT), timeout=20)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
