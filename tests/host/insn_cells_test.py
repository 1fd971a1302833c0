#!/usr/bin/env python3
"""The instruction decoder walks every cell and the kernel exactly as llvm-objdump does.

For each object of the image (build/image/modules.txt), each test cell (test-modules.txt) and the
kernel (keel.elf, without its 32-bit .boot section), insn_walk (a C helper built with the
decoder, reading the ELF with libelf) decodes the executable sections one instruction after
another, starting again at every symbol; llvm-objdump -d disassembles the same files. The test
holds the two against each other: the same instruction boundaries (address and length) in every
section, and every instruction objdump calls j<cc> decoded as a conditional jump whose condition
byte says that condition (and no other instruction decoded as one).

    insn_cells_test.py --walker build/tests/insn_walk --objdump llvm-objdump
                       --image-dir build/image --kernel build/keel.elf

Exit 0 when they agree everywhere, 1 with the first disagreements (file, section, address, what
each side saw) otherwise.
"""
import argparse
import os
import re
import subprocess
import sys

# The condition nibble of Jcc (the low 4 bits of 70+cc / 0F 80+cc) for each mnemonic.
CONDITIONS = {
    "jo": 0x0, "jno": 0x1, "jb": 0x2, "jc": 0x2, "jnae": 0x2, "jae": 0x3, "jnb": 0x3, "jnc": 0x3,
    "je": 0x4, "jz": 0x4, "jne": 0x5, "jnz": 0x5, "jbe": 0x6, "jna": 0x6, "ja": 0x7, "jnbe": 0x7,
    "js": 0x8, "jns": 0x9, "jp": 0xA, "jpe": 0xA, "jnp": 0xB, "jpo": 0xB, "jl": 0xC, "jnge": 0xC,
    "jge": 0xD, "jnl": 0xD, "jle": 0xE, "jng": 0xE, "jg": 0xF, "jnle": 0xF,
}
FILE_RE = re.compile(r"^(\S+):\s+file format ")
SECTION_RE = re.compile(r"^Disassembly of section (\S+):$")
# "  1d: 31 c0          \txorl\t%eax, %eax": address, the bytes up to the first tab, the text.
INSN_RE = re.compile(r"^\s*([0-9a-f]+): ((?:[0-9a-f]{2} ?)+) *\t(.*)$")
# Prefixes llvm-objdump may print as an instruction of their own (it does for lock): one such
# line is merged into the instruction that follows it.
PREFIX_WORDS = {"lock", "rep", "repe", "repz", "repne", "repnz", "data16", "addr32", "cs", "ds",
                "es", "ss", "fs", "gs", "notrack", "bnd", "xacquire", "xrelease"}
SHOWN = 20  # disagreements printed before the summary


def objects(image_dir):
    """The .o files named by modules.txt and test-modules.txt (lines path=name)."""
    found = []
    for listing in ("modules.txt", "test-modules.txt"):
        path = os.path.join(image_dir, listing)
        with open(path) as f:
            for line in f:
                obj = line.strip().split("=", 1)[0]
                if obj.endswith(".o"):
                    found.append(obj)
        if not found:
            sys.exit(f"insn_cells: {path}: no objects listed")
    return found


def objdump_view(objdump, files):
    """(file, section) -> {address: (length, condition or None, text)}."""
    out = subprocess.run([objdump, "-d", *files], check=True, capture_output=True, text=True).stdout
    view, where = {}, None
    current_file = pending = None
    for line in out.splitlines():
        m = FILE_RE.match(line)
        if m:
            current_file = m.group(1)
            continue
        m = SECTION_RE.match(line)
        if m:
            where = view.setdefault((current_file, m.group(1)), {})
            pending = None
            continue
        m = INSN_RE.match(line)
        if not m or where is None:
            continue
        addr, length, text = int(m.group(1), 16), len(m.group(2).split()), m.group(3).strip()
        if pending and pending[0] + pending[1] == addr:
            addr, length, text = pending[0], pending[1] + length, f"{pending[2]} {text}"
            del where[addr]
        words = text.split()
        pending = (addr, length, text) if words and words[0] in PREFIX_WORDS and len(words) == 1 \
            else None
        mnemonic = words[-1] if pending else next((w for w in words if w not in PREFIX_WORDS), "")
        where[addr] = (length, CONDITIONS.get(mnemonic), text)
    return view


