#!/usr/bin/env python3
"""QEMU test of docs/writing-a-command.md, done by following it: the doc is the only source.

  1. Copy the source tree to a scratch directory (no build directories, no .git).
  2. Apply the walkthrough there: write every block introduced by "File: `path`" (a file the
     tree must not have yet) and append every "File: `path` (excerpt)" block to its file.
  3. Configure the copy into <scratch>/build and build only the new command's cell (the target
     add_cell names cell_cmd_<name>_v<version>); the configure must have put the command's line
     in the copy's image/commands.index. The doc's cellinfo command is run there too, and its
     output must show every line the doc shows (numbers may differ).
  4. Boot the main build's kernel and image modules plus the new cell (debug info stripped, as
     the image does) and the copy's commands.index, type the transcript into the fresh system
     and compare the output line for line; then help, cells, deps, sym, unload and run as the
     doc describes them.

    walkthrough_tests.py --build DIR [--workdir DIR] walkthrough
    walkthrough_tests.py --list
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import SOURCE_DIR, KeelShell, image_modules, run_cases  # noqa: E402
from checks import check, has  # noqa: E402

DOC = os.path.join(SOURCE_DIR, "docs", "writing-a-command.md")
FILE_RE = re.compile(r"^File: `([^`]+)`( \(excerpt\))?$")
CONFIGURE_TIMEOUT = 240  # seconds; each step is bounded, CTest bounds the whole
BUILD_TIMEOUT = 300


# -- the doc ---------------------------------------------------------------------------------
def fenced_blocks(lines):
    """[(index of the last non-blank line before the block, [block lines])] for every fence."""
    out, i = [], 0
    while i < len(lines):
        if not lines[i].startswith("```"):
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
        check(end is not None, f"{DOC}: line {i + 1}: unterminated code block")
        prev = i - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        out.append((prev, lines[i + 1:end]))
        i = end + 1
    return out


def parse_doc(path=DOC):
    """What the walkthrough asks for: {files, transcript, command, cellinfo}."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = fenced_blocks(lines)
    introduced = {prev for prev, _ in blocks}
    for n, line in enumerate(lines):
        if FILE_RE.match(line):
            check(n in introduced, f"{path}: line {n + 1} names a file but no code block follows")
    files = []
    for prev, block in blocks:
        m = FILE_RE.match(lines[prev]) if prev >= 0 else None
        if m:
            files.append((m.group(1), bool(m.group(2)), block))
    check(files, f"{path}: no 'File:' blocks")

    starts = [n for n, line in enumerate(lines) if line.startswith("Transcript")]
    check(len(starts) == 1, f"{path}: expected one line starting with 'Transcript', "
                            f"found {len(starts)}")
    after = [block for prev, block in blocks if prev >= starts[0]]
    check(after, f"{path}: no code block after the Transcript line")
    steps = []
    for line in after[0]:
        if line.startswith("keel> "):
            steps.append((line[len("keel> "):], []))
        else:
            check(steps, f"{path}: transcript output before the first command: {line!r}")
            steps[-1][1].append(line)
    check(steps, f"{path}: empty transcript")

    rules = [re.search(r'add_command\((\S+)\s(.*)\)', " ".join(block), re.S)
             for _, _, block in files]
    rules = [m for m in rules if m]
    check(len(rules) == 1, f"{path}: expected one add_command rule, found {len(rules)}")
    name, args = rules[0].group(1), rules[0].group(2)
    usage = re.search(r'\bUSAGE\s+"([^"]*)"', args)
    summary = re.search(r'\bSUMMARY\s+"([^"]*)"', args)
    version = re.search(r'\bVERSION\s+(\d+)', args)
    check(usage and summary, f"{path}: add_command without USAGE or SUMMARY: {args}")
    command = {"name": name, "usage": usage.group(1), "summary": summary.group(1),
               "version": version.group(1) if version else "1"}

    # The cellinfo run: a one-line block "build/tools/cellinfo ...", then its output block.
    cellinfo = None
    for k, (_, block) in enumerate(blocks[:-1]):
        if len(block) == 1 and block[0].startswith("build/tools/cellinfo "):
            cellinfo = (block[0], blocks[k + 1][1])
    return {"files": files, "transcript": steps, "command": command, "cellinfo": cellinfo}


