#!/usr/bin/env python3
"""QEMU system tests of the control channel (cells/ctl, tools/keelctl; docs/control-channel.md):
the default image booted with COM2 on a unix socket, driven with keelctl while the shell runs on
COM1.

    ctl_tests.py --build DIR [--workdir DIR] CASE...
    ctl_tests.py --list
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelctlrun import KeelCtl  # noqa: E402
from keelvm import KeelShell, run_cases  # noqa: E402
from checks import check, has  # noqa: E402

BAD_KINDS = {
    # kind: what the guest's error reply must say
    "truncated": r"truncated frame: \d+ of \d+ bytes, then nothing for 1000 ms \(CTL_E_TRUNCATED\)",
    "bad-crc": r"bad frame checksum .*\(CTL_E_CRC\)",
    "bad-length": r"bad length: .*\(CTL_E_LENGTH\)",
    "bad-mac": r"bad MAC: the frame is not signed with this build's key \(CTL_E_MAC\)",
    "unauth": r"unauthenticated request \(type 3\) refused.*\(CTL_E_UNAUTH\)",
    "replay": r"replayed or reordered frame: sequence number (\d+) is not above the last one "
              r"accepted \(\1\) \(CTL_E_REPLAY\)",
    "reorder": r"replayed or reordered frame: sequence number \d+ is not above .*\(CTL_E_REPLAY\)",
    "stale-nonce": r"stale session: .*\(CTL_E_NONCE\)",
    "oversize": r"payload too large: 1049601 bytes, the limit is 1049600 .*\(CTL_E_OVERSIZE\)",
    "version": r"unsupported protocol version 2 \(this guest speaks 1\) \(CTL_E_VERSION\)",
}


class Ctl(KeelCtl):
    """keelctl against one booted guest, with its shell."""

    def __init__(self, build, sh):
        super().__init__(build, sh.vm)
        self.sh = sh

    def alive(self):
        """The guest still answers and the shell still works."""
        has(self("ping"), r"^pong from keel ctl@1: round trip")
        # (not ==: output a keelctl request caused may still arrive before the echo)
        has(self.sh.run("echo still here"), r"^still here$")


def shell(build, workdir):
    return KeelShell(build, workdir=workdir, ctl_socket=True)


def case_ping(build, workdir):
    """ping over the socket; the service task shows in ps; a wrong key or no socket is exit 3."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        out = ctl("ping")
        m = re.search(r"^pong from keel ctl@1: round trip [\d.]+ ms, guest up [\d.]+ s, key id "
                      r"([0-9a-f]{8})$", out, re.M)
        check(m, "pong line", out)
        sh.vm.forbid(r"ctl: no UART")
        check(re.search(r"ctl: control channel on COM2 \(protocol 1, key id " + m.group(1) + r"\)",
                        sh.vm.text()), "the guest logged the same key id", sh.vm.text())
        has(sh.run("ps"), r"\bctl\b")
        wrong = os.path.join(workdir, "wrong.key")
        with open(wrong, "wb") as f:
            f.write(b"\x01" * 32)
        # keelctl waits its whole reply timeout for a reply that verifies, then says why none did.
        out = ctl("--key", wrong, "--timeout", "10", "ping", want=3)
        has(out, r"the guest's replies do not verify with the key .*wrong\.key")
        with open(wrong, "wb") as f:
            f.write(b"short")
        has(ctl("--key", wrong, "ping", want=3), r"holds 5 bytes; a key is exactly 32 bytes")
        out = ctl("--socket", os.path.join(workdir, "nosuch.sock"), "ping", want=3)
        has(out, r"cannot connect to .*nosuch\.sock: No such file or directory \(is Keel running")
        ctl.alive()


