"""Drive a Keel guest in QEMU over its serial console.

Used by every QEMU system test and by the benchmarks. A KeelVM builds an ISO for one command line
(tools/mkiso.sh), boots it with the serial console on a pipe, and offers expect()/send() with
timeouts; everything the guest printed is kept so a failing test can show the whole transcript.

QEMU exit status with isa-debug-exit: the guest writes v, QEMU exits (v << 1) | 1:
33 = success (QEMU_EXIT_SUCCESS), 35 = failure/panic (QEMU_EXIT_FAILURE), 0 = ACPI power-off.
"""
import os
import re
import select
import shutil
import subprocess
import tempfile
import time

EXIT_SUCCESS = 33
EXIT_FAILURE = 35
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\r")

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def image_modules(build_dir, without=(), tests=True):
    """The boot modules of the build's image (build/image/modules.txt) as mkiso -m arguments,
    plus the test cells (build/image/test-modules.txt) unless tests=False, leaving out the
    module names in `without`."""
    mods = []
    for name in ("modules.txt",) + (("test-modules.txt",) if tests else ()):
        path = os.path.join(build_dir, "image", name)
        if os.path.exists(path) or name == "modules.txt":
            with open(path) as f:
                mods += [line.strip() for line in f if line.strip()]
    return [m for m in mods if m.rsplit("=", 1)[-1] not in without]


class GuestError(Exception):
    """A test expectation failed; the message includes the transcript tail."""


