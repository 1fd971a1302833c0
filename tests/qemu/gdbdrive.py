"""A GDB session driven from a test: Debian's gdb with tools/gdb/keel.py, attached to a KeelVM
started with the GDB stub on a unix socket and halted (gdb_vm() gives the QEMU arguments).

    with GdbVM(build, workdir, before_boot=["break counter_describe"]) as g:
        sh, gdb = g.sh, g.gdb                  # booted to the prompt, GDB's continue pending
        sh.send("run workload@1\\r")           # the guest hits the breakpoint: GDB is back
        out = gdb.wait()                       # the continue's output ("Breakpoint 1, ...")
        out = gdb.cmd("keel-bt")               # one command, its output
        gdb.go("continue")                     # start one that returns when GDB stops

Every command is followed by `echo <sentinel>`: its output ends where the sentinel appears, so
nothing waits for time. Every wait is bounded and reads the guest's serial output meanwhile (a
full pipe would stall QEMU); a timeout fails with the tail of both."""
import os
import re
import select
import signal
import subprocess
import time

from keelvm import PROMPT, SOURCE_DIR, GuestError, KeelShell

GDB_SCRIPT = os.path.join(SOURCE_DIR, "tools", "gdb", "keel.py")


class Gdb:
    def __init__(self, build, socket_path, vm):
        self.vm = vm
        self.out = b""
        self.n = 0
        self.pending = None
        args = ["gdb", "-q", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
                "-ex", "set width 0", "-ex", f"file {os.path.join(build, 'keel.elf')}",
                "-x", GDB_SCRIPT, "-ex", f"target remote {socket_path}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.cmd("echo attached\\n", timeout=30)

    def go(self, line):
        """Start a command; wait() returns its output."""
        if self.pending is not None:
            raise GuestError(f"gdb: '{line}' while '{self.pending[0]}' is still running")
        self.n += 1
        mark = f"@@keel-gdb-{self.n}@@"
        self.proc.stdin.write(f"{line}\necho {mark}\\n\n".encode())
        self.proc.stdin.flush()
        self.pending = (line, mark)

    def wait(self, timeout=60.0):
        line, mark = self.pending
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while mark.encode() not in self.out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError(f"gdb: '{line}' did not finish in {timeout} s\n--- gdb ---\n"
                                 f"{self.text()[-3000:]}\n--- guest ---\n{self.vm.tail(30)}")
            ready, _, _ = select.select([fd], [], [], min(left, 0.05))
            self.vm.drain()  # keep the serial pipe flowing while the guest runs
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise GuestError(f"gdb exited during '{line}'\n{self.text()[-3000:]}")
                self.out += chunk
        at = self.out.index(mark.encode())
        # GDB reading a pipe still prints its prompt before each command: not the output.
        result = self.out[:at].decode("utf-8", "replace").replace("(gdb) ", "")
        self.out = self.out[at + len(mark) + 1:]
        self.pending = None
        return result

    def cmd(self, line, timeout=60.0):
        self.go(line)
        return self.wait(timeout)

    def text(self):
        return self.out.decode("utf-8", "replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class GdbVM:
    """A KeelShell booted under GDB: QEMU starts halted (-S) with its stub on a unix socket in
    the VM's own run directory, GDB attaches, runs the commands before_boot (e.g. breakpoints,
    pending until their cell is loaded; their outputs in boot_output) and continues, and the
    shell's prompt is awaited. GDB's `continue` is then pending: gdb.wait() returns at the next
    stop (a breakpoint, or interrupt())."""

    def __init__(self, build, workdir, before_boot=(), boot_timeout=60.0):
        self.build = build
        self.before_boot = list(before_boot)  # GDB commands run while the guest is halted
        self.boot_output = []
        self.sh = KeelShell(build, workdir=workdir, boot_timeout=boot_timeout)
        self.sock = os.path.join(self.sh.vm.rundir, "gdb.sock")
        self.sh.vm.extra_args += ["-gdb", f"unix:{self.sock},server=on,wait=off", "-S"]
        self.gdb = None

    def __enter__(self):
        try:
            vm = self.sh.vm
            vm.start()
            vm.wait_until(lambda: os.path.exists(self.sock), 30, "QEMU's GDB socket")
            self.gdb = Gdb(self.build, self.sock, vm)
            self.boot_output = [self.gdb.cmd(c) for c in self.before_boot]
            self.gdb.go("continue")  # the guest runs: GDB is back at its next stop
            vm.expect(re.escape(PROMPT), timeout=self.sh.boot_timeout)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.gdb:
            self.gdb.close()
        self.sh.vm.close()


def interrupt(gdb):
    """Stop the running guest where it is (GDB's Ctrl-C); returns the pending command's output."""
    os.killpg(gdb.proc.pid, signal.SIGINT)
    return gdb.wait()