def case_push_load(build, workdir):
    """push stores an object in the ramfs; load links it: its init runs, the shell sees it."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        has(ctl("unload", "greeter"), r"^unloaded greeter$")
        has(ctl("unload", "hello"), r"^unloaded hello$")
        sh.expect(r"hello: exiting after 2 greetings")
        hello = os.path.join(build, "cells", "hello@1.o")
        # --as-is: with its debug info, not the image's bytes.
        out = ctl("push", "--as-is", hello, want=1)
        has(out, r"push .*hello@1\.o: the ramfs already has a different 'hello@1\.o' \(files "
                 r"cannot be replaced\): push it under another name \(KE_EXIST\)")
        out = ctl("push", hello, "--name", "myhello@1.o")
        has(out, r"^pushed .*hello@1\.o as myhello@1\.o \(\d+ bytes in [\d.]+ s, [\d.]+ KiB/s\)$")
        out = ctl("push", hello, "--name", "myhello@1.o")
        has(out, r"is already in the ramfs as myhello@1\.o \(same \d+ bytes\)")
        out = ctl("push", "--as-is", hello, "--unique")
        has(out, r"^pushed .* as hello@1\.o\.1 ")
        has(sh.run("ls"), r"myhello@1\.o")
        out = ctl("load", "myhello@1.o")
        has(out, r"^loaded hello@1 from myhello@1\.o: text 0xffffffff9[0-9a-f]+ \(\d+ KiB\), "
                 r"rodata \d+ (?:B|KiB), data \d+ (?:B|KiB), \d+ relocations$")
        sh.expect(r"hello: cell initialised \(version 1\)")
        has(sh.run("cells"), r"^hello\s+1\s")
        out = sh.run("load greeter")  # the loaded hello serves greeter again
        has(out, r"^hello: hello, world! \(greeting 1\)$")
        has(out, r"^greeter: hello has greeted 2 times$")
        out = ctl("load", "myhello@1.o", want=1)
        has(out, r"^keelctl: load myhello@1\.o: cell 'hello': already loaded .*\(KE_EXIST\)")
        # load FILE: pushed (under a unique name) and loaded in one go.
        has(ctl("unload", "greeter"), r"^unloaded greeter$")
        out = ctl("load", "--as-is", os.path.join(build, "cells", "greeter@1.o"))
        has(out, r"^pushed .*greeter@1\.o as greeter@1\.o\.1 ")
        has(out, r"^loaded greeter@1 from greeter@1\.o\.1: ")
        sh.expect(r"greeter: hello has greeted 4 times")
        has(ctl("load", "nosuch.o", want=1), r"load nosuch\.o: no file 'nosuch\.o' in the ramfs")
        ctl.alive()


def case_load_unchanged(build, workdir):
    """keelctl load of an unchanged image cell pushes it without debug info, as the image carries
    it: the same bytes as its boot module, so nothing new is stored (no counter@1.o.1)."""
    obj = os.path.join(build, "cells", "counter@1.o")
    module = os.path.getsize(os.path.join(build, "image", "cells", "counter@1.o"))
    check(os.path.getsize(obj) > module, "the build's object has debug info to strip",
          f"{os.path.getsize(obj)} vs {module}")
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        ls_before = sh.run("ls")
        out = ctl("load", obj)
        has(out, rf"counter@1\.o is already in the ramfs as counter@1\.o \(same {module} bytes\)$")
        has(out, r"^loaded counter@1 from counter@1\.o: ")
        # swap pushes the same way (and so do the lines of a batch).
        out = ctl("swap", "counter", os.path.join(build, "cells", "counter@2.o"))
        has(out, r"counter@2\.o is already in the ramfs as counter@2\.o \(same ")
        has(out, r"^swapped counter: version 1 -> 2")
        out = ctl("batch", stdin="load " + os.path.join(build, "cells", "salute@1.o") + "\n")
        has(out, r"salute@1\.o is already in the ramfs as salute@1\.o \(same ")
        check(sh.run("ls") == ls_before, "a push of unchanged cells stored a file", sh.run("ls"))
        # --as-is pushes the bytes unchanged, debug info included: other bytes, a new name.
        out = ctl("push", "--as-is", "--unique", obj)
        has(out, rf"^pushed .*counter@1\.o as counter@1\.o\.1 \({os.path.getsize(obj)} bytes")
        ctl.alive()


def case_bad_frames(build, workdir):
    """Every kind of bad frame gets its own error reply, and changes nothing."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        for kind, pattern in BAD_KINDS.items():
            out = ctl("badframe", kind, want=1)
            has(out, r"^keelctl: badframe " + kind + r": the guest refused it: " + pattern)
            ctl("ping")  # answered right after each
        out = sh.run("ls")
        check("badframe-" not in out, "no refused push left a file behind", out)
        ctl.alive()


