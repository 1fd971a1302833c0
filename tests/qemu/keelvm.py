"""Drive a Keel guest in QEMU over its serial console.

Used by every QEMU system test and by the benchmarks. A KeelVM builds an ISO for one command line
(tools/mkiso.sh), boots it with the serial console on a pipe, and offers expect()/send() with
timeouts; everything the guest printed is kept so a failing test can show the whole transcript.

Waiting: a test never sleeps for a while and hopes. It waits for an event the guest shows:
  vm.expect(regex)            a line (or any text) in the output after the previous match
  vm.wait_until(probe)        a condition the test checks itself (a file, the VGA screen, ...),
                              polled until it holds
  sh.run(line)                a command's output, up to the prompt that follows it
  sh.run_until(line, regex)   a command re-run until its output matches (`ps` until a task is
                              blocked, `mem` until a figure is back, ...)
Each is bounded by a timeout and fails with the tail of the guest's output.

QEMU exit status with isa-debug-exit: the guest writes v, QEMU exits (v << 1) | 1:
33 = success (QEMU_EXIT_SUCCESS), 35 = failure/panic (QEMU_EXIT_FAILURE), 0 = ACPI power-off.
"""
import ctypes
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

EXIT_SUCCESS = 33
EXIT_FAILURE = 35
PANIC_LINE = b"KEEL PANIC"  # first and last line of the kernel's panic report
PANIC_END = b"end of panic report"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\r")
PARTIAL_ESC = re.compile(rb"\x1b(?:\[[0-9;?]*)?\Z")  # the start of one, at the very end
POLL_INTERVAL = 0.05  # how often wait_until() looks again (a polling period, not a wait)

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


