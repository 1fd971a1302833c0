#!/usr/bin/env python3
"""QEMU system tests of the ramfs as the control channel and the shell change it: a refused load
or swap leaves nothing behind (1,000 malformed objects through keelctl load), rm in the shell and
over keelctl, and the ramfs's byte quota as mem shows it (cells/ramfs, cells/ctl, tools/keelctl;
docs/control-channel.md, docs/shell/commands1.md).

    ramfs_tests.py --build DIR [--workdir DIR] CASE...
    ramfs_tests.py --list
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import malformed  # noqa: E402
from checks import check, has  # noqa: E402
from ctl_tests import Ctl, keel_swap, load_demo, shell  # noqa: E402
from keelvm import KeelShell, case, run_cases  # noqa: E402

SIZE = r"\d+ (?:B|KiB|MiB|GiB)"
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


def size_bytes(text):
    n, unit = text.split()
    return int(n) * UNITS[unit]


def ramfs_line(out):
    """mem's ramfs line: files, boot modules, added files, added bytes, in use, quota."""
    m = re.search(rf"^ramfs: (\d+) files \((\d+) boot modules in place, (\d+) added of ({SIZE})\); "
                  rf"({SIZE}) in use of its quota of ({SIZE})$", out, re.M)
    check(m, "no ramfs line in mem", out)
    return {"files": int(m.group(1)), "boot": int(m.group(2)), "added": int(m.group(3)),
            "added_bytes": size_bytes(m.group(4)), "in_use": size_bytes(m.group(5)),
            "quota": size_bytes(m.group(6))}


def heap_figures(out):
    """What must come back to where it was: the heap's total in use, the rows of the core, the
    ramfs and the ctl task, and the ramfs line (mem's own task differs from run to run only in
    its id)."""
    m = re.search(rf"^heap: ({SIZE}) in use,", out, re.M)
    check(m, "no heap line in mem", out)
    rows = {}
    for name in ("core", "ramfs", r"task \d+ ctl"):
        r = re.search(rf"^{name}\s+({SIZE})\s", out, re.M)
        check(r, f"no {name} row in mem", out)
        rows[name] = size_bytes(r.group(1))
    return {"heap": size_bytes(m.group(1)), "rows": rows, "ramfs": ramfs_line(out)}


def keelctl_text(message):
    """A guest's message as keelctl prints it: bytes outside printable ASCII as \\xNN, a
    backslash doubled (cellinfo's JSON carries each byte as one character)."""
    return "".join("\\\\" if b == 0x5c else chr(b) if 0x20 <= b < 0x7f else f"\\x{b:02x}"
                   for b in message.encode("latin-1"))


def check_refused(out, name, stage, message):
    """keelctl load FILE of a malformed object: refused with the expected message (the loader's,
    as cellinfo gives it), and a file its push stored was removed again."""
    message = keelctl_text(message)
    if stage == "push":
        has(out, rf"^keelctl: push .*/{re.escape(name)}: '{re.escape(name)}' is not a cell "
                 rf"object: {re.escape(message)} \(KE_NOEXEC\)$")
        check("pushed" not in out, f"{name}: a push refused at the header stored something", out)
    else:
        has(out, rf"^pushed .*/{re.escape(name)} as {re.escape(name)} \(\d+ bytes\)$")
        has(out, rf"^keelctl: load {re.escape(name)}: {re.escape(message)} \(KE_[A-Z]+\)$")
        has(out, rf"^keelctl: {re.escape(name)} was removed from the ramfs again \(the request was "
                 rf"refused\)$")


def batch(ctl, lines, timeout):
    """keelctl batch: its process, the output of each command (up to its '== N' status line)
    and the statuses. Lines without a command (comments, empty) have no status."""
    cmd = [ctl.exe, "--socket", ctl.sh.vm.ctl_socket, "batch"]
    p = subprocess.run(cmd, input="".join(line + "\n" for line in lines), capture_output=True,
                       text=True, timeout=timeout)
    # stdout is line-buffered and stderr unbuffered in batch mode, but they are two pipes here:
    # split each by its status lines (stderr has none), pairing the pieces by position.
    outs = re.split(r"^== \d+\n", p.stdout, flags=re.M)
    statuses = [int(s) for s in re.findall(r"^== (\d+)$", p.stdout, re.M)]
    commands = [line for line in lines if line.strip() and not line.startswith("#")]
    check(len(statuses) == len(commands), f"batch: {len(statuses)} status lines for "
          f"{len(commands)} commands (exit {p.returncode})", p.stdout[-3000:] + p.stderr[-3000:])
    return p, outs[:len(commands)], statuses


