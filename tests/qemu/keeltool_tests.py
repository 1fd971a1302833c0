#!/usr/bin/env python3
"""QEMU system tests of the host front-end tools/keel as a new user meets it: the image that
`tools/keel run --cmdline` boots, and the edit-rebuild-swap loop of docs/control-channel.md done
as written (in a scratch copy of the source tree: the real one is never edited).

    keeltool_tests.py --build DIR [--workdir DIR] CASE...
    keeltool_tests.py --list
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import KeelShell, SOURCE_DIR, case, run_cases  # noqa: E402
from checks import check, has, hasnt  # noqa: E402

KEEL = os.path.join(SOURCE_DIR, "tools", "keel")


def keel(root, args, env, timeout):
    """ROOT/tools/keel ARGS: its output (stdout and stderr); fails unless it exits 0."""
    p = subprocess.run([os.path.join(root, "tools", "keel"), *args], capture_output=True,
                       text=True, timeout=timeout, env=dict(os.environ, **env))
    out = p.stdout + p.stderr
    check(p.returncode == 0, f"tools/keel {' '.join(args)}: exit {p.returncode}", out)
    return out


def case_run_cmdline(build, workdir):
    """The image `tools/keel run --cmdline "hz=1000"` boots (made by `tools/keel iso`, the same
    code) has the boot modules: the cells load, the shell comes up, the command line applies.
    The console is quiet (loglevel=notice): the module and cell lines are only in the log."""
    iso = os.path.join(workdir, "run.iso")
    env = {"KEEL_BUILD_DIR": build}
    has(keel(SOURCE_DIR, ["iso", "--no-build", "--cmdline", "hz=1000", "-o", iso], env, 120),
        r"kernel command line: loglevel=notice hz=1000\)$")
    # A loglevel of the user's, or --verbose, is not overridden.
    for args, want in ((["--cmdline", "loglevel=debug hz=1000"], "loglevel=debug hz=1000"),
                       (["--verbose"], "")):
        other = os.path.join(workdir, "other.iso")
        keel(SOURCE_DIR, ["iso", "--no-build", *args, "-o", other], env, 120)
        with open(other + ".cmdline") as f:
            check(f.read() == want + "\n", f"iso {args}: command line", want)
    with KeelShell(build, workdir=workdir, iso=iso) as sh:
        boot = sh.vm.text()
        has(boot, r"^keel: ready in \d+ us: .*timer 1000 Hz")
        hasnt(boot, r"no manifest module")
        hasnt(boot, r"\] module \d+: ")  # info lines: kept in the log, not on the console
        hasnt(boot, r"\] loaded hello@1 from")
        has(sh.run("uptime"), r"ticks at 1000 Hz, \d+ tasks, 9 cells loaded")
        has(sh.run("cells"), r"^ctl\s+1\s")
        has(sh.run("log"), r"info\s+cells: 8 cells, \d+ relocations")


def scratch_tree(dest):
    """A copy of the source tree without build directories (a fresh clone, as far as the build
    is concerned)."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for name in os.listdir(SOURCE_DIR):
        if name.startswith("build") or name.startswith("."):
            continue
        src = os.path.join(SOURCE_DIR, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, name), symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, os.path.join(dest, name))


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    check(old in text, f"{path} no longer has {old!r}: update the test and the doc", text)
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


# Configures and builds a scratch copy of the source tree: many minutes on a busy host.
@case(timeout=900)
def case_edit_swap_loop(build, workdir):
    """docs/control-channel.md's edit-rebuild-swap loop as written: counter loaded and called by
    the workload, counter3.c edited, `tools/keel swap counter` (rebuild, push, swap 1 -> 3);
    edited again and swapped again (3 -> 3): the guest shows each edit at once."""
    src = os.path.join(workdir, "src")
    scratch_tree(src)
    counter3 = os.path.join(src, "cells", "demo", "counter", "counter3.c")
    text = '"counter v%d: value %llu, %llu calls since migrating'
    with KeelShell(build, workdir=workdir, ctl_socket=True) as sh:
        has(sh.run("load counter@1"), r"^loaded counter@1 from ")
        has(sh.run("load salute@1"), r"^loaded salute@1 from ")
        has(sh.run("run workload@1"), r"counter v1: value \d+")
        # The guest runs the image of `build`: the scratch tree's tools/keel talks to it with
        # that build's key.
        env = {"KEEL_CTL_SOCKET": sh.vm.ctl_socket,
               "KEEL_CTL_KEY": os.path.join(build, "ctl.key")}
        for n, old, want in ((1, "1 -> 3, state migrated", r"counter v3 \(edit 1\): value \d+"),
                             (2, "3 -> 3, state verbatim", r"counter v3 \(edit 2\): value \d+")):
            edit(counter3, '"counter v%d: ' if n == 1 else '"counter v%d (edit 1): ',
                 f'"counter v%d (edit {n}): ')
            out = keel(src, ["swap", "counter"], env, 600)
            has(out, r"^keel swap: building counter@3 from cells/demo/counter/counter3\.c$")
            has(out, r"^keel: (built in \d+ s|build up to date)$")
            hasnt(out, r"Built target")
            has(out, r"^swapped counter: version " + re.escape(old))
            has(sh.run("run workload"), want)
    with open(os.path.join(SOURCE_DIR, "cells", "demo", "counter", "counter3.c")) as f:
        check(text in f.read(), "the source tree's counter3.c was changed")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