def _die_with_parent(parent):
    """Runs in the QEMU child before exec: QEMU is killed when the test process dies, even by
    SIGKILL (a CTest timeout), so no QEMU outlives its test."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def default_smp():
    """The CPUs a test VM gets unless the test says otherwise: 2, or KEEL_TEST_SMP (the whole
    suite at another count: KEEL_TEST_SMP=4 ctest ...; tools/keel bench --smp N sets it)."""
    value = os.environ.get("KEEL_TEST_SMP", "2")
    if not value.isdigit() or not 1 <= int(value) <= 16:
        raise ValueError(f"KEEL_TEST_SMP must be a number of CPUs from 1 to 16, not {value!r}")
    return int(value)


def oversubscribed(cpus):
    """More vCPUs than this host has cores: a vCPU waits for a host core, so every stop of the
    world and every IPI can take a host time slice (milliseconds), and a test that repeats them
    thousands of times should repeat them fewer times (never assert less)."""
    return cpus > (os.cpu_count() or 1)


def smp_args(cpus):
    """QEMU arguments for `cpus` vCPUs, each its own host thread (multi-threaded TCG)."""
    return ["-smp", str(cpus), "-accel", "tcg,thread=multi"]


class KeelVM:
    def __init__(self, kernel, cmdline="", modules=(), memory="256M", workdir=None,
                 extra_args=(), qemu="qemu-system-x86_64", ctl_socket=False, monitor=False,
                 iso=None, smp=None):
        self.kernel = kernel
        self.smp = default_smp() if smp is None else smp
        self.cmdline = cmdline
        self.modules = list(modules)
        self.memory = memory
        self.extra_args = list(extra_args)
        self.qemu = qemu
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="keelvm-")
        os.makedirs(self.workdir, exist_ok=True)
        # This VM's own files (the ISO, the sockets) in a fresh directory: two tests never share
        # a path, even when they run at the same time with the same workdir, and the path stays
        # short (a unix socket path has at most 107 bytes). Removed by close().
        self.rundir = tempfile.mkdtemp(prefix="keelvm-run-")
        # iso: a ready-made image to boot (e.g. the one tools/keel iso makes) instead of one
        # built from kernel, cmdline and modules.
        self.iso = iso or os.path.join(self.rundir, "keel.iso")
        self._iso_ready = iso is not None
        self.proc = None
        self.raw = b""
        self.output = b""  # raw with terminal escapes and carriage returns removed
        self._unclean = b""  # the end of raw not yet in output (an unfinished escape sequence)
        self._pos = 0  # expect() consumes output up to here
        self.start_time = None
        self.exit_status = None
        # A test that does not provoke panics on purpose sets this: a waiting helper then fails
        # as soon as the guest reports a panic, with the report, instead of at its timeout.
        self.panic_fails = False
        # The control channel (COM2) on a unix socket for keelctl: ctl_socket=True puts it in the
        # run directory, a string names the path; self.ctl_socket is None without one.
        if ctl_socket is True:
            ctl_socket = os.path.join(self.rundir, "ctl.sock")
        self.ctl_socket = ctl_socket or None
        # The QEMU human monitor on a unix socket (tests/qemu/qemumon.py talks to it).
        self.monitor_socket = os.path.join(self.rundir, "monitor.sock") if monitor else None

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
        args = [self.qemu, "-m", self.memory, *smp_args(self.smp), "-cdrom", self.iso, "-boot", "d",
                "-serial", "stdio", "-display", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if self.ctl_socket:  # COM2: the second -serial
            args += ["-chardev", f"socket,id=ctl,path={self.ctl_socket},server=on,wait=off",
                     "-serial", "chardev:ctl"]
        if self.monitor_socket:
            args += ["-monitor", f"unix:{self.monitor_socket},server=on,wait=off"]
        args += self.extra_args
        if "-monitor" not in args:
            args += ["-monitor", "none"]
        self.start_time = time.monotonic()
        parent = os.getpid()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=lambda: _die_with_parent(parent))
        os.set_blocking(self.proc.stdout.fileno(), False)
        return self

    def __enter__(self):
        return self  # start() explicitly: a test may build the ISO first, outside its timing

    def __exit__(self, *exc):
        self.close()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        """Kill QEMU and remove the VM's files."""
        self.kill()
        shutil.rmtree(self.rundir, ignore_errors=True)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

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
            self.output += self._unclean  # QEMU has exited: nothing will complete it
            self._unclean = b""
            return False
        self.raw += chunk
        # output only grows (positions in it stay valid): an escape sequence cut short at the end
        # of a read waits for the rest before it is cleaned.
        self._unclean += chunk
        held = PARTIAL_ESC.search(self._unclean)
        cut = held.start() if held else len(self._unclean)
        self.output += ANSI.sub(b"", self._unclean[:cut])
        self._unclean = self._unclean[cut:]
        return True

    def drain(self):
        """Take in everything the guest has printed so far, without waiting; False at EOF."""
        while True:
            before = len(self.raw)
            if not self._pump(0):
                return False
            if len(self.raw) == before:
                return True

    def text(self):
        return self.output.decode("utf-8", "replace")

    def tail(self, lines=60):
        return "\n".join(self.text().splitlines()[-lines:])

    def mark(self):
        """A position in the output: since(mark) is what the guest printed after it."""
        return len(self.output)

    def since(self, mark):
        return self.output[mark:].decode("utf-8", "replace")

    def skip(self):
        """Take in what has arrived and move expect()'s start past it: the next expect() sees
        only output that arrives from now on (e.g. the answer to what the test sends next)."""
        self.drain()
        self._pos = len(self.output)

    def _check_panic(self, what):
        """With panic_fails: GuestError once the guest reported a panic (the whole report)."""
        if not self.panic_fails:
            return
        at = self.output.find(PANIC_LINE)
        if at < 0:
            return
        end = self.output.find(PANIC_END, at)
        deadline = time.monotonic() + 5.0  # the rest of the report is on its way
        while end < 0 and time.monotonic() < deadline and self._pump(0.2):
            end = self.output.find(PANIC_END, at)
        report = self.output[at:end + len(PANIC_END) if end >= 0 else len(self.output)]
        raise GuestError(f"the guest panicked while the test waited for {what}:\n"
                         f"{report.decode('utf-8', 'replace')}"
                         f"\n--- guest output before the panic (tail) ---\n"
                         + "\n".join(self.output[:at].decode("utf-8", "replace")
                                      .splitlines()[-30:]))

    def _timeout(self, timeout, what):
        return GuestError(f"timed out after {timeout}s waiting for {what}"
                          f"\n--- guest output (tail) ---\n{self.tail()}")

    def _exited(self, what):
        return GuestError(f"QEMU exited (status {self.proc.wait()}) while waiting for {what}"
                          f"\n--- guest output (tail) ---\n{self.tail()}")

    def expect(self, pattern, timeout=20.0):
        """Wait for a regex in the output after the previous match; returns the match."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        what = f"/{rx.pattern.decode()}/"
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.output, self._pos)
            if m:
                self._pos = m.end()
                return m
            self._check_panic(what)
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._timeout(timeout, what)
            if not self._pump(min(left, 0.5)):
                if not rx.search(self.output, self._pos):
                    raise self._exited(what)

    def wait_until(self, probe, timeout=20.0, what="a condition", interval=POLL_INTERVAL):
        """Call probe() until it returns something true, and return that. Between two calls the
        output keeps being read for up to `interval` seconds, less if some arrives (the polling
        period: the condition, not the clock, ends the wait). GuestError after `timeout` seconds
        or if QEMU exits."""
        deadline = time.monotonic() + timeout
        while True:
            got = probe()
            if got:
                return got
            self._check_panic(what)
            if time.monotonic() >= deadline:
                raise self._timeout(timeout, what)
            pause_end = min(deadline, time.monotonic() + interval)
            while time.monotonic() < pause_end:
                before = len(self.raw)
                if not self._pump(pause_end - time.monotonic()):
                    got = probe()
                    if got:
                        return got
                    raise self._exited(what)
                if len(self.raw) != before:
                    break  # new output: look again at once

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

    def forbid(self, pattern, since=0):
        """Fail if the regex appears in the output so far (from position `since` on)."""
        m = re.compile(pattern.encode()).search(self.output, since)
        if m:
            raise GuestError(f"unexpected /{pattern}/ in the guest output"
                             f"\n--- guest output (tail) ---\n{self.tail()}")


def case(**properties):
    """Decorator of a case function: CTest properties of its test that differ from its suite's
    (run_cases --list prints them after the name; tests/qemu/qemu.cmake applies them).
    Only timeout=<seconds> so far, e.g. @case(timeout=600) for a case that is slow by design."""
    unknown = set(properties) - {"timeout"}
    if unknown:
        raise TypeError(f"case(): unknown properties {sorted(unknown)}")

    def mark(fn):
        fn.ctest_properties = properties
        return fn
    return mark


def run_cases(doc, namespace, want="build"):
    """Command line of a test script: `--build DIR [--workdir DIR] CASE...`, `--list` or
    `--describe`. The cases are the functions case_<name> of `namespace` (the script's
    globals()), in the order they are defined: the script is the one place a case is declared.
    `--list` prints a case a line, its name and any @case properties ("name timeout=600"): CMake
    registers one test per line at configure time (tests/qemu/qemu.cmake); `--describe` adds
    the first line of each case's docstring.
    Each case is called as fn(path, workdir), path being the build directory or, with
    want="kernel", its keel.elf, and workdir <DIR>/<script>/<case> (created; never shared by
    two scripts' cases of the same name). Prints PASS/FAIL per case; returns the exit status."""
    import argparse
    cases = {name[len("case_"):]: fn for name, fn in namespace.items()
             if name.startswith("case_") and callable(fn)}
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--build", help="the build directory")
    ap.add_argument("--workdir", help="scratch directory (default: the system's temp dir)")
    ap.add_argument("--list", action="store_true",
                    help="list the cases: a name a line, then its CTest properties")
    ap.add_argument("--describe", action="store_true", help="list the cases with what they check")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    if args.list:
        for name, fn in cases.items():
            props = getattr(fn, "ctest_properties", {})
            print(" ".join([name] + [f"{k}={v}" for k, v in props.items()]))
        return 0
    if args.describe:
        for name, fn in cases.items():
            print(f"{name:24} {(fn.__doc__ or '').strip().splitlines()[0] if fn.__doc__ else ''}")
        return 0
    if not args.build or not args.cases:
        ap.error("--build and at least one CASE are required (see --list)")
    build = os.path.abspath(args.build)
    path = os.path.join(build, "keel.elf") if want == "kernel" else build
    script = os.path.splitext(os.path.basename(namespace.get("__file__", "tests")))[0]
    failed = 0
    for name in args.cases:
        fn = cases.get(name)
        if not fn:
            print(f"unknown case '{name}' (see --list)")
            return 2
        workdir = os.path.join(args.workdir or tempfile.gettempdir(), script, name)
        os.makedirs(workdir, exist_ok=True)
        try:
            fn(path, workdir)
            print(f"PASS {name}")
        except (GuestError, AssertionError) as e:
            failed += 1
            print(f"FAIL {name}: {e}")
    return 1 if failed else 0


PROMPT = "keel> "
_PLAIN = re.compile(r"[ -~]*")  # a line of printable characters echoes as itself


class KeelShell:
    """A booted Keel at its shell prompt: run(line) types a command and returns what it printed.

        with KeelShell(build) as sh:
            out = sh.run("echo hi")          # -> "hi"
            m = sh.run_until("ps", r"^\\s+(\\d+)\\s+waiter\\s+blocked\\s")  # re-run until it shows
            sh.send("\\x03")                  # raw keys (Ctrl-C), then sh.expect(...)

    The shell echoes what is typed; run() returns the output between the echoed line and the
    next prompt, with trailing whitespace removed."""

    def __init__(self, build, cmdline="", modules=None, workdir=None, extra_args=(),
                 boot_timeout=30.0, ctl_socket=False, monitor=False, iso=None, smp=None):
        mods = image_modules(build) if modules is None else modules
        self.build = build
        self.vm = KeelVM(os.path.join(build, "keel.elf"), cmdline, modules=mods,
                         workdir=workdir, extra_args=extra_args, ctl_socket=ctl_socket,
                         monitor=monitor, iso=iso, smp=smp)
        self.vm.panic_fails = True  # a shell session never panics on purpose
        self.boot_timeout = boot_timeout

    def __enter__(self):
        try:
            self.vm.start()
            self.vm.expect(re.escape(PROMPT), timeout=self.boot_timeout)
        except BaseException:
            self.vm.close()  # __exit__ is not called when __enter__ fails: no QEMU left behind
            raise
        return self

    def __exit__(self, *exc):
        self.vm.__exit__(*exc)

    def send(self, keys):
        self.vm.send(keys)

    def run(self, line, timeout=20.0):
        """Type line + Enter; wait for the next prompt; return the command's output."""
        # Whatever arrived before the line is typed (a late log line, a prompt no one waited
        # for) is not the command's: take it in now and start after it.
        self.vm.skip()
        start = self.vm._pos
        self.vm.send(line + "\r")
        self.vm.expect(re.escape(PROMPT), timeout=timeout)
        text = self.vm.output[start:self.vm._pos - len(PROMPT)].decode("utf-8", "replace")
        # Drop the echo of the typed line: a plain line echoes as itself; a line with editing
        # keys echoes as its result, so up to the first newline.
        at = text.find(line + "\n") if _PLAIN.fullmatch(line) else -1
        if at >= 0:
            text = text[at + len(line) + 1:]
        else:
            nl = text.find("\n")
            text = text[nl + 1:] if nl >= 0 else ""
        return text.rstrip()

    def run_until(self, line, want, timeout=30.0, what=None):
        """Run line again and again until its output satisfies want: a regex (multiline; the
        match is returned) or a function of the output (its true result is returned). For a
        state the system reaches on its own time, e.g. a task blocking: no guess of how long."""
        last = [""]

        def probe():
            out = last[0] = self.run(line)
            return re.search(want, out, re.M) if isinstance(want, str) else want(out)

        try:
            return self.vm.wait_until(probe, timeout, what or f"'{line}' to show /{want}/")
        except GuestError as e:
            raise GuestError(f"{e}\n--- last output of '{line}' ---\n{last[0]}") from None

    def expect(self, pattern, timeout=20.0):
        return self.vm.expect(pattern, timeout)