# -- following it ----------------------------------------------------------------------------
def copy_tree(src, dst, main_build):
    """The source tree without .git and build directories (any with a CMakeCache.txt)."""
    def ignore(folder, names):
        skip = {".git", "__pycache__"}
        for n in names:
            p = os.path.join(folder, n)
            if os.path.isdir(p) and (os.path.exists(os.path.join(p, "CMakeCache.txt")) or
                                     os.path.realpath(p) == os.path.realpath(main_build)):
                skip.add(n)
        return skip & set(names)
    shutil.copytree(src, dst, symlinks=True, ignore=ignore)


def apply_files(tree, files):
    for rel, excerpt, block in files:
        path = os.path.normpath(os.path.join(tree, rel))
        check(not os.path.isabs(rel) and path.startswith(tree + os.sep),
              f"File: `{rel}` is not a path inside the tree")
        text = "\n".join(block) + "\n"
        if excerpt:
            check(os.path.isfile(path), f"File: `{rel}` (excerpt): the tree has no such file")
            with open(path, encoding="utf-8") as f:
                old = f.read()
            check(not all(line in old.split("\n") for line in block),
                  f"File: `{rel}` (excerpt): the tree already has these lines", text)
            with open(path, "a", encoding="utf-8") as f:
                f.write(("" if old.endswith("\n") or not old else "\n") + text)
        else:
            check(not os.path.exists(path),
                  f"File: `{rel}`: the walkthrough creates it, but the tree has it already")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)


def cache_value(build, key):
    with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as f:
        m = re.search(rf"^{re.escape(key)}:[A-Z]+=(.*)$", f.read(), re.M)
    return m.group(1) if m else None


def step(what, cmd, timeout, cwd=None):
    """Run a host command; its output, or a failure that shows its tail."""
    try:
        r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else e.stdout
        check(False, f"{what}: still running after {timeout}s", (out or "")[-4000:])
    check(r.returncode == 0, f"{what}: exit status {r.returncode} ({shlex.join(cmd)})",
          r.stdout[-4000:])
    return r.stdout


def build_copy(main_build, tree, cmd):
    """Configure and build the copy; returns (its build dir, the cell object)."""
    sbuild = os.path.join(tree, "build")
    configure = ["cmake", "-S", tree, "-B", sbuild]
    for key, opt in (("CMAKE_GENERATOR", "-G"),):
        value = cache_value(main_build, key)
        if value:
            configure += [opt, value]
    configure.append("-DCMAKE_BUILD_TYPE=" + (cache_value(main_build, "CMAKE_BUILD_TYPE") or
                                              "RelWithDebInfo"))
    step("configuring the copy", configure, CONFIGURE_TIMEOUT)
    cell = f"cmd_{cmd['name']}@{cmd['version']}"
    target = f"cell_cmd_{cmd['name']}_v{cmd['version']}"
    out = step(f"building {target}", ["cmake", "--build", sbuild, "--target", target, "-j", "2"],
               BUILD_TIMEOUT)
    has(out, rf"\bCell {re.escape(cell)}\b")  # the line the doc says to look for
    obj = os.path.join(sbuild, "cells", cell + ".o")
    check(os.path.isfile(obj), f"the build made no {obj}", out)
    with open(os.path.join(sbuild, "image", "commands.index"), encoding="utf-8") as f:
        index = f.read()
    want = f"{cmd['name']}\t{cmd['usage']}\t{cmd['summary']}\t{cell}.o"
    check(want in index.split("\n"), f"the copy's commands.index has no line {want!r}", index)
    return sbuild, obj


def check_cellinfo(tree, cellinfo):
    """The doc's cellinfo output: each shown line (not "...") in the real output, in order;
    numbers may differ (sizes depend on the compiler). Returns the cell's imports."""
    check(cellinfo, f"{DOC}: no 'build/tools/cellinfo ...' block with its output after it")
    line, shown = cellinfo
    real = step("the doc's cellinfo command", shlex.split(line), 60, cwd=tree).split("\n")
    at = 0
    for want in shown:
        if want.strip() == "...":
            continue
        rx = re.sub(r"\d+", r"\\d+", re.escape(want))
        hit = next((i for i in range(at, len(real)) if re.fullmatch(rx, real[i])), None)
        check(hit is not None, f"cellinfo does not print the doc's line {want!r} (in this "
                               f"order)", "\n".join(real))
        at = hit + 1
    m = re.search(r"^  imports \((\d+)\):\n((?:    \S+\n)*)", "\n".join(real), re.M)
    check(m and len(m.group(2).split()) == int(m.group(1)), "no imports in cellinfo's output",
          "\n".join(real))
    return m.group(2).split()


