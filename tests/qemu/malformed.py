"""Malformed cell objects for the tests that push them at the guest (ramfs_tests.py): structural
damage by class — truncation, header fields, section headers, symbols, relocations, string
tables, the cell descriptor — and random byte mutants, all derived from real cells of the build
(build/image/cells/: the build's cells/*.o without debug info, as the image carries them) with a
fixed seed, so every run pushes the same objects.

Only objects that the loader's own validator refuses are kept: build/tools/cellinfo runs the very
parser the kernel runs (loader/parse.c), so each kept object is refused by the guest before
anything of it is linked or run, and cellinfo's message is the one the guest must give."""
import json
import os
import random
import struct
import subprocess

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # ELF64 header
SHDR = struct.Struct("<IIQQQQIIQQ")  # section header
SYM = struct.Struct("<IBBHQQ")
RELA = struct.Struct("<QQq")
SHT_SYMTAB, SHT_STRTAB, SHT_RELA = 2, 3, 4

# The smallest cells of the image, 1.4 to 2.7 KB: every byte crosses the emulated UART, whose
# 16-byte FIFO makes a push cost about 3.5 ms per KiB on an idle host and ten times that on a
# busy one.
BASES = ["cmd_crash@1.o", "salute@1.o", "salute@2.o", "cmd_spin@1.o", "greeter@1.o",
         "cmd_reboot@1.o", "hello@1.o"]


class Obj:
    """A mutable ELF64 relocatable object with its section headers parsed."""

    def __init__(self, data):
        self.b = bytearray(data)
        h = EHDR.unpack_from(self.b, 0)
        self.shoff, self.shentsize, self.shnum, self.shstrndx = h[6], h[11], h[12], h[13]
        self.sh = [list(SHDR.unpack_from(self.b, self.shoff + i * self.shentsize))
                   for i in range(self.shnum)]

    def sections(self, sh_type):
        return [i for i, s in enumerate(self.sh) if s[1] == sh_type and s[5] > 0]

    def name(self, i):
        s = self.sh[self.shstrndx]
        off = s[4] + self.sh[i][0]
        return bytes(self.b[off:self.b.index(0, off)]).decode("ascii", "replace")

    def set_sh(self, i, field, value):
        self.sh[i][field] = value
        SHDR.pack_into(self.b, self.shoff + i * self.shentsize, *self.sh[i])

    def set_hdr(self, field, value):
        h = list(EHDR.unpack_from(self.b, 0))
        h[field] = value
        EHDR.pack_into(self.b, 0, *h)

    def entry(self, sec, k, st):
        s = self.sh[sec]
        return s[4] + k * st.size


def _header(o, rng):
    n = len(o.b)
    field, value = rng.choice([
        (1, 2), (1, 3), (2, 3), (2, 0xb7), (3, 0), (3, 7), (6, n + rng.randrange(1, 4096)),
        (6, 2 ** 63 + 5), (6, n - 10), (11, 32), (11, 0), (11, 63), (12, 0xffff),
        (12, o.shnum + rng.randrange(1, 50)), (13, o.shnum + rng.randrange(0, 50)),
        (13, 0xffff), (10, 3), (10, 0xffff), (8, 0xffff), (9, 40), (7, 0xffffffff)])
    o.set_hdr(field, value)


def _ident(o, rng):
    k, v = rng.choice([(4, 1), (4, 0), (5, 2), (5, 0), (0, 0x7e), (1, ord("e")), (6, 0)])
    o.b[k] = v


def _section(o, rng):
    i = rng.randrange(1, o.shnum)
    n = len(o.b)
    field, value = rng.choice([
        (4, n + rng.randrange(1, 1 << 20)), (4, 2 ** 64 - 16), (5, 2 ** 40), (5, n + 1),
        (5, 2 ** 64 - 1), (0, 0xfffffff0), (0, o.sh[o.shstrndx][5] + rng.randrange(0, 64)),
        (8, 3), (8, 6), (8, 2 ** 63), (9, 7), (6, o.shnum + rng.randrange(0, 100)),
        (7, o.shnum + rng.randrange(0, 100)), (1, 0x6fff4700), (1, 7), (1, 18), (2, 0x400),
        (2, 0x80000000)])
    if field == 5 and value == n + 1:
        o.set_sh(i, 4, n - 1)  # starts inside the file, ends past it
    o.set_sh(i, field, value)


