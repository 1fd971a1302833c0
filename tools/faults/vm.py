"""One QEMU worker of a fault campaign: Keel booted once, driven over its serial console, and
put back to a saved state between trials.

    w = Worker(build_dir, workdir)
    w.start()                        # boot to the shell prompt
    w.savevm("golden")               # the state every trial starts from
    out, ok = w.run("workload run storm --seed 1", timeout=30)
    w.loadvm("golden")               # back to the prompt of the saved state
    w.close()                        # QEMU, sockets and the overlay removed

A worker never waits without a bound. A shell line that does not come back to the prompt in
time raises Hang; a panic on the serial console, a guest reset (triple fault, `reboot`) or
power-off raises Crash; either leaves QEMU running, and loadvm() recovers it. QEMU exiting or
its monitor failing raises WorkerDied: only a new start() helps then.

Snapshots are QEMU's internal ones (savevm/loadvm), kept in a small per-worker qcow2 file that
is the only writable disk; the ISO stays read-only and may be shared by every worker. The
monitor is QMP on a unix socket: its events say at once when the guest reset or powered off.
A guest's power-off pauses the VM instead of ending QEMU (-action shutdown=pause), and there is
no isa-debug-exit device: no guest failure ends QEMU itself.
"""
import json
import os
import re
import select
import shlex
import shutil
import socket
import subprocess
import tempfile
import time

from childproc import die_with_parent

TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = b"keel> "
PANIC = b"KEEL PANIC"
PANIC_END = b"the system has stopped"  # the last line panic_halt() prints
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\r")
PARTIAL_ESCAPE = re.compile(rb"\x1b(?:\[[0-9;?]*)?\Z")
MONITOR_TIMEOUT = 60.0  # a savevm of 256 MiB takes seconds under TCG; never forever


class VMError(Exception):
    """A worker's guest or QEMU did not do what was asked; the message ends with the tail of
    the serial console."""


class Hang(VMError):
    """A shell line did not come back to the prompt within its timeout."""