def boot_modules(main_build, workdir, obj, index):
    """The main image's modules with the new cell (stripped, as the image's cells are) and the
    copy's commands.index in place of the main one."""
    objcopy = cache_value(main_build, "KEEL_OBJCOPY") or "llvm-objcopy"
    name = os.path.basename(obj)
    stripped = os.path.join(workdir, name)
    step("stripping the cell", [objcopy, "--strip-debug", obj, stripped], 60)
    mods = image_modules(main_build, without=(name, "commands.index"), tests=False)
    return mods + [f"{stripped}={name}", f"{index}=commands.index"]


def lines_of(out):
    return out.split("\n") if out else []


def replay(sh, steps):
    for command, expected in steps:
        out = sh.run(command)
        check(lines_of(out) == expected,
              f"'{command}' printed something else than the walkthrough shows:\n"
              + "\n".join(expected) + "\n--- (the walkthrough's lines above; the guest's below)",
              out)


def look_at_it(sh, cmd, steps, imports):
    """Section 5's claims about the running system (after the transcript)."""
    name, cell = cmd["name"], f"cmd_{cmd['name']}"
    out = sh.run(f"help {name}")
    check(lines_of(out) == [f"usage: {cmd['usage']}", f"  {cmd['summary']}"],
          "help does not show add_command's USAGE and SUMMARY", out)
    out = sh.run("cells")
    has(out, rf"^{cell}\s+{cmd['version']}\s+0x[0-9a-f]{{16}}-0x[0-9a-f]{{16}}\s+\d+ (?:B|KiB)"
             rf"\s+\d+ (?:B|KiB)\s+-\s+0\s+\d+$")  # STATE "-": no declared state block
    out = sh.run(f"deps {cell}")
    for sym in imports:  # what cellinfo showed, each resolved to the core
        has(out, rf"^  core\s+{re.escape(sym)}\s+\d+$")
    has(out, rf"^{cell} is used by \(0 \w+\):\n  \(nothing\)$")
    m = has(sh.run(f"sym {cell}_main"),
            rf"^{cell}_main = 0x([0-9a-f]{{16}}) \(cell {cell}, function, size \d+\)$")
    addr = int(m.group(1), 16) + 0x10
    has(sh.run(f"sym 0x{addr:x}"), rf"^0x{addr:016x} is {cell}:{cell}_main\+0x10$")
    check(sh.run(f"unload {cell}") == f"unloaded {cell}", f"unload {cell}")
    first = next((exp for c, exp in steps if c == f"{name} Keel"), None)
    check(first is not None, f"the transcript never types '{name} Keel' (section 5 refers to it)")
    out = sh.run(f"run {cell} Keel")
    check(lines_of(out) == first, f"run {cell} Keel after unload: not what the first "
                                  f"'{name} Keel' printed:\n" + "\n".join(first), out)


def case_walkthrough(build, workdir):
    """Follow docs/writing-a-command.md in a copy of the tree and type its transcript."""
    doc = parse_doc()
    cmd = doc["command"]
    tree = os.path.join(workdir, "src")
    shutil.rmtree(tree, ignore_errors=True)  # never a leftover of an earlier run
    copy_tree(SOURCE_DIR, tree, build)
    apply_files(tree, doc["files"])
    sbuild, obj = build_copy(build, tree, cmd)
    imports = check_cellinfo(tree, doc["cellinfo"])
    mods = boot_modules(build, workdir, obj, os.path.join(sbuild, "image", "commands.index"))
    with KeelShell(build, modules=mods, workdir=workdir) as sh:
        replay(sh, doc["transcript"])
        look_at_it(sh, cmd, doc["transcript"], imports)
    shutil.rmtree(tree, ignore_errors=True)  # kept after a failure, to look at


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="build"))
