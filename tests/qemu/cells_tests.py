#!/usr/bin/env python3
"""QEMU system tests of cells at boot: the demo cells load and run, malformed or missing cells
are refused with a clear message while the boot carries on, faults inside a cell are reported
with cell and symbol names.

    cells_tests.py --build DIR [--workdir DIR] CASE...
    cells_tests.py --list
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keelvm import EXIT_SUCCESS, KeelVM, image_modules, run_cases  # noqa: E402
from checks import check  # noqa: E402

READY = r"keel: ready in (\d+) us: (\d+) MiB free of (\d+) MiB, (\d+) modules"


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def boot_manifest_cells(mods):
    """Number of cells the image's boot.manifest names."""
    path = next(m.rsplit("=", 1)[0] for m in mods if m.endswith("=boot.manifest"))
    with open(path) as f:
        return sum(len(line.split("#", 1)[0].split()) for line in f)


def case_boot_cells(build, workdir):
    """The image's manifest loads its cells (hello, greeter, ramfs, consoles, shell); greeter
    calls into hello across cells."""
    mods = image_modules(build)
    with KeelVM(os.path.join(build, "keel.elf"), "after-ready=exit", modules=mods,
                workdir=workdir) as vm:
        vm.start()
        vm.expect(r"hello: cell initialised \(version 1\)")
        vm.expect(r"loaded hello@1 from hello@1\.o: text 0xffffffff9[0-9a-f]+ \(\d+ KiB\), "
                  r"rodata \d+ (?:B|KiB), data \d+ (?:B|KiB), \d+ relocations")
        vm.expect(r"hello: hello, world! \(greeting 1\)")
        vm.expect(r"hello: hello, Keel! \(greeting 2\)")
        vm.expect(r"greeter: hello has greeted 2 times")
        vm.expect(r"loaded greeter@1 from greeter@1\.o: ")
        m = vm.expect(r"cells: (\d+) cells, (\d+) relocations, (\d+) us\n")
        expected = boot_manifest_cells(mods)
        check(int(m.group(1)) == expected, f"{m.group(1)} cells loaded, manifest has {expected}")
        check(int(m.group(2)) > 0, "the boot cells were linked with no relocations",
              m.group(0).decode())
        m = vm.expect(READY)
        check(int(m.group(4)) == len(mods), f"{m.group(4)} modules listed, image has {len(mods)}")
        vm.expect_exit(EXIT_SUCCESS)
        vm.forbid(r"refused|PANIC")


def case_bad_cells(build, workdir):
    """A boot option selects a manifest naming malformed, missing and unresolvable cells: each is
    refused with its reason, and the good cells after them still load."""
    cells_dir = os.path.join(build, "cells")
    hello = open(os.path.join(cells_dir, "hello@1.o"), "rb").read()
    bad = write(os.path.join(workdir, "bad.o"), hello[:200])
    text = write(os.path.join(workdir, "text.o"), b"this is not an ELF object\n" * 4)
    manifest = write(os.path.join(workdir, "test.manifest"),
                     b"greeter@1.o\n"          # needs hello: unresolved
                     b"hello@1.o\n"
                     b"bad.o\n"                # truncated object
                     b"text.o\n"               # not ELF
                     b"nosuch.o\n"             # no such module
                     b"bad/name\n"             # malformed line
                     b"greeter@1.o\n")
    mods = image_modules(build) + [bad + "=bad.o", text + "=text.o", manifest + "=test.manifest"]
    with KeelVM(os.path.join(build, "keel.elf"), "cells=test.manifest after-ready=exit",
                modules=mods, workdir=workdir) as vm:
        vm.start()
        vm.expect(r"cells: refused test.manifest line 1: cell '?greeter.*hello_greet")
        vm.expect(r"hello: cell initialised")
        vm.expect(r"cells: refused test.manifest line 3: cell 'bad.o'")
        vm.expect(r"cells: refused test.manifest line 4: cell 'text.o'")
        vm.expect(r"cells: test.manifest line 5: no boot module named 'nosuch.o'")
        vm.expect(r"cells: test.manifest line 6: malformed")
        vm.expect(r"greeter: hello has greeted 2 times")
        vm.expect(r"cells: 2 cells, \d+ relocations, \d+ us \(some refused; see above\)")
        vm.expect(READY)
        vm.expect_exit(EXIT_SUCCESS)
        vm.forbid(r"PANIC")


def case_cell_fault_report(build, workdir):
    """A fault inside a cell's init kills only the task running it: the fault is reported with
    cell and symbol names, the load is refused and undone, and the boot carries on."""
    manifest = write(os.path.join(workdir, "fault.manifest"),
                     b"hello@1.o\nfaulty@1.o\ngreeter@1.o\n")
    mods = image_modules(build) + [manifest + "=fault.manifest"]
    with KeelVM(os.path.join(build, "keel.elf"), "cells=fault.manifest panic=exit after-ready=exit",
                modules=mods, workdir=workdir) as vm:
        vm.start()
        vm.expect(r"faulty: dereferencing NULL")
        vm.expect(r"keel: task \d+ 'faulty' faulted: CPU exception 14 \(#PF page fault\)")
        vm.expect(r"rip 0xffffffff9[0-9a-f]+ <faulty:faulty_dereference\+0x[0-9a-f]+>")
        vm.expect(r"cr2 0x0000000000000000")
        vm.expect(r"#0\s+0xffffffff9[0-9a-f]+ faulty:faulty_dereference\+")
        vm.expect(r"keel: task \d+ killed; the system carries on")
        vm.expect(r"cell faulty: init faulted at faulty:faulty_dereference\+")
        vm.expect(r"cells: refused fault.manifest line 2: cell 'faulty'")
        vm.expect(r"greeter: hello has greeted 2 times")
        vm.expect(r"cells: 2 cells, \d+ relocations, \d+ us \(some refused")
        vm.expect(READY)
        vm.expect_exit(EXIT_SUCCESS)
        vm.forbid(r"PANIC")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals(), want="build"))