class KeelVM:
    def __init__(self, kernel, cmdline="", modules=(), memory="256M", workdir=None,
                 extra_args=(), qemu="qemu-system-x86_64", ctl_socket=False):
        self.kernel = kernel
        self.cmdline = cmdline
        self.modules = list(modules)
        self.memory = memory
        self.extra_args = list(extra_args)
        self.qemu = qemu
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="keelvm-")
        os.makedirs(self.workdir, exist_ok=True)
        self.iso = os.path.join(self.workdir, "keel.iso")
        self._iso_ready = False
        self.proc = None
        self.raw = b""
        self.output = b""  # raw with terminal escapes and carriage returns removed
        self._pos = 0  # expect() consumes output up to here
        self.start_time = None
        self.exit_status = None
        # The control channel (COM2) on a unix socket for keelctl: ctl_socket=True puts it in the
        # work directory, a string names the path; self.ctl_socket is None without one.
        if ctl_socket is True:
            ctl_socket = os.path.join(self.workdir, "ctl.sock")
        self.ctl_socket = ctl_socket or None

    # -- lifecycle ---------------------------------------------------------------------------
    def build_iso(self):
        cmd = [os.path.join(SOURCE_DIR, "tools", "mkiso.sh"), "-o", self.iso, "-k", self.kernel,
               "-c", self.cmdline]
        for m in self.modules:
            cmd += ["-m", m]
        subprocess.run(cmd, check=True)
        self._iso_ready = True

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            return self  # already running: never a second QEMU behind the first one's back
        if not self._iso_ready:
            self.build_iso()  # never reuse an ISO from an earlier run: it may hold an old kernel
        args = [self.qemu, "-m", self.memory, "-cdrom", self.iso, "-boot", "d",
                "-serial", "stdio", "-display", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if self.ctl_socket:  # COM2: the second -serial
            args += ["-chardev", f"socket,id=ctl,path={self.ctl_socket},server=on,wait=off",
                     "-serial", "chardev:ctl"]
        args += self.extra_args
        if "-monitor" not in self.extra_args:
            args += ["-monitor", "none"]
        self.start_time = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        os.set_blocking(self.proc.stdout.fileno(), False)
        return self

    def __enter__(self):
        return self  # start() explicitly: a test may build the ISO first, outside its timing

    def __exit__(self, *exc):
        self.kill()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    # -- output --------------------------------------------------------------------------------
    def _pump(self, timeout):
        """Read whatever the guest printed within timeout seconds; False at EOF."""
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        if not ready:
            return True
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        self.raw += chunk
        # Clean the whole stream, not the chunk: an escape sequence may straddle two reads.
        self.output = ANSI.sub(b"", self.raw)
        return True

    def text(self):
        return self.output.decode("utf-8", "replace")

    def tail(self, lines=60):
        return "\n".join(self.text().splitlines()[-lines:])

    def expect(self, pattern, timeout=20.0):
        """Wait for a regex in the output after the previous match; returns the match."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.output, self._pos)
            if m:
                self._pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError(f"timed out after {timeout}s waiting for /{rx.pattern.decode()}/"
                                 f"\n--- guest output (tail) ---\n{self.tail()}")
            if not self._pump(min(left, 0.5)):
                if not rx.search(self.output, self._pos):
                    raise GuestError(f"QEMU exited (status {self.proc.wait()}) before "
                                     f"/{rx.pattern.decode()}/ appeared"
                                     f"\n--- guest output (tail) ---\n{self.tail()}")

    def send(self, data):
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def wait_exit(self, timeout=20.0):
        """Wait for QEMU to exit, collecting output; returns its exit status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError(f"QEMU still running after {timeout}s"
                                 f"\n--- guest output (tail) ---\n{self.tail()}")
            self._pump(min(left, 0.2))
        while self._pump(0):
            pass
        self.exit_status = self.proc.returncode
        return self.exit_status

    def expect_exit(self, status, timeout=20.0):
        got = self.wait_exit(timeout)
        if got != status:
            raise GuestError(f"QEMU exit status {got}, expected {status}"
                             f"\n--- guest output (tail) ---\n{self.tail()}")

    def forbid(self, pattern):
        """Fail if the regex appears anywhere in the output so far."""
        m = re.search(pattern.encode(), self.output)
        if m:
            raise GuestError(f"unexpected /{pattern}/ in the guest output"
                             f"\n--- guest output (tail) ---\n{self.tail()}")


def run_cases(doc, cases, want="build"):
    """Command line of a test script: `--build DIR [--workdir DIR] CASE...` or `--list`.
    Each case is called as fn(path, workdir), path being the build directory or, with
    want="kernel", its keel.elf. Prints PASS/FAIL per case; returns the exit status."""
    import argparse
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--build", help="the build directory")
    ap.add_argument("--workdir", help="scratch directory (default: /tmp)")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    if args.list:
        for name, fn in cases.items():
            print(f"{name:24} {(fn.__doc__ or '').strip().splitlines()[0] if fn.__doc__ else ''}")
        return 0
    if not args.build or not args.cases:
        ap.error("--build and at least one CASE are required (see --list)")
    build = os.path.abspath(args.build)
    path = os.path.join(build, "keel.elf") if want == "kernel" else build
    failed = 0
    for name in args.cases:
        fn = cases.get(name)
        if not fn:
            print(f"unknown case '{name}' (see --list)")
            return 2
        workdir = os.path.join(args.workdir or "/tmp", name)
        os.makedirs(workdir, exist_ok=True)
        try:
            fn(path, workdir)
            print(f"PASS {name}")
        except (GuestError, AssertionError) as e:
            failed += 1
            print(f"FAIL {name}: {e}")
    return 1 if failed else 0


PROMPT = "keel> "


class KeelShell:
    """A booted Keel at its shell prompt: run(line) types a command and returns what it printed.

        with KeelShell(build) as sh:
            out = sh.run("echo hi")          # -> "hi"
            sh.send("\\x03")                  # raw keys (Ctrl-C), then sh.vm.expect(...)

    The shell echoes what is typed; run() returns the output between the echoed line and the
    next prompt, with trailing whitespace removed."""

    def __init__(self, build, cmdline="", modules=None, workdir=None, extra_args=(),
                 boot_timeout=30.0, ctl_socket=False):
        mods = image_modules(build) if modules is None else modules
        self.vm = KeelVM(os.path.join(build, "keel.elf"), cmdline, modules=mods,
                         workdir=workdir, extra_args=extra_args, ctl_socket=ctl_socket)
        self.boot_timeout = boot_timeout

    def __enter__(self):
        self.vm.start()
        self.vm.expect(re.escape(PROMPT), timeout=self.boot_timeout)
        return self

    def __exit__(self, *exc):
        self.vm.__exit__(*exc)

    def send(self, keys):
        self.vm.send(keys)

    def run(self, line, timeout=20.0):
        """Type line + Enter; wait for the next prompt; return the command's output."""
        self.vm.send(line + "\r")
        start = self.vm._pos
        self.vm.expect(re.escape(PROMPT), timeout=timeout)
        text = self.vm.output[start:self.vm._pos - len(PROMPT)].decode("utf-8", "replace")
        # Drop the echo of the typed line (everything up to the first newline).
        nl = text.find("\n")
        return (text[nl + 1:] if nl >= 0 else "").rstrip()

    def expect(self, pattern, timeout=20.0):
        return self.vm.expect(pattern, timeout)
