"""GDB support for Keel (docs/debugging.md). Load it with `source tools/gdb/keel.py` after
`file build/keel.elf` (tools/keel debug does both). It keeps every loaded cell's symbols in GDB at
their load addresses, re-read by itself whenever the loader's list of cells changes, and adds:

  keel-cells          the loaded cells (and retired versions): version, state, text address, size
  keel-tasks          the tasks, like the shell's ps: id, name, state, priority, cell, entry
  keel-bt [TASK]      a backtrace of any task (default: the running one) across cells
  keel-deps CELL      what the cell uses and who uses it, like the shell's deps
  keel-symbols [-v]   re-read the cell table now (-v: say what was added and removed)
  keel-type LINE      type LINE and Enter on Keel's console (tools/keel debug --batch scripts)"""
import os
import socket
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keelcells  # noqa: E402
import keeldeps  # noqa: E402
import keeltasks  # noqa: E402


def fmt_size(n):
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if n and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} B"


class KeelCells(gdb.Command):
    """keel-cells: every loaded cell (and retired version): name, version, state (live, loading,
failed, retired), its text region and size, the debug object GDB has its symbols from."""

    def __init__(self):
        super().__init__("keel-cells", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        cells = keelcells.loaded_cells() + keelcells.retired_cells()
        w = max([4] + [len(c.name) for c in cells])
        gdb.write(f"{'NAME':<{w}}  VERSION  {'STATE':<8}  {'TEXT':<37}  {'SIZE':>8}  SYMBOLS\n")
        for c in cells:
            base, size = c.text
            text = f"{base:#018x}-{base + size:#018x}" if size else "(no code)"
            sym = keelcells.TRACKER.loaded.get(c.key)
            sym = os.path.relpath(sym[0], keelcells.build_dir()) if sym else "-"
            gdb.write(f"{c.name:<{w}}  {c.version:>7}  {c.state:<8}  {text:<37}  "
                      f"{fmt_size(size):>8}  {sym}\n")


class KeelTasks(gdb.Command):
    """keel-tasks: every task, like the shell's ps: id, name, state, priority, cell, entry."""

    def __init__(self):
        super().__init__("keel-tasks", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        tasks = keeltasks.all_tasks()
        w = max([4] + [len(keelcells.cstr(t["name"])) for _, t in tasks])
        cw = max([4] + [len(keeltasks.cell_name(t)) for _, t in tasks])
        gdb.write(f"{'ID':>5}  {'NAME':<{w}}  {'STATE':<8}  {'PRIO':>4}  {'CELL':<{cw}}  ENTRY\n")
        for tid, t in tasks:
            fn, _ = keeltasks.symbol_at(int(t["entry"]))
            gdb.write(f"{tid:>5}  {keelcells.cstr(t['name']):<{w}}  "
                      f"{keeltasks.state_name(t):<8}  {int(t['priority']):>4}  "
                      f"{keeltasks.cell_name(t):<{cw}}  {fn or hex(int(t['entry']))}\n")


class KeelBt(gdb.Command):
    """keel-bt [TASK]: the backtrace of task TASK (an id from keel-tasks; default: the running
task), running or not, through cells and the core, by the frame-pointer chain: each frame's
address, function+offset, cell (or core) and source line."""

    def __init__(self):
        super().__init__("keel-bt", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if arg:
            try:
                t = keeltasks.task_by_id(int(arg, 0))
            except ValueError:
                raise gdb.GdbError("usage: keel-bt [TASK] (a task id: keel-tasks)")
        else:
            t = keeltasks.current_task()
            if t is None:
                raise gdb.GdbError("keel-bt: no task is running yet")
        gdb.write(f"task {int(t['id'])} ({keelcells.cstr(t['name'])}, "
                  f"{keeltasks.state_name(t)}, cell {keeltasks.cell_name(t)}):\n")
        for line in keeltasks.backtrace(t):
            gdb.write(line + "\n")


class KeelDeps(gdb.Command):
    """keel-deps CELL: the cells (and the core) CELL uses and the cells that use it, grouped by
symbol with the number of relocation sites, as the shell's deps prints them."""

    def __init__(self):
        super().__init__("keel-deps", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 1:
            raise gdb.GdbError("usage: keel-deps CELL")
        for line in keeldeps.deps_lines(argv[0]):
            gdb.write(line + "\n")


class KeelSymbols(gdb.Command):
    """keel-symbols [-v]: re-read the loader's cell table now and add or remove cells' symbol
files (done by itself at every change; -v also says what changes from now on)."""

    def __init__(self):
        super().__init__("keel-symbols", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        if arg.strip() == "-v":
            keelcells.TRACKER.verbose = True
        added, removed = keelcells.TRACKER.refresh()
        gdb.write(f"keel: {len(keelcells.TRACKER.loaded)} cells with symbols "
                  f"({added} added, {removed} removed)\n")


class KeelType(gdb.Command):
    """keel-type LINE: type LINE and Enter on the Keel console that tools/keel debug set up
(its COM1 socket, $KEEL_CONSOLE_SOCKET), for --batch scripts; the guest reads the keys once it
runs (continue). Lines typed before the shell cell is loaded are held until it is (keys sent
earlier would reach GRUB's menu). Not while `tools/keel console` is attached: the socket takes
one client."""

    def __init__(self):
        super().__init__("keel-type", gdb.COMMAND_USER)
        self.sock = None
        self.held = []
        keelcells.TRACKER.listeners.append(self.cells_changed)

    def shell_loaded(self, cells=None):
        try:
            cells = keelcells.loaded_cells() if cells is None else cells
        except gdb.error:
            return False
        return any(c.name == "shell" for c in cells)

    def send(self, data):
        if self.sock is None:
            path = os.environ.get("KEEL_CONSOLE_SOCKET")
            if not path:
                raise gdb.GdbError("keel-type: no console socket (start with tools/keel debug)")
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(path)
        self.sock.sendall(data)

    def cells_changed(self, cells):
        if self.held and self.shell_loaded(cells):
            data, self.held = b"".join(self.held), []
            self.send(data)

    def invoke(self, arg, from_tty):
        if not os.environ.get("KEEL_CONSOLE_SOCKET"):
            raise gdb.GdbError("keel-type: no console socket (start with tools/keel debug)")
        line = arg.encode() + b"\r"
        if self.held or not self.shell_loaded():
            self.held.append(line)
        else:
            self.send(line)


def on_stop(event):
    # A stop anywhere (a breakpoint, Ctrl-C): the table may have changed while no hook ran
    # (GDB attached late, or the hook was missed); refreshing is cheap when nothing changed.
    try:
        keelcells.TRACKER.refresh()
    except gdb.error:
        pass


gdb.execute("set breakpoint pending on")
for cmd in (KeelCells, KeelTasks, KeelBt, KeelDeps, KeelSymbols, KeelType):
    cmd()
keelcells.CellsChangedBreakpoint()
gdb.events.stop.connect(on_stop)
