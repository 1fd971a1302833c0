#!/usr/bin/env python3
"""The live swap's timed functions are where kernel/linker.ld puts them.

kernel/linker.ld gathers the functions of a swap's timed steps into groups, each on a page of
its own (under QEMU's TCG a loop that straddles a 4 KiB page runs slower, so the benchmark's
figures would move with unrelated code). The linker cannot say when a name there no longer
matches a function (renamed, or inlined away): it just places nothing. This test reads the
groups from the linker script and the kernel's symbol table as ksymgen wrote it for the build
(kernel/ksyms.S: address, size and name of every function), and checks that every name is a
function of the kernel and that each group lies within one page.

    swap_text_layout_test.py --linker-script kernel/linker.ld --ksyms build/kernel/ksyms.S

Exit 0 when both hold, 1 with one line per problem otherwise.
"""
import argparse
import re
import sys

PAGE = 4096
GROUP_RE = re.compile(r"\*\(([^)]*)\)", re.S)
NAME_RE = re.compile(r"^\.text\.([A-Za-z_][A-Za-z0-9_]*)$")


def groups(script):
    """The input-section lists of the script made only of .text.<function> names."""
    text = re.sub(r"/\*.*?\*/", "", script, flags=re.S)
    found = []
    for m in GROUP_RE.finditer(text):
        words = m.group(1).split()
        names = [NAME_RE.match(w) for w in words]
        if words and all(names) and not any(w == ".text.boot64" for w in words):
            found.append([n.group(1) for n in names])
    return found


def symbols(ksyms):
    """name -> (address, size) from ksymgen's output: (.quad addr, .long size, name offset)
    records, then the names as .asciz strings, offsets counted from the first."""
    records, names = [], []
    addr = None
    for line in ksyms.splitlines():
        line = line.strip()
        if line.startswith(".quad"):
            addr = int(line.split()[1], 16)
        elif line.startswith(".long") and addr is not None:
            size, off = (int(x) for x in line.split(None, 1)[1].split(","))
            records.append((addr, size, off))
            addr = None
        elif line.startswith(".asciz"):
            names.append(line.split(None, 1)[1].strip()[1:-1])
    by_offset, at = {}, 0
    for n in names:
        by_offset[at] = n
        at += len(n.encode()) + 1
    return {by_offset[off]: (a, s) for a, s, off in records if off in by_offset}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--linker-script", required=True)
    ap.add_argument("--ksyms", required=True)
    args = ap.parse_args()
    with open(args.linker_script) as f:
        found = groups(f.read())
    with open(args.ksyms) as f:
        syms = symbols(f.read())
    problems = []
    if not found:
        problems.append(f"{args.linker_script}: no group of .text.<function> names found")
    if not syms:
        problems.append(f"{args.ksyms}: no symbols read")
    for i, names in enumerate(found, 1):
        placed = []
        for n in names:
            if n not in syms:
                problems.append(f"{args.linker_script}: group {i} names .text.{n}, but the kernel "
                                f"has no function {n} (renamed, or inlined away?)")
            else:
                placed.append((n, *syms[n]))
        if not placed:
            continue
        first = min(a for _, a, _ in placed)
        last = max(a + max(s, 1) - 1 for _, a, s in placed)
        if first // PAGE != last // PAGE:
            listing = ", ".join(f"{n} {s} bytes" for n, _, s in placed)
            problems.append(f"{args.linker_script}: group {i} spans {last - first + 1} bytes "
                            f"over a page boundary (0x{first:x}..0x{last:x}): split it "
                            f"({listing})")
    for p in problems:
        print(p)
    if not problems:
        print(f"{len(found)} groups, {sum(len(g) for g in found)} functions, each group on one page")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