# 1,000 pushes over the emulated UART: about a minute on an idle host, several on a busy one.
@case(timeout=600)
def case_refused_loads(build, workdir):
    """1,000 malformed objects (structural damage by class and random byte mutants of real
    cells, fixed seed) through keelctl load, 100 as separate keelctl runs and 900 over one
    keelctl batch: every one refused with the loader's own message, every file a push stored
    removed again; the system stays up, the ramfs and the heap come back to where they were,
    and a good cell still loads and swaps. The objects go --as-is: their exact bytes, not what
    llvm-objcopy would make of them."""
    warmup, count = 3, int(os.environ.get("KEEL_MALFORMED_COUNT", "1000"))
    objs = malformed.generate(build, os.path.join(workdir, "objects"), count + warmup)
    path = {name: os.path.join(workdir, "objects", name) for name, _, _, _ in objs}
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        # Warm-up: the first refused load and the first ls and mem allocate what stays for good
        # (ctl's buffers, the command cells).
        for name, _, stage, message in objs[:warmup]:
            check_refused(ctl("load", "--as-is", path[name], want=1), name, stage, message)
        ls_before = sh.run("ls")
        sh.run("mem")
        before = heap_figures(sh.run("mem"))
        singles, rest = objs[warmup:warmup + 100], objs[warmup + 100:]
        for name, _, stage, message in singles:
            check_refused(ctl("load", "--as-is", path[name], want=1), name, stage, message)
        p, outs, statuses = batch(ctl, [f"load --as-is {path[name]}" for name, _, _, _ in rest],
                                  540)
        check(p.returncode == 1 and statuses == [1] * len(rest),
              f"batch: exit {p.returncode}, statuses {sorted(set(statuses))}", p.stderr[-2000:])
        # Pair each command's stdout with its stderr lines (those name the object).
        errs = p.stderr.splitlines()
        for (name, _, stage, message), out in zip(rest, outs):
            mine = [e for e in errs if f"{name}:" in e or f" {name} " in e]
            check_refused(out + "\n".join(mine), name, stage, message)
        after = heap_figures(sh.run("mem"))
        check(after == before, f"the ramfs or the heap did not come back: before {before}, "
              f"after {after}", sh.vm.tail(30))
        check(sh.run("ls") == ls_before, "the ramfs lists other files than before", sh.run("ls"))
        ctl.alive()
        # A good cell still loads and swaps.
        cells = os.path.join(build, "cells")
        has(ctl("load", os.path.join(cells, "counter@1.o")), r"^loaded counter@1 from ")
        has(ctl("swap", "counter", os.path.join(cells, "counter@2.o")),
            r"^swapped counter: version 1 -> 2")
        has(sh.run("cells"), r"^counter\s+2\s")