def case_bad_objects(build, workdir):
    """Oversized and garbage objects are refused with a message; the system carries on."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        big = os.path.join(workdir, "big.o")
        with open(big, "wb") as f:
            f.write(b"\x7fELF" + b"\0" * (1024 * 1024 + 1))
        has(ctl("push", big, want=1),
            r"big\.o: object of 1048581 bytes is larger than the limit of 1048576 bytes")
        garbage = os.path.join(workdir, "garbage.o")
        with open(garbage, "wb") as f:
            f.write(os.urandom(3000))
        has(ctl("push", garbage, want=1), r"push .*garbage\.o: 'garbage\.o' is not a cell object: "
                                          r"no ELF header \(KE_NOEXEC\)")
        has(ctl("load", garbage, want=1), r"is not a cell object: no ELF header")
        # An ELF header on a truncated body: stored, but the loader refuses it with its reason.
        hello = open(os.path.join(build, "cells", "hello@1.o"), "rb").read()
        cut = os.path.join(workdir, "cut.o")
        with open(cut, "wb") as f:
            f.write(hello[:200])
        has(ctl("push", cut), r"^pushed .*cut\.o as cut\.o ")
        out = ctl("load", "cut.o", want=1)
        has(out, r"^keelctl: load cut\.o: .*cut\.o.* \(KE_NOEXEC\)$")
        has(sh.run("ls"), r"cut\.o")
        check("garbage.o" not in sh.run("ls"), "the garbage was not stored")
        ctl.alive()


def case_unload(build, workdir):
    """unload: dependents and the control channel itself are refused, unknown cells too."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        has(ctl("unload", "hello", want=1), r"^keelctl: unload hello: cell 'hello': .*'greeter'")
        has(ctl("unload", "nosuch", want=1), r"^keelctl: unload nosuch: .*\(KE_NOENT\)")
        has(ctl("unload", "ctl", want=1), r"cell 'ctl' carries the control channel")
        has(ctl("unload", "greeter"), r"^unloaded greeter$")
        out = sh.run("cells")
        check(not re.search(r"^greeter ", out, re.M), "greeter gone", out)
        has(ctl("unload", "greeter", want=1), r"\(KE_NOENT\)")
        ctl.alive()