def _link(o, rng):
    secs = o.sections(SHT_RELA) + o.sections(SHT_SYMTAB)
    if not secs:
        return _section(o, rng)
    i = rng.choice(secs)
    field = rng.choice([6, 7, 9])
    value = {6: rng.choice([0, i, o.shnum, o.shnum + 9, o.shstrndx if o.sh[i][1] == SHT_RELA
                            else 1]),
             7: rng.choice([0, i, o.shnum, o.shnum + 9, 0xffffffff]),
             9: rng.choice([0, 1, 23, 25, 48])}[field]
    o.set_sh(i, field, value)


def _symbol(o, rng):
    tabs = o.sections(SHT_SYMTAB)
    if not tabs:
        return _section(o, rng)
    t = tabs[0]
    count = o.sh[t][5] // SYM.size
    k = rng.randrange(1, max(2, count))
    off = o.entry(t, k, SYM)
    name, info, other, shndx, value, size = SYM.unpack_from(o.b, off)
    choice = rng.randrange(7)
    if choice == 0:
        shndx = o.shnum + rng.randrange(0, 200)
    elif choice == 1:
        shndx = 0xfff2  # SHN_COMMON
    elif choice == 2:
        name = 0xfffffff0
    elif choice == 3:
        info = (info & 0xf0) | 6  # STT_TLS
    elif choice == 4:
        info = (rng.choice([3, 10, 13]) << 4) | (info & 0xf)  # unknown binding
    elif choice == 5:
        value, shndx = 2 ** 63, shndx if 0 < shndx < o.shnum else 1
        size = 2 ** 63
    else:
        shndx = rng.choice([o.shnum, 0xff00, 0xfff0])
    SYM.pack_into(o.b, off, name, info, other, shndx, value, size)


def _reloc(o, rng):
    relas = o.sections(SHT_RELA)
    if not relas:
        return _section(o, rng)
    r = rng.choice(relas)
    count = o.sh[r][5] // RELA.size
    off = o.entry(r, rng.randrange(count), RELA)
    offset, info, addend = RELA.unpack_from(o.b, off)
    sym, typ = info >> 32, info & 0xffffffff
    choice = rng.randrange(5)
    if choice == 0:
        offset = rng.choice([2 ** 32, 2 ** 63, 0xfffffffffffffff0])
    elif choice == 1:
        sym = rng.choice([0xffffff, 0x7fffffff, 100000])
    elif choice == 2:
        typ = rng.choice([9, 16, 17, 18, 19, 20, 21, 22, 23, 41, 42, 99, 1000])  # GOT/TLS/unknown
    elif choice == 3:
        offset = o.sh[o.sh[r][7]][5] - 1 if o.sh[r][7] < o.shnum else 2 ** 40
    else:
        typ = 0x7fffffff
    RELA.pack_into(o.b, off, offset, (sym << 32) | typ, addend)


def _strings(o, rng):
    tabs = o.sections(SHT_STRTAB)
    t = rng.choice(tabs)
    s = o.sh[t]
    end = s[4] + s[5] - 1
    if end < len(o.b):
        o.b[end] = ord("x")  # no terminating NUL
    if rng.random() < 0.5:
        o.set_sh(t, 5, s[5] + rng.randrange(1, 1 << 16))


def _descriptor(o, rng):
    for i in range(o.shnum):
        if o.name(i) == ".keel_cell":
            s = o.sh[i]
            choice = rng.randrange(3)
            if choice == 0:
                o.b[s[4]] ^= 0xff  # magic
            elif choice == 1:
                o.set_sh(i, 5, rng.randrange(0, 16))
            else:
                o.set_sh(i, 1, 8)  # SHT_NOBITS: no bytes
            return
    _section(o, rng)