def case_refused_swap(build, workdir):
    """A refused keelctl swap (and tools/keel swap) removes the objects its push stored; a
    refusal before anything is linked says only why; the ramfs is as before."""
    cells = os.path.join(build, "cells")
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        load_demo(sh)
        ls_before = sh.run("ls")
        cut = os.path.join(workdir, "cut.o")
        with open(os.path.join(cells, "counter@2.o"), "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            f.write(data[:300])
        out = ctl("swap", "counter", cut, want=1)
        has(out, r"^pushed .*cut\.o as cut\.o \(\d+ bytes\)$")
        has(out, r"^keelctl: swap: cell 'cut\.o': section header table .* "
                 r"beyond end of file .*\(KE_NOEXEC\)$")
        has(out, r"^swap: stopped at step 'link'; nothing was swapped$")
        has(out, r"^keelctl: cut\.o was removed from the ramfs again")
        # Two objects, refused at the check: the file the push stored goes; the one that was
        # there already (the test image carries counter@4.o with the same bytes: as they are,
        # debug info included, hence --as-is) stays.
        out = ctl("swap", "--as-is", "counter", os.path.join(cells, "counter@4.o"), "salute",
                  os.path.join(cells, "salute@2.o"), want=1)
        has(out, r"counter@4\.o is already in the ramfs as counter@4\.o \(same \d+ bytes\)")
        has(out, r"^keelctl: swap: cell 'counter': state layout 1 in both versions")
        has(out, r"^swap: stopped at step 'check'; nothing was swapped$")
        has(out, r"^keelctl: salute@2\.o\.1 was removed from the ramfs again")
        check("counter@4.o was removed" not in out, "a file the push did not store was removed",
              out)
        # Refused before linking (no such cell): no report, just the reason.
        out = ctl("swap", "--as-is", "nosuch", os.path.join(cells, "counter@2.o"), want=1)
        has(out, r"^keelctl: swap: no cell named 'nosuch' is loaded \(KE_NOENT\)$")
        check("stopped at step" not in out and " us" not in out,
              "a refusal before linking printed a report", out)
        has(out, r"^keelctl: counter@2\.o\.1 was removed from the ramfs again")
        # An object already in the ramfs is not the push's to remove.
        has(ctl("push", cut), r"^pushed ")
        out = ctl("swap", "counter", cut, want=1)
        has(out, r"cut\.o is already in the ramfs as cut\.o")
        check("removed" not in out, "a file the push did not store was removed", out)
        has(ctl("rm", "cut.o"), r"^removed cut\.o \(300 bytes freed\)$")
        # tools/keel swap goes through keelctl swap: counter@4 is refused at the check.
        rc, out = keel_swap(build, sh, "counter", "4")
        check(rc == 1, f"tools/keel swap counter 4: exit {rc}", out)
        has(out, r"^keelctl: swap: cell 'counter': state layout 1 in both versions")
        has(out, r"^swap: stopped at step 'check'")
        check(sh.run("ls") == ls_before, "a refused swap left a file behind", sh.run("ls"))
        has(sh.run("cells"), r"^counter\s+1\s")
        ctl.alive()


def case_rm_shell(build, workdir):
    """rm in the shell: removes, refuses a file a loaded cell came from, all or none, bad
    arguments, a file that is not there; a boot module loses only its name. (Booted with a
    quota option that is not a size: the ramfs says so and keeps its default.)"""
    with KeelShell(build, workdir=workdir, ctl_socket=True, cmdline="ramfs.quota=lots") as sh:
        ctl = Ctl(build, sh)
        check(re.search(r"ramfs: ramfs\.quota=lots is not a size \(such as 4096, 512K, 16M, 1G\); "
                        r"using the default", sh.vm.text()), "no warning", sh.vm.text())
        check(ramfs_line(sh.run("mem"))["quota"] == 16 << 20, "not the default quota")
        out = sh.run("rm")
        has(out, r"^rm: missing file name\nusage: rm <file>\.\.\.\nkeel: rm: exit status 2$")
        has(sh.run("rm nosuch.o"), r"^rm: no file 'nosuch\.o' in the ramfs\n"
                                   r"keel: rm: exit status 1$")
        has(sh.run("rm hello@1.o"), r"^rm: cannot remove 'hello@1\.o': cell hello@1 is loaded "
                                    r"from it: unload it or swap it out first$")
        has(sh.run("rm cmd_echo@1.o cmd_rm@1.o"),
            r"^rm: cannot remove 'cmd_rm@1\.o': cell cmd_rm@1 is loaded from it: .* \(no file "
            r"was removed\)$")
        has(sh.run("rm cmd_echo@1.o nosuch.o"), r"no file 'nosuch\.o' in the ramfs \(no file "
                                                r"was removed\)")
        has(sh.run("rm cmd_echo@1.o cmd_echo@1.o"),
            r"^rm: 'cmd_echo@1\.o' is named twice\nusage: rm <file>\.\.\.")
        has(sh.run("ls"), r"^cmd_echo@1\.o ")
        has(sh.run("help rm"), r"^usage: rm <file>\.\.\.$")
        # A boot module: the name goes, the command with it.
        has(sh.run("rm cmd_uptime@1.o"), r"^removed cmd_uptime@1\.o \(a boot module: only its "
                                         r"name goes; its \d+ B belong to the boot image")
        check(not re.search(r"^cmd_uptime@1\.o ", sh.run("ls"), re.M), "still listed")
        has(sh.run("uptime"), r"no file 'cmd_uptime@1\.o' for the command")
        # An added file: its memory is freed and the ramfs's use goes back down.
        before = ramfs_line(sh.run("mem"))
        has(ctl("push", os.path.join(build, "cells", "hello@1.o"), "--name", "extra.o"),
            r"^pushed ")
        mid = ramfs_line(sh.run("mem"))
        check(mid["files"] == before["files"] + 1 and mid["added"] == before["added"] + 1 and
              mid["in_use"] > before["in_use"], f"push not counted: {before} -> {mid}")
        has(sh.run("rm extra.o"), r"^removed extra\.o \(\d+ B freed\)$")
        after = ramfs_line(sh.run("mem"))
        check(after == before, f"rm did not give back what the push took: {before} -> {after}")
        # A file a cell was loaded from can go once the cell is unloaded.
        has(sh.run("load counter@1"), r"^loaded counter@1 from ")
        has(sh.run("rm counter@1.o"), r"cell counter@1 is loaded from it")
        sh.run("unload counter")
        has(sh.run("rm counter@1.o"), r"^removed counter@1\.o ")
        ctl.alive()


def case_rm_ctl(build, workdir):
    """keelctl rm: removes pushed files and boot modules, all or none, refuses loaded origins
    and unknown names with the guest's message; its command line."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        hello = os.path.join(build, "cells", "hello@1.o")
        # keelctl pushes it without debug info: the bytes of the image's module.
        size = os.path.getsize(os.path.join(build, "image", "cells", "hello@1.o"))
        has(ctl("push", hello, "--name", "a.o"), r"^pushed ")
        has(ctl("push", hello, "--name", "b.o"), r"^pushed ")
        out = ctl("rm", "a.o", "nosuch.o", want=1)
        has(out, r"^keelctl: rm a\.o \.\.\.: no file 'nosuch\.o' in the ramfs \(KE_NOENT\)$")
        has(sh.run("ls"), r"^a\.o ")
        out = ctl("rm", "a.o", "b.o")
        has(out, rf"^removed a\.o \({size} bytes freed\)\nremoved b\.o \({size} bytes freed\)$")
        check(not re.search(r"^[ab]\.o ", sh.run("ls"), re.M), "removed files still listed")
        has(ctl("rm", "greeter@1.o", want=1),
            r"^keelctl: rm greeter@1\.o: cannot remove 'greeter@1\.o': cell greeter@1 is loaded "
            r"from it: unload it or swap it out first \(KE_BUSY\)$")
        has(ctl("rm", "salute@2.o"), r"^removed salute@2\.o \(a boot module: only its name goes")
        has(ctl("rm", "salute@2.o", want=1), r"no file 'salute@2\.o' in the ramfs \(KE_NOENT\)")
        has(ctl("rm", "x.o", "x.o", want=1), r"'x\.o' is named twice \(KE_INVAL\)")
        has(ctl("rm", want=2), r"rm: missing arguments")
        has(ctl("rm", "a" * 64, want=1), r"is not a ramfs name")
        has(ctl("rm", "--help"), r"^usage: keelctl rm NAME\.\.\.")
        # batch: one connection, a status line per command; comments and empty lines skipped.
        p, outs, statuses = batch(ctl, ["ping", "# a comment", "", "rm nosuch.o",
                                        "badframe truncated", "push " + hello + " --name c.o",
                                        "rm c.o"], 120)
        check(statuses == [0, 1, 2, 0, 0] and p.returncode == 2, f"batch statuses {statuses}, "
              f"exit {p.returncode}", p.stdout + p.stderr)
        has(outs[0], r"^pong from keel ctl@1")
        has(p.stderr, r"^keelctl: rm nosuch\.o: no file 'nosuch\.o' in the ramfs \(KE_NOENT\)$")
        has(p.stderr, r"^keelctl: badframe cannot be run from a batch$")
        has(outs[4], r"^removed c\.o \(\d+ bytes freed\)$")
        ctl.alive()


def case_quota(build, workdir):
    """ramfs.quota=48K: mem shows the ramfs against it; a push over it is refused with
    KE_NOSPC naming the quota and stores nothing; rm makes room again."""
    with KeelShell(build, workdir=workdir, ctl_socket=True, cmdline="ramfs.quota=48K") as sh:
        ctl = Ctl(build, sh)
        check(re.search(r"ramfs: quota 48 KiB \(ramfs\.quota=SIZE", sh.vm.text()),
              "the boot did not log the quota", sh.vm.text())
        start = ramfs_line(sh.run("mem"))
        check(start["quota"] == 48 << 10 and start["added"] == 0, f"start: {start}")
        hello = os.path.join(build, "cells", "hello@1.o")  # --as-is: 8 KB with debug info
        stored = []
        for k in range(1, 20):
            out = ctl("push", "--as-is", hello, "--name", f"q{k}.o", want=None)
            if "pushed" not in out:
                break
            stored.append(f"q{k}.o")
        check(4 <= len(stored) < 19, f"{len(stored)} pushes of 8 KB fit in 48 KiB", out)
        has(out, rf"^keelctl: push .*hello@1\.o: the ramfs is full: 'q{k}\.o' \(\d+ bytes\) does "
                 rf"not fit in its quota of 48 KiB \(\d+ (KiB|B) in use\); remove files "
                 rf"\(keelctl rm, or rm in the shell\) or boot with ramfs\.quota=SIZE "
                 rf"\(KE_NOSPC\)$")
        full = ramfs_line(sh.run("mem"))
        check(full["added"] == len(stored), f"a refused push stored something: {full}")
        has(sh.run("mem"), rf"^ramfs\s+{SIZE}\s+{SIZE}\s+48 KiB\s+\d+\s+\d+$")
        # The same through keelctl load: refused at the push, nothing stored, nothing loaded.
        has(ctl("load", "--as-is", os.path.join(build, "cells", "counter@1.o"), want=1),
            r"the ramfs is full: .*\(KE_NOSPC\)")
        check(ramfs_line(sh.run("mem")) == full, "a load refused at its push changed the ramfs")
        has(sh.run(f"rm {stored[0]}"), rf"^removed {stored[0]} ")
        has(ctl("push", "--as-is", hello, "--name", f"q{k}.o"), r"^pushed ")
        ctl.alive()


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
