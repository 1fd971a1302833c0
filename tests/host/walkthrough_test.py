#!/usr/bin/env python3
"""Keeps docs/writing-a-command.md true to the tree.

  1. Every fenced block introduced by a line "File: `path`" is byte-identical to that file
     ("File: `path` (excerpt)": each of its lines is a line of the file, in order).
  2. The transcript (the block after the line starting with "Transcript") is exactly what the
     QEMU case qemu_cmd2_greet replays: tests/qemu/commands2_tests.py reads it from the doc, and
     its parse must agree with this independent one; the case must be registered.
  3. Each output line of the transcript is one the example's source can print: a kprintf format
     of greet.c, its usage line (which must equal the add_command USAGE), or the shell's
     "keel: greet: exit status N".

    walkthrough_test.py [--source DIR]
"""
import argparse
import os
import re
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


def fenced_blocks(lines):
    """(index of the line before the block's opening fence, [block lines]) for every fence."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if j == len(lines):
                fail(f"line {i + 1}: unterminated code block")
                break
            prev = i - 1
            while prev >= 0 and not lines[prev].strip():
                prev -= 1
            out.append((prev, lines[i + 1:j]))
            i = j + 1
        else:
            i += 1
    return out


FILE_RE = re.compile(r"^File: `([^`]+)`( \(excerpt\))?$")


def check_files(src, lines):
    checked = set()
    for prev, block in fenced_blocks(lines):
        m = FILE_RE.match(lines[prev]) if prev >= 0 else None
        if not m:
            continue
        rel, excerpt = m.group(1), bool(m.group(2))
        path = os.path.join(src, rel)
        if not os.path.isfile(path):
            fail(f"{rel}: shown in the walkthrough but not in the tree")
            continue
        with open(path, encoding="utf-8") as f:
            actual = f.read()
        shown = "\n".join(block) + "\n"
        if excerpt:
            file_lines, at = actual.split("\n"), 0
            for line in block:
                try:
                    at = file_lines.index(line, at) + 1
                except ValueError:
                    fail(f"{rel}: excerpt line {line!r} is not in the file (in this order)")
                    break
        elif shown != actual:
            for n, (a, b) in enumerate(zip(shown.split("\n"), actual.split("\n")), 1):
                if a != b:
                    fail(f"{rel}: the walkthrough differs from the file at line {n}:\n"
                         f"  doc:  {a!r}\n  tree: {b!r}")
                    break
            else:
                fail(f"{rel}: the walkthrough shows {len(shown)} bytes, the file has "
                     f"{len(actual)}")
        checked.add((rel, excerpt))
    for need in ("cells/commands/greet/greet.c", "cells/commands/greet/CMakeLists.txt"):
        if (need, False) not in checked:
            fail(f"the walkthrough does not show the whole of {need} in a File: block")
    if ("cells/commands/CMakeLists.txt", True) not in checked:
        fail("the walkthrough does not show the add_subdirectory line (File: ... (excerpt))")
    return checked


def transcript(lines):
    """Independent parse: [(command, [output lines])]."""
    start = [i for i, line in enumerate(lines) if line.startswith("Transcript")]
    if len(start) != 1:
        fail(f"expected one 'Transcript' line, found {len(start)}")
        return []
    blocks = [(prev, b) for prev, b in fenced_blocks(lines) if prev >= start[0]]
    if not blocks:
        fail("no code block after the Transcript line")
        return []
    steps = []
    for line in blocks[0][1]:
        m = re.match(r"^keel> (.*)$", line)
        if m:
            steps.append((m.group(1), []))
        elif not steps:
            fail(f"transcript output before the first prompt: {line!r}")
        else:
            steps[-1][1].append(line)
    return steps


def c_format_regex(fmt):
    """A kprintf format string as a regex over one output line."""
    out, i = "", 0
    while i < len(fmt):
        m = re.match(r"%[-+ 0#]*\d*(?:\.\d+)?(?:hh|h|ll|l|z)?([sudxc%])", fmt[i:])
        if m:
            conv = m.group(1)
            out += {"s": ".*", "u": r"\d+", "d": r"-?\d+", "x": "[0-9a-f]+", "c": ".",
                    "%": "%"}[conv]
            i += m.end()
        else:
            out += re.escape(fmt[i])
            i += 1
    return out


def check_outputs(src, steps):
    with open(os.path.join(src, "cells/commands/greet/greet.c"), encoding="utf-8") as f:
        code = f.read()
    with open(os.path.join(src, "cells/commands/greet/CMakeLists.txt"), encoding="utf-8") as f:
        cmake = f.read()
    usage = re.search(r'#define USAGE "([^"]*)"', code)
    cm_usage = re.search(r'USAGE "([^"]*)"', cmake)
    if not usage or not cm_usage or usage.group(1) != cm_usage.group(1):
        fail("greet.c's USAGE and add_command's USAGE differ")
        return
    fmts = []
    for m in re.finditer(r'kprintf\((".*?")(?:,|\);)', code):
        # Concatenated literals and the USAGE macro, as the compiler would join them.
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"|(USAGE)', m.group(0))
        text = "".join(usage.group(1) if macro else lit for lit, macro in parts)
        text = text.replace("\\n", "\n")
        fmts += [c_format_regex(line) for line in text.split("\n") if line]
    if len(fmts) < 3:
        fail(f"found only {len(fmts)} output formats in greet.c")
        return
    shell = r"keel: greet: exit status \d+"
    greets = 0
    for command, output in steps:
        if not command.startswith("greet"):
            continue
        greets += 1
        if not output:
            fail(f"'{command}': the transcript shows no output")
        for line in output:
            if not any(re.fullmatch(f, line) for f in fmts + [shell]):
                fail(f"'{command}': greet.c cannot print the transcript line {line!r}")
    if not greets:
        fail("the transcript never runs greet")


def check_qemu_case(src, lines, steps):
    sys.path.insert(0, os.path.join(src, "tests", "qemu"))
    import commands2_tests  # noqa: E402  (stdlib only; nothing boots on import)
    path = os.path.join(src, "docs", "writing-a-command.md")
    if os.path.abspath(commands2_tests.WALKTHROUGH) != os.path.abspath(path):
        fail(f"commands2_tests reads {commands2_tests.WALKTHROUGH}, not {path}")
    theirs = commands2_tests.walkthrough_transcript(path)
    if [(c, list(o)) for c, o in theirs] != steps:
        fail(f"the QEMU case parses the transcript differently:\n  ours:   {steps}\n"
             f"  theirs: {theirs}")
    case = commands2_tests.CASES.get("greet")
    if not case or "walkthrough_transcript" not in case.__code__.co_names:
        fail("commands2_tests.py's greet case does not replay walkthrough_transcript()")
    with open(os.path.join(src, "tests", "qemu", "qemu.cmake"), encoding="utf-8") as f:
        cmake = f.read()
    m = re.search(r"foreach\(case ([^)]*)\)\s*add_test\(NAME qemu_cmd2_\$\{case\}", cmake)
    if not m or "greet" not in m.group(1).split():
        fail("qemu_cmd2_greet is not registered in tests/qemu/qemu.cmake")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(here)))
    src = os.path.abspath(ap.parse_args().source)
    with open(os.path.join(src, "docs", "writing-a-command.md"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    checked = check_files(src, lines)
    steps = transcript(lines)
    if steps:
        check_outputs(src, steps)
        check_qemu_case(src, lines, steps)
    print(f"walkthrough: {len(checked)} file blocks, {len(steps)} transcript commands, "
          f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