def case_query(build, workdir):
    """query cells, tasks and one cell, as text and as JSON."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        out = ctl("query", "cells")
        has(out, r"^NAME\s+VERSION\s+TEXT\s+RODATA\s+DATA\s+STATE\s+DEPENDENTS\s+PINS$")
        has(out, r"^hello\s+1\s+0xffffffff9[0-9a-f]{7}-0xffffffff9[0-9a-f]{7}\s+4 KiB\s+4 KiB\s+"
                 r"4 B\s+1\s+0$")  # STATE: the 4-byte state block hello declares
        has(out, r"^greeter\s+1\s.*\s-\s+0\s+0$")  # no state block
        has(out, r"^ctl\s+1\s+0xffffffff9[0-9a-f]{7}-.*\s1$")  # pinned by its service task
        # One table: the shell's cells says the same, word for word (but for its own cmd_cells).
        # (The NAME column is as wide as the longest name: compare words.)
        shell_rows = [l.split() for l in sh.run("cells").splitlines()
                      if l.split()[0] not in ("cmd_cells", "ctl")]
        ctl_rows = [l.split() for l in out.splitlines() if l.split()[0] != "ctl"]
        check(shell_rows == ctl_rows, "keelctl query cells and the shell's cells differ",
              f"{shell_rows}\n---\n{ctl_rows}")
        cells = json.loads(ctl("query", "cells", "--json"))["cells"]
        names = [c["name"] for c in cells]
        check(names[:3] == ["sched", "hello", "greeter"] and "ctl" in names and "shell" in names,
              "cells in load order", names)
        out = ctl("query", "tasks")
        has(out, r"^\s+\d+\s+ctl\s+running\s+\d+\s+ctl\s")
        has(out, r"^\s+\d+\s+shell\s+\w+\s+\d+\s+shell\s")
        tasks = json.loads(ctl("query", "tasks", "--json"))["tasks"]
        check(any(t["name"] == "ctl" and t["cell"] == "ctl" for t in tasks), "ctl task", tasks)
        out = ctl("query", "cell", "hello")
        has(out, r"^cell hello@1$")
        has(out, r"^\s+greeter\s+\.text\.greeter_init\+0x[0-9a-f]+ -> hello_greet$")
        one = json.loads(ctl("query", "cell", "hello", "--json"))
        check(one["cell"]["name"] == "hello" and one["cell"]["state_bytes"] == 4 and
              {d["site"] for d in one["dependents"]} == {"greeter"}, "query cell --json", one)
        has(ctl("query", "cell", "nosuch", want=1), r"no cell named 'nosuch' is loaded")
        has(ctl("query", "bogus", want=2), r"want 'cells', 'tasks', 'cell NAME' or 'swap'")
        has(ctl("query", "swap", "extra", want=2), r"want 'cells', 'tasks', 'cell NAME' or 'swap'")
        out = ctl("query", "swap")  # nothing pending on a fresh system
        has(out, r"^swap: since boot 0 calls held at a gate, 0 us there in all$")
        has(out, r"^swap: no swap is pending$")
        st = json.loads(ctl("query", "swap", "--json"))["swap_status"]
        check(st == {"pending": False, "gate_calls": 0, "gate_wait_ns": 0}, "query swap --json",
              st)
        ctl.alive()


def case_cli(build, workdir):
    """keelctl's command line: help, usage errors (exit 2), local refusals; no guest needed."""
    exe = os.path.join(build, "tools", "keelctl", "keelctl")

    def run(*args, want):
        p = subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=20)
        out = p.stdout + p.stderr
        check(p.returncode == want, f"keelctl {' '.join(args)}: exit {p.returncode}, want {want}",
              out)
        return out

    out = run("--help", want=0)
    for cmd in ("ping", "push FILE", "load NAME|FILE", "unload CELL", "swap CELL FILE|NAME",
                "query cells|tasks|cell NAME|swap", "rm NAME...", "batch"):
        check(cmd in out, f"'{cmd}' in the help", out)
    for cmd in ("ping", "push", "load", "unload", "swap", "query", "rm", "batch", "badframe"):
        has(run(cmd, "--help", want=0), r"^usage: keelctl " + cmd)
    has(run("help", "swap", want=0), r"--fail-at STEP")
    has(run(want=2), r"^usage: keelctl")
    has(run("frobnicate", want=2), r"unknown command 'frobnicate'")
    has(run("push", want=2), r"push: missing arguments")
    has(run("swap", "counter", "x", "y", want=2), r"swap: give CELL OBJECT pairs")
    has(run("swap", "a", "b", "--fail-at", "bogus", want=2), r"--fail-at wants a step: link, ")
    has(run("ping", "--json", want=2), r"does not apply to ping")
    has(run("push", "x.o", "--bogus", want=2), r"unknown option '--bogus'")
    has(run("push", "/nonexistent/x.o", want=1), r"cannot read /nonexistent/x\.o")
    has(run("rm", want=2), r"rm: missing arguments")
    has(run("batch", "x", want=2), r"batch: too many arguments")
    sock = os.path.join(workdir, "none.sock")
    has(run("--socket", sock, "ping", want=3), r"cannot connect to")
    has(run("--key", "/nonexistent.key", "ping", want=3), r"cannot read the key /nonexistent\.key")


def load_demo(sh):
    """counter@1, salute@1 and the workload calling them."""
    has(sh.run("load counter@1"), r"^loaded counter@1 from ")
    has(sh.run("load salute@1"), r"^loaded salute@1 from ")
    has(sh.run("run workload@1"), r"greeting 'hello, Keel!'")