class Crash(VMError):
    """The guest panicked, reset or powered off. reason: "panic", "reset" or "poweroff"."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class WorkerDied(VMError):
    """QEMU exited or its monitor failed: the worker must be started again."""


def image_modules(build_dir):
    """The campaign image's boot modules, as mkiso.sh -m arguments: the build's image
    (build/image/modules.txt, with the workload cells) and its test cells
    (build/image/test-modules.txt: the injection targets)."""
    mods = []
    for name in ("modules.txt", "test-modules.txt"):
        path = os.path.join(build_dir, "image", name)
        if not os.path.exists(path):
            raise VMError(f"{path} is missing: is {build_dir} a configured and built Keel build?")
        with open(path) as f:
            mods += [line.strip() for line in f if line.strip()]
    return mods


def make_image(build_dir, iso, cmdline=""):
    """Make the campaign ISO (GRUB, the build's kernel, image_modules) at path iso."""
    kernel = os.path.join(build_dir, "keel.elf")
    if not os.path.exists(kernel):
        raise VMError(f"{kernel} is missing: build Keel first (tools/keel build)")
    cmd = [os.path.join(TOOLS_DIR, "mkiso.sh"), "-o", iso, "-k", kernel, "-c", cmdline]
    for m in image_modules(build_dir):
        cmd += ["-m", m]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise VMError(f"mkiso.sh failed ({done.returncode}): {done.stderr.strip()}")
    return iso


class Worker:
    def __init__(self, build_dir, workdir, memory="128M", cmdline="", iso=None,
                 qemu="qemu-system-x86_64", boot_timeout=60.0, incoming=None):
        self.build_dir = os.path.abspath(build_dir)
        self.memory = memory
        self.cmdline = cmdline
        self.qemu = qemu
        self.boot_timeout = boot_timeout
        # incoming: a QEMU -incoming URI ("exec:cat FILE" of a migrate to a file): start() then
        # takes the guest from there (same memory and image) instead of booting it.
        self.incoming = incoming
        os.makedirs(workdir, exist_ok=True)
        # The worker's files in a directory of its own: two workers never share a path, and
        # the socket path stays short (a unix socket path has at most 107 bytes).
        self.dir = tempfile.mkdtemp(prefix="vm-", dir=workdir)
        self.iso = iso  # None: start() makes one in self.dir
        self.overlay = os.path.join(self.dir, "state.qcow2")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        self.proc = None
        self.qmp = None
        self._qmp_buf = b""
        self._qmp_id = 0
        self.output = b""  # the serial console, escapes and carriage returns removed
        self._checked = 0  # output before this was seen free of a panic (see run())
        self._unclean = b""
        self.event = None  # the guest's last SHUTDOWN event from QMP: "reset" or "poweroff"
        self._resets = 0  # RESET events seen
        self._sync = 0  # sync() markers sent

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        """Start QEMU and wait for the shell's first prompt (boot_timeout). Again after kill()
        (e.g. after WorkerDied): a fresh QEMU on a fresh overlay, the old snapshots gone."""
        if self.proc is not None:
            raise VMError("the worker is already started: kill() it first")
        os.makedirs(self.dir, exist_ok=True)
        self.output, self._unclean, self._qmp_buf = b"", b"", b""
        self._checked = 0
        self.event = None
        if self.iso is None:
            self.iso = make_image(self.build_dir, os.path.join(self.dir, "keel.iso"),
                                  self.cmdline)
        made = subprocess.run(["qemu-img", "create", "-f", "qcow2", self.overlay, "1M"],
                              capture_output=True, text=True)
        if made.returncode != 0:
            raise VMError(f"qemu-img create failed: {made.stderr.strip()}")
        args = [self.qemu, "-m", self.memory, "-cdrom", self.iso, "-boot", "d",
                "-display", "none", "-nic", "none", "-serial", "stdio", "-monitor", "none",
                "-drive", f"if=none,id=state,format=qcow2,file={self.overlay}",
                "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
                "-action", "reboot=reset,shutdown=pause"]
        if self.incoming:
            args += ["-incoming", self.incoming]
        parent = os.getpid()
        self.stderr = open(os.path.join(self.dir, "qemu.stderr"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr,
                                     preexec_fn=lambda: die_with_parent(parent))
        os.set_blocking(self.proc.stdout.fileno(), False)
        try:
            deadline = time.monotonic() + self.boot_timeout
            self._connect_qmp(deadline)
            if self.incoming:  # the guest runs once the state is in: QMP says RESUME
                self._qmp_reply(lambda msg: msg["event"] == "RESUME", deadline, "RESUME event")
            else:
                self._expect_prompt(len(self.output), self.boot_timeout, "the first prompt")
        except BaseException:
            self.kill()  # its files stay for a look (qemu.stderr) until close()
            raise
        return self

    def _connect_qmp(self, deadline):
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.qmp_path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if self.proc.poll() is not None:
                    raise self._died("while the worker connected to QMP")
                if time.monotonic() > deadline:
                    raise WorkerDied(f"no QMP socket at {self.qmp_path}")
                self._read_serial(0.02)  # QEMU creates the socket at once: a short poll
        self.qmp = sock
        self._qmp_reply(None, deadline, "greeting")
        self._qmp_call("qmp_capabilities", timeout=MONITOR_TIMEOUT)

    def kill(self):
        """End QEMU now (SIGKILL); idempotent."""
        if self.qmp:
            self.qmp.close()
            self.qmp = None
        if self.proc:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.stderr.close()
            self.proc = None

    def close(self):
        """kill() and remove the worker's files (sockets, overlay, its own ISO)."""
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the serial console ------------------------------------------------------------------
    def _read_serial(self, timeout):
        """Take in what the guest printed within timeout seconds; WorkerDied at EOF."""
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        if not ready:
            return
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        if not chunk:
            raise self._died("on the serial console")
        # An escape sequence cut at the end of a read waits for its rest before it is cleaned.
        self._unclean += chunk
        held = PARTIAL_ESCAPE.search(self._unclean)
        cut = held.start() if held else len(self._unclean)
        self.output += ESCAPES.sub(b"", self._unclean[:cut])
        self._unclean = self._unclean[cut:]

    def tail(self, lines=30):
        return "\n".join(self.output.decode("utf-8", "replace").splitlines()[-lines:])

    def _died(self, where):
        status = self.proc.poll() if self.proc else None
        with open(os.path.join(self.dir, "qemu.stderr"), "rb") as f:
            err = f.read().decode("utf-8", "replace").strip()
        return WorkerDied(f"QEMU ended (status {status}) {where}"
                          f"{': ' + err if err else ''}\n--- serial (tail) ---\n{self.tail()}")

    def _check_crash(self, start, what):
        """Crash if the guest panicked (in the output from start on) or reset/powered off."""
        self._poll_events()
        if self.event:
            did = "reset" if self.event == "reset" else "powered off"
            raise Crash(self.event, f"the guest {did} while the worker waited for {what}"
                        f"\n--- serial (tail) ---\n{self.tail()}")
        at = self.output.find(PANIC, start)
        if at < 0:
            return
        deadline = time.monotonic() + 2.0  # the rest of the report is on its way
        while self.output.find(PANIC_END, at) < 0 and time.monotonic() < deadline:
            self._read_serial(deadline - time.monotonic())
        report = self.output[at:].decode("utf-8", "replace")
        raise Crash("panic", f"the guest panicked while the worker waited for {what}:\n{report}")

    def _expect_prompt(self, start, timeout, what):
        """Wait for the prompt in the output after start; returns where it begins."""
        deadline = time.monotonic() + timeout
        while True:
            at = self.output.find(PROMPT, start)
            if at >= 0:
                return at
            self._check_crash(start, what)
            left = deadline - time.monotonic()
            if left <= 0:
                raise Hang(f"no prompt within {timeout}s after {what}"
                           f"\n--- serial (tail) ---\n{self.tail()}")
            self._read_serial(min(left, 0.5))

    def run(self, line, timeout=20.0):
        """Type a shell line and wait for the next prompt: (output, ended_ok). output is what
        the command printed (its echo and the prompt left out); ended_ok is False when the
        shell reported that it failed (exit status, fault, hang, interrupt, unknown command,
        cannot load or start). Hang, Crash or WorkerDied when it did not come back."""
        if self.proc is None:
            raise VMError("the worker is not started")
        while True:  # what arrived before the line is typed is not its output
            before = len(self.output)
            self._read_serial(0)
            if len(self.output) == before:
                break
        # A panic that came after the last prompt (e.g. from a task still running) ends this
        # line before it is typed: the guest will never answer it.
        self._check_crash(self._checked, f"'{line}'")
        start = len(self.output)
        try:
            self.proc.stdin.write(line.encode() + b"\r")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._died(f"when '{line}' was typed") from None
        end = self._expect_prompt(start, timeout, f"'{line}'")
        self._checked = end
        text = self.output[start:end].decode("utf-8", "replace")
        echo = text.find(line + "\n")
        if echo >= 0:
            text = text[echo + len(line) + 1:]
        else:  # an edited line echoes as its result: drop the first line
            text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rstrip()
        name = re.escape(line.split()[0]) if line.split() else "$^"
        failed = re.search(rf"^keel: (unknown command|unterminated quote|too many arguments|"
                           rf"{name}(?!: replaced )\b)", text, re.M)
        return text, failed is None

    def sync(self, tries=5, wait=2.0):
        """Make sure the next run() starts on a quiet shell: type a line that prints a marker
        of its own and wait for the marker and the prompt after it, then drop everything so far.
        After loadvm the restored UART may still send bytes it held when the snapshot was taken
        (a prompt among them), which would otherwise end the next line early; and a line typed
        at once may be lost: each try clears the line (Ctrl-U) and types a new marker, `wait`
        seconds apart. Hang when no try is answered."""
        start = len(self.output)
        for _ in range(tries):
            self._sync += 1
            marker = f"sync-{os.getpid()}-{self._sync}"
            try:
                self.proc.stdin.write(f"\x15echo {marker}\r".encode())
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                raise self._died("when the sync line was typed") from None
            deadline = time.monotonic() + wait
            want = re.compile(rb"^" + marker.encode() + rb"\n(?:.*\n)*?" + re.escape(PROMPT),
                              re.M)
            while not want.search(self.output, start):
                self._check_crash(start, "the sync line")
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._read_serial(min(left, 0.5))
            else:
                self.output, self._checked = b"", 0
                return
        raise Hang(f"no answer to {tries} sync lines in {tries * wait:.0f}s"
                   f"\n--- serial (tail) ---\n{self.tail()}")

    # -- QMP -----------------------------------------------------------------------------------
    def _qmp_lines(self):
        while b"\n" in self._qmp_buf:
            raw, self._qmp_buf = self._qmp_buf.split(b"\n", 1)
            if raw.strip():
                yield json.loads(raw)

    def _note_event(self, msg):
        event, guest = msg.get("event"), msg.get("data", {}).get("guest")
        if event == "RESET":
            self._resets += 1
        if guest and event in ("RESET", "SHUTDOWN"):
            self.event = "reset" if event == "RESET" else "poweroff"

    def _qmp_reply(self, want_id, deadline, what="a QMP answer"):
        """Read QMP messages until the reply with id want_id, the greeting (None) or an event
        for which want_id(msg) holds (a function)."""
        while True:
            for msg in self._qmp_lines():
                self._note_event(msg)
                if callable(want_id):
                    if "event" in msg and want_id(msg):
                        return msg
                    continue
                if want_id is None and "QMP" in msg:
                    return msg
                if want_id is not None and msg.get("id") == want_id:
                    if "error" in msg:
                        raise VMError(f"QMP: {msg['error'].get('desc', msg['error'])}")
                    return msg.get("return")
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerDied(f"no {what} from the QEMU monitor in time")
            ready, _, _ = select.select([self.qmp], [], [], left)
            if ready:
                chunk = self.qmp.recv(65536)
                if not chunk:
                    raise self._died("on the QMP socket")
                self._qmp_buf += chunk

    def _poll_events(self):
        """Take in QMP events that arrived, without waiting."""
        while select.select([self.qmp], [], [], 0)[0]:
            chunk = self.qmp.recv(65536)
            if not chunk:
                raise self._died("on the QMP socket")
            self._qmp_buf += chunk
        for msg in self._qmp_lines():
            self._note_event(msg)

    def _qmp_call(self, command, timeout=MONITOR_TIMEOUT, **arguments):
        self._qmp_id += 1
        msg = {"execute": command, "id": self._qmp_id}
        if arguments:
            msg["arguments"] = arguments
        try:
            self.qmp.sendall(json.dumps(msg).encode() + b"\n")
        except OSError:
            raise self._died(f"when QMP {command} was sent") from None
        return self._qmp_reply(self._qmp_id, time.monotonic() + timeout,
                               f"answer to {command} within {timeout}s")

    def hmp(self, line, timeout=MONITOR_TIMEOUT):
        """A human-monitor command through QMP; returns its output (VMError if it printed an
        error: HMP's savevm/loadvm report failure only in their text)."""
        out = self._qmp_call("human-monitor-command", timeout, **{"command-line": line})
        if re.search(r"^Error|^Could not|[Ee]rror:", out or "", re.M):
            raise VMError(f"QEMU monitor '{line}': {out.strip()}")
        return out or ""

    def status(self):
        """QEMU's run state: "running", "paused", "shutdown" (a guest reset or power-off), ..."""
        return self._qmp_call("query-status")["status"]

    # -- snapshots -----------------------------------------------------------------------------
    def savevm(self, name):
        """Save the whole machine as snapshot name (in the overlay); the guest goes on."""
        self.hmp(f"savevm {name}")

    def migrate_to_file(self, path, timeout=MONITOR_TIMEOUT):
        """Write the machine's state to path (QEMU's migration stream; the guest is stopped
        after it): a Worker(..., incoming=f"exec:cat {path}") goes on from there."""
        # With the "events" capability QMP says when the migration ended, and how.
        self._qmp_call("migrate-set-capabilities", timeout,
                       capabilities=[{"capability": "events", "state": True}])
        self._qmp_call("migrate", timeout, uri=f"exec:cat > {shlex.quote(path)}")
        end = self._qmp_reply(lambda msg: msg["event"] == "MIGRATION" and msg["data"]["status"]
                              in ("completed", "failed", "cancelled"),
                              time.monotonic() + timeout, "MIGRATION event of its end")
        if end["data"]["status"] != "completed":
            raise VMError(f"migrate to {path}: {end['data']['status']}")

    def loadvm(self, name, timeout=MONITOR_TIMEOUT):
        """Put the machine back to snapshot name and let it run: right after, run() answers as
        the saved guest would. Works after a Hang or a Crash (reset, power-off, panic) too."""
        if self.status() == "shutdown":
            # QEMU goes on from a guest's reset or power-off only after a reset of its own, and
            # does that reset in its main loop after system_reset has returned.
            resets = self._resets
            self._qmp_call("system_reset", timeout)
            if self._resets == resets:
                self._qmp_reply(lambda msg: msg["event"] == "RESET", time.monotonic() + timeout,
                                "RESET event")
        self.hmp(f"loadvm {name}", timeout)
        self.event = None
        if self.status() != "running":
            self._qmp_call("cont", timeout)
        # What the guest printed before it was put back is not the restored guest's, and all of
        # it is in the pipe by now: dropped, so the transcript (and its memory) starts afresh.
        while True:
            before = len(self.output)
            self._read_serial(0)
            if len(self.output) == before:
                break
        self.output, self._checked = b"", 0
        self._unclean = b""
