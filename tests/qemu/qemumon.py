"""The QEMU human monitor of a KeelVM started with monitor=True: keys through `sendkey` (the real
PS/2 path: 8042, scancode set 1) and the VGA text screen read back with `xp` on 0xb8000.

    with KeelShell(build, monitor=True) as sh, Monitor(sh.vm) as mon:
        mon.type("echo hi\\r")
        rows = mon.screen_when(lambda rows: "hi" in rows)
"""
import re
import socket
import time

from keelvm import GuestError

# Characters to QEMU key names (sendkey); shifted characters get "shift-".
KEYS = {" ": "spc", "-": "minus", "=": "equal", "[": "bracket_left", "]": "bracket_right",
        ";": "semicolon", "'": "apostrophe", "`": "grave_accent", "\\": "backslash",
        ",": "comma", ".": "dot", "/": "slash", "\r": "ret", "\n": "ret", "\t": "tab",
        "\x7f": "backspace"}
SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8",
           "(": "9", ")": "0", "_": "minus", "+": "equal", "{": "bracket_left",
           "}": "bracket_right", ":": "semicolon", '"': "apostrophe", "~": "grave_accent",
           "|": "backslash", "<": "comma", ">": "dot", "?": "slash"}
HOLD_MS = 30  # QEMU holds each key down this long
QUIET = {"caps_lock", "num_lock", "scroll_lock"}  # keys that show nothing on the serial port


def key_name(ch):
    if ch.isascii() and (ch.islower() or ch.isdigit()):
        return ch
    if ch.isascii() and ch.isupper():
        return "shift-" + ch.lower()
    if ch in SHIFTED:
        return "shift-" + SHIFTED[ch]
    if ch in KEYS:
        return KEYS[ch]
    raise ValueError(f"no key for {ch!r}")


class Monitor:
    """Connected to vm.monitor_socket. QEMU creates the socket before the guest runs, so a VM
    that has printed anything has it; connecting is still polled, bounded, for a VM just
    started."""

    def __init__(self, vm, timeout=10.0):
        self.vm = vm
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)

        def connected():
            try:
                self.sock.connect(vm.monitor_socket)
                return True
            except (FileNotFoundError, ConnectionRefusedError):
                return False

        vm.wait_until(connected, timeout, f"the QEMU monitor socket {vm.monitor_socket}")
        self.buf = b""
        self._wait_prompt(1, timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _wait_prompt(self, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.buf.count(b"(qemu) ") < count:
            if time.monotonic() > deadline:
                raise GuestError(f"QEMU monitor did not answer:\n{self.buf[-500:]!r}")
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise GuestError("QEMU monitor closed")
            self.buf += chunk

    def cmd(self, line, timeout=10.0):
        """Run a monitor command; returns what it printed (with the echo)."""
        start = len(self.buf)
        self.sock.sendall(line.encode() + b"\n")
        self._wait_prompt(self.buf.count(b"(qemu) ") + 1, timeout)
        return self.buf[start:].decode("utf-8", "replace")

    def key(self, name, echo=None, timeout=20.0):
        """Press one key and wait until the guest has taken it: until something new shows on the
        serial port (the echo, the cursor moving, a redrawn line). QEMU's PS/2 keyboard holds
        only 16 bytes; keys queued faster than a busy guest reads them would be lost. A key
        with no visible effect (echo=False; by default the lock keys) is only sent."""
        if echo is None:
            echo = name not in QUIET
        mark = len(self.vm.raw)
        self.cmd(f"sendkey {name} {HOLD_MS}")
        if echo:
            self.vm.wait_until(lambda: len(self.vm.raw) > mark, timeout,
                               f"the guest to show key '{name}'")

    def type(self, text, echo=True):
        """Type text key by key (echo=False: keys the guest does not show now, e.g. typed while
        a command runs)."""
        for ch in text:
            self.key(key_name(ch), echo=echo)

    def screen(self, cols=80, rows=25):
        """The text screen as rows of characters, trailing blanks removed."""
        out = self.cmd(f"xp /{cols * rows}hx 0xb8000")
        cells = []
        for line in out.splitlines():
            # Dump lines look like "00000000000b8000: 0x0720 0x0720 ..."; the echo does not.
            m = re.match(r"\s*[0-9a-f]{8,}: ((?:0x[0-9a-f]{4}\s*)+)$", line)
            if m:
                cells += [int(w, 16) for w in m.group(1).split()]
        if len(cells) < cols * rows:
            raise GuestError(f"monitor returned {len(cells)} of {cols * rows} VGA cells")
        chars = "".join(chr(c & 0xff) if 32 <= (c & 0xff) < 127 else " " for c in cells)
        return [chars[i:i + cols].rstrip() for i in range(0, cols * rows, cols)]

    def screen_when(self, ready, timeout=10.0):
        """The screen's rows once ready(rows) holds, or as they are at the timeout (the caller's
        asserts then say what is missing). The screen is polled: the guest draws it on its own
        time, and QEMU's monitor may show the text buffer a little behind the serial port."""
        last = [None]

        def probe():
            last[0] = self.screen()
            return ready(last[0])

        try:
            self.vm.wait_until(probe, timeout, "the VGA screen", interval=0.1)
        except GuestError:
            pass
        return last[0]

    def close(self):
        self.sock.close()