def case_swap_from_host(build, workdir):
    """keelctl swap pushes the host's object and swaps it in: dry run, a real swap the shell
    sees at once, a refusal and an injected failure that change nothing, JSON output."""
    cells_dir = os.path.join(build, "cells")
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        load_demo(sh)
        out = ctl("swap", "-n", "counter", os.path.join(cells_dir, "counter@2.o"))
        has(out, r"state block: carried verbatim, 8 bytes \(layout 1\)")
        has(out, r"rewire workload .*-> counter:counter_next")
        has(out, r"dry run: nothing changed")
        has(sh.run("cells"), r"^counter\s+1\s")
        out = ctl("swap", "counter", os.path.join(cells_dir, "counter@2.o"))
        has(out, r"^swapped counter: version 1 -> 2, state verbatim \(8 bytes\), 0 variables "
                 r"carried \(0 bytes\)$")
        # More than one check with 2 CPUs and more: the workload runs on another CPU meanwhile,
        # and a check can catch it inside counter.
        has(out, r"^  \d+ sites? rewired, 0 service tasks re-spawned, \d+ quiescence checks?$")
        has(out, r"^  total [\d.]+ us = link [\d.]+ \+ check [\d.]+ \+ quiesce [\d.]+ \+ transfer "
                 r"[\d.]+ \+ rewrite [\d.]+ \+ commit [\d.]+ \+ retire [\d.]+; stop-the-world "
                 r"[\d.]+ us$")
        has(sh.run("cells"), r"^counter\s+2\s")
        has(sh.run("run workload"), r"0 out of sequence.*\n.*counter v2: value \d+")
        out = ctl("swap", "counter", os.path.join(cells_dir, "counter@4.o"), want=1)
        has(out, r"^keelctl: swap: cell 'counter': state layout 1 in both versions")
        has(out, r"^swap: stopped at step 'check'; nothing was swapped$")
        check(" us" not in out, "a refused swap prints no timing", out)
        out = ctl("swap", "--fail-at", "rewrite", "salute",
                  os.path.join(cells_dir, "salute@2.o"), want=1)
        has(out, r"failure injected at step 'rewrite'; nothing changed \(KE_INJECTED\)")
        has(sh.run("cells"), r"^salute\s+1\s")
        has(sh.run("run workload"), r"greeting 'hello, Keel!'")
        rep = json.loads(ctl("swap", "--json", "salute", os.path.join(cells_dir, "salute@2.o")))
        check(rep["ok"] and rep["cells"][0]["new_version"] == 2 and
              rep["stw_ns"] > 0 and rep["sites_rewired"] == 1 and
              rep["cells"][0]["variables_carried"] == 0 and rep["quiescence_checks"] >= 1, "JSON report",
              json.dumps(rep))
        # The workload shows the new greeting after its next call into salute: ask until then.
        m = sh.run_until("run workload", r"greeting 'good day, Keel!'")
        has(m.string, r"0 out of sequence")
        ctl.alive()


def keel_swap(build, sh, *args):
    """tools/keel swap ARGS against this guest's control channel: (exit status, output)."""
    env = dict(os.environ, KEEL_BUILD_DIR=build, KEEL_CTL_SOCKET=sh.vm.ctl_socket)
    keel = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "tools", "keel")
    p = subprocess.run([keel, "swap", *args], capture_output=True, text=True, timeout=300,
                       env=env)
    return p.returncode, p.stdout + p.stderr


def case_dev_loop(build, workdir):
    """tools/keel swap CELL VERSION: rebuild the cell, push it, swap it into the running guest."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        load_demo(sh)
        rc, out = keel_swap(build, sh, "counter", "3")
        check(rc == 0, f"tools/keel swap: exit {rc}", out)
        has(out, r"^swapped counter: version 1 -> 3, state migrated")
        has(out, r"^  total [\d.]+ us = link [\d.]+ ")
        has(sh.run("run workload"), r"counter v3: value \d+, \d+ calls since migrating")
        rc, out = keel_swap(build, sh, "nosuchcell")
        check(rc == 1 and "no cell 'nosuchcell'" in out, "unknown cell refused", out)
        ctl.alive()


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