def _truncate(o, rng):
    n = len(o.b)
    cut = rng.choice([rng.randrange(0, 64), rng.randrange(64, n), n - 1, o.shoff + 10])
    del o.b[min(cut, n - 1):]


def _bytes(o, rng):
    """Random byte mutants: 1 to 16 bytes anywhere, with random values."""
    for _ in range(rng.randrange(1, 17)):
        k = rng.randrange(len(o.b))
        o.b[k] = rng.randrange(256)


CLASSES = [("truncated", _truncate), ("header", _header), ("ident", _ident),
           ("section", _section), ("link", _link), ("symbol", _symbol), ("reloc", _reloc),
           ("strings", _strings), ("descriptor", _descriptor), ("bytes", _bytes),
           ("bytes", _bytes), ("bytes", _bytes)]


def _refusals(cellinfo, directory, names):
    """cellinfo's verdict on each file: {name: error message} for the refused ones."""
    out = {}
    for k in range(0, len(names), 100):
        chunk = names[k:k + 100]
        p = subprocess.run([cellinfo, "--json"] + chunk, cwd=directory, capture_output=True,
                           text=True, timeout=120)
        try:
            verdicts = json.loads(p.stdout)
        except ValueError:
            verdicts = None
        if verdicts is None or len(verdicts) != len(chunk):
            # One object upset the report: judge them one by one, dropping any without a verdict.
            for name in chunk:
                out.update(_refusals_one(cellinfo, directory, name))
            continue
        for name, v in zip(chunk, verdicts):
            if v.get("ok") is False and v.get("error"):
                out[name] = v["error"]
    return out


def _refusals_one(cellinfo, directory, name):
    p = subprocess.run([cellinfo, "--json", name], cwd=directory, capture_output=True, text=True,
                       timeout=60)
    try:
        v = json.loads(p.stdout)[0]
    except (ValueError, IndexError):
        return {}
    return {name: v["error"]} if v.get("ok") is False and v.get("error") else {}


def push_refusal(data):
    """Why the guest's PUSH refuses data (cells/ctl/ops_files.c checks only the header), or
    None."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return "no ELF header"
    if data[4] != 2 or data[5] != 1:
        return "not a little-endian ELF64 object"
    if data[16] | data[17] << 8 != 1:
        return "not a relocatable object (ET_REL)"
    if data[18] | data[19] << 8 != 62:
        return "not an x86_64 object"
    return None


def generate(build, directory, count, seed=20261203):
    """Write count malformed objects into directory; returns [(name, class, stage, message)]:
    stage "push" when the guest's PUSH refuses the header (message: its reason), else "load" with
    the loader's refusal message as cellinfo gives it."""
    os.makedirs(directory, exist_ok=True)
    cells = os.path.join(build, "image", "cells")
    bases = [(b, open(os.path.join(cells, b), "rb").read()) for b in BASES]
    cellinfo = os.path.join(build, "tools", "cellinfo")
    rng = random.Random(seed)
    kept, serial = [], 0
    while len(kept) < count:
        batch = []
        for _ in range(2 * (count - len(kept)) + 20):
            serial += 1
            base_name, base = rng.choice(bases)
            cls, fn = rng.choice(CLASSES)
            o = Obj(base)
            fn(o, rng)
            name = f"m{serial:05d}-{cls}-{base_name}"
            with open(os.path.join(directory, name), "wb") as f:
                f.write(o.b)
            batch.append((name, cls, bytes(o.b)))
        verdicts = _refusals(cellinfo, directory, [n for n, _, _ in batch])
        for name, cls, data in batch:
            at_push = push_refusal(data)
            if len(kept) < count and at_push:
                kept.append((name, cls, "push", at_push))
            elif len(kept) < count and name in verdicts:
                kept.append((name, cls, "load", verdicts[name]))
            else:
                os.unlink(os.path.join(directory, name))  # accepted: not malformed enough
    return kept