def walker_view(walker, skip, files):
    """(file, section) -> {address: (length or 'ERR', condition or None, kind)}."""
    cmd = [walker]
    for name in skip:
        cmd += ["--skip", name]
    out = subprocess.run(cmd + files, check=True, capture_output=True, text=True).stdout
    view = {}
    for line in out.splitlines():
        path, section, addr, length, extra = line.split("\t")
        where = view.setdefault((path, section), {})
        if length == "ERR":
            where[int(addr, 16)] = ("ERR", None, extra)
        else:
            cond = None if extra == "-" else int(extra[1:], 16)
            where[int(addr, 16)] = (int(length), cond, extra)
    return view


def compare(files, dumped, walked, problems):
    """Appends each disagreement to problems; returns (instructions, conditional jumps, bytes
    both refused)."""
    insns = jccs = refused = 0
    for key in sorted(set(dumped) | set(walked)):
        if key[0] not in files:
            continue
        d, w = dumped.get(key, {}), walked.get(key, {})
        for addr in sorted(set(d) | set(w)):
            seen, got = d.get(addr), w.get(addr)
            where = f"{key[0]}: {key[1]} at {addr:#x}"
            if seen is None:
                what = f"refused a byte ({got[2]})" if got[0] == "ERR" else \
                    f"has an instruction of {got[0]} bytes"
                problems.append(f"{where}: the decoder {what}, objdump no instruction here")
                continue
            if got is None:
                problems.append(f"{where}: objdump has '{seen[2]}' ({seen[0]} bytes), the decoder "
                                f"no instruction here")
                continue
            if got[0] == "ERR":
                if seen[0] == 1 and seen[2].startswith("<unknown>"):
                    refused += 1  # both refuse the byte
                    continue
                problems.append(f"{where}: objdump has '{seen[2]}' ({seen[0]} bytes), the decoder "
                                f"refused it ({got[2]})")
                continue
            insns += 1
            if seen[0] != got[0]:
                problems.append(f"{where}: objdump has '{seen[2]}' of {seen[0]} bytes, the "
                                f"decoder {got[0]} bytes")
            if seen[1] != got[1]:
                said = "no Jcc" if got[1] is None else f"Jcc condition {got[1]:#x} ({got[2]})"
                want = "no Jcc" if seen[1] is None else f"condition {seen[1]:#x}"
                problems.append(f"{where}: objdump has '{seen[2]}' ({want}), the decoder {said}")
            elif seen[1] is not None:
                jccs += 1
    return insns, jccs, refused


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--walker", required=True)
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--image-dir", required=True)
    ap.add_argument("--kernel", required=True)
    args = ap.parse_args()

    cells = objects(args.image_dir)
    files = cells + [args.kernel]
    for f in files:
        if not os.path.isfile(f):
            sys.exit(f"insn_cells: {f}: missing (is the image built?)")
    # keel.elf's .boot is the multiboot entry, 32-bit code: outside a 64-bit decoder's remit.
    dumped = objdump_view(args.objdump, files)
    dumped = {k: v for k, v in dumped.items() if k[1] != ".boot"}
    walked = walker_view(args.walker, [".boot"], files)

    problems = []
    insns, jccs, refused = compare(set(files), dumped, walked, problems)
    for p in problems[:SHOWN]:
        print(p)
    if len(problems) > SHOWN:
        print(f"... and {len(problems) - SHOWN} more")
    if not problems and (insns == 0 or jccs == 0):
        problems.append("nothing compared")
        print(f"insn_cells: {insns} instructions, {jccs} conditional jumps: nothing to compare")
    if problems:
        print(f"insn_cells: FAILED: {len(problems)} disagreement(s) in {len(files)} files",
              file=sys.stderr)
        return 1
    print(f"insn_cells: {len(cells)} cells and the kernel: {insns} instructions, {jccs} "
          f"conditional jumps, decoder and llvm-objdump agree ({refused} bytes both refuse)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
