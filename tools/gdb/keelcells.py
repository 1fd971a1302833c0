"""Keel's cells as GDB sees them: the loader's registry read from guest memory, and every loaded
cell's debug object (BUILD/cells/<name>@<version>.o, with DWARF) added with add-symbol-file at the
addresses the loader gave each of its sections (struct loaded_cell.sections, loader/registry.h),
like Linux's lx-symbols for modules. A breakpoint on the kernel's keel_debug_cells_changed (the
loader calls it after every change to its list of cells) re-reads the table by itself."""
import os

import gdb

REGION_TEXT, REGION_RODATA, REGION_DATA = 1, 2, 3


def kernel_objfile():
    """The kernel's objfile (keel.elf): the first one whose file is not a cell object."""
    for o in gdb.objfiles():
        if o.filename and not o.filename.endswith(".o"):
            return o
    raise gdb.GdbError("keel: no kernel symbols loaded (file build/keel.elf)")


def kernel_static(name, source):
    """The value of a static variable of the kernel, defined in a file ending in source."""
    kobj = kernel_objfile()
    for sym in gdb.lookup_static_symbols(name):
        st = sym.symtab
        if st and st.objfile == kobj and st.filename.endswith(source):
            return sym.value()
    raise gdb.GdbError(f"keel: no static '{name}' in {source} of the kernel's symbols")


def build_dir():
    return os.path.dirname(os.path.abspath(kernel_objfile().filename))


def cstr(v):
    """A C string (char array or pointer) as str."""
    try:
        return v.string("ascii", "replace")
    except gdb.error:
        return "?"


def the_loader():
    ld = kernel_static("the_loader", "link/boot_cells.c")
    return None if int(ld) == 0 else ld


class Cell:
    """One loaded (or retired) cell, read from guest memory."""

    def __init__(self, ptr, retired=False):
        c = ptr.dereference()
        self.ptr = ptr
        self.addr = int(ptr)
        self.name = cstr(c["name"])
        self.version = int(c["version"])
        self.retired = retired or bool(c["retired"])
        self.failed = bool(c["failed"])
        self.initialized = bool(c["initialized"])
        self.pins = int(c["pins"])
        self.origin = cstr(c["origin"])
        self.base = [int(c["region"][r]) for r in range(4)]
        self.size = [int(c["region_size"][r]) for r in range(4)]
        self.text = (self.base[REGION_TEXT], self.size[REGION_TEXT])

    @property
    def key(self):
        return (self.addr, self.name, self.version, self.base[REGION_TEXT])

    @property
    def state(self):
        if self.retired:
            return "retired"
        if self.failed:
            return "failed"
        return "live" if self.initialized else "loading"

    def sections(self):
        """[(section name, address)] of every allocated section of size > 0."""
        c = self.ptr.dereference()
        pool, out = c["pool"], []
        for i in range(int(c["nsections"])):
            s = c["sections"][i]
            out.append((cstr(pool + int(s["name"])), int(s["addr"])))
        return out

    def contains(self, pc):
        return any(b <= pc < b + s for b, s in zip(self.base[1:], self.size[1:]) if b)

    def debug_object(self):
        """The unstripped object this cell was built as, or None."""
        cells = os.path.join(build_dir(), "cells")
        for name in (f"{self.name}@{self.version}.o", os.path.basename(self.origin)):
            path = os.path.join(cells, name)
            if name and os.path.isfile(path):
                return path
        return None


def loaded_cells():
    """The registry's cells in load order ([] before the loader exists)."""
    ld = the_loader()
    if ld is None:
        return []
    ld = ld.dereference()
    return [Cell(ld["cells"][i]) for i in range(int(ld["ncells"]))]


def retired_cells():
    ld = the_loader()
    if ld is None:
        return []
    ld = ld.dereference()
    return [Cell(ld["retired"][i], retired=True) for i in range(int(ld["nretired"]))]


def cell_at(pc, cells=None):
    """The cell (loaded, else retired) whose regions hold pc, or None (the core)."""
    for c in (cells if cells is not None else loaded_cells() + retired_cells()):
        if c.contains(pc):
            return c
    return None


class SymbolTracker:
    """Keeps GDB's symbol files equal to the registry's cells: key -> (path, text address)."""

    def __init__(self):
        self.loaded = {}
        self.verbose = False
        self.listeners = []  # fn(cells), called after each refresh (keel-type's queue)

    def say(self, msg):
        if self.verbose:
            gdb.write(msg + "\n")

    def forget_all(self):
        for key in list(self.loaded):
            self._remove(key)

    def _remove(self, key):
        path, anchor = self.loaded.pop(key)
        try:
            gdb.execute(f"remove-symbol-file -a {anchor:#x}", to_string=True)
            self.say(f"keel: removed symbols of {os.path.basename(path)}")
        except gdb.error as e:
            gdb.write(f"keel: remove-symbol-file {path}: {e}\n")

    def refresh(self):
        """Re-read the cell table; add and remove symbol files. Returns (added, removed)."""
        try:
            cells = loaded_cells()
        except gdb.MemoryError:
            return (0, 0)  # the kernel is not mapped yet, or the loader is being set up
        for fn in self.listeners:
            fn(cells)
        want = {c.key: c for c in cells}
        removed = 0
        for key in list(self.loaded):
            if key not in want:
                self._remove(key)
                removed += 1
        added = 0
        for key, c in want.items():
            if key in self.loaded:
                continue
            path = c.debug_object()
            secs = c.sections() if path else []
            if not secs:
                self.say(f"keel: no debug object for {c.name}@{c.version}")
                continue
            args = " ".join(f"-s {name} {addr:#x}" for name, addr in secs)
            gdb.execute(f"add-symbol-file {path} {args}", to_string=True)
            self.loaded[key] = (path, secs[0][1])
            self.say(f"keel: added symbols of {c.name}@{c.version} at {c.text[0]:#x}")
            added += 1
        return (added, removed)


TRACKER = SymbolTracker()


class CellsChangedBreakpoint(gdb.Breakpoint):
    """Internal breakpoint on keel_debug_cells_changed: re-read the table, never stop."""

    def __init__(self):
        addr = int(gdb.parse_and_eval("&keel_debug_cells_changed"))
        super().__init__(f"*{addr:#x}", internal=True)
        self.silent = True

    def stop(self):
        try:
            TRACKER.refresh()
        except Exception as e:  # noqa: BLE001 -- never stop the guest for our own failure
            gdb.write(f"keel: reading the cell table failed: {e}\n")
        return False
