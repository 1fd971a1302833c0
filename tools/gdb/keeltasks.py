"""Keel's tasks as GDB sees them: the tasking layer's list of tasks (tasking/task.c all_tasks,
struct task in tasking/task_internal.h) and a backtrace of any task, running or switched away,
by the frame-pointer chain (every part of Keel is built with frame pointers).

A task switched away saved its context with arch_context_switch (tasking/switch.S): at its
saved_rsp lie r15, r14, r13, r12, rbx, rbp and the return address into the scheduler. The chain
goes on from that rbp: [rbp] is the caller's rbp, [rbp + 8] the return address. For the task
that is running now, on whichever CPU (GDB's thread for that vCPU), the chain starts from that
CPU's registers."""
import re
import struct

import gdb

import keelcells

STATE_NAMES = {1: "ready", 2: "running", 3: "blocked", 4: "sleeping", 5: "dead"}
SAVED_RBP, SAVED_RET = 5 * 8, 6 * 8  # offsets from saved_rsp (switch.S pushes)
MAX_FRAMES = 64


def read_u64(addr):
    return struct.unpack("<Q", bytes(gdb.selected_inferior().read_memory(addr, 8)))[0]


def cpu_running(t):
    """The GDB thread (one per vCPU) whose CPU runs task t now, or None: each CPU's struct
    cpu_local (its GS base) names the task it runs."""
    here = gdb.selected_thread()
    found = None
    try:
        for th in gdb.selected_inferior().threads():
            th.switch()
            cur = current_task()
            if cur is not None and int(cur) == int(t):
                found = th
                break
    finally:
        if here is not None:
            here.switch()
    return found


def current_task():
    """The task running on the CPU GDB stopped on: its struct cpu_local (the GS base) holds it;
    the boot CPU's when the GS base cannot be read."""
    cl = None
    try:
        gs = int(gdb.parse_and_eval("$gs_base"))
        if gs:
            cl = gdb.Value(gs).cast(gdb.lookup_type("struct cpu_local").pointer()).dereference()
    except gdb.error:
        cl = None
    if cl is None:
        cl = keelcells.kernel_static("boot_cpu", "cpu.c")
    cur = cl["current_task"]
    if int(cur) == 0:
        return None
    return cur.cast(gdb.lookup_type("struct task").pointer())


def all_tasks():
    """Every task not yet reaped, in id order: [(id, gdb.Value pointer to struct task)]."""
    out = []
    t = keelcells.kernel_static("all_tasks", "task.c")
    seen = set()
    while int(t) != 0 and int(t) not in seen and len(seen) < 100000:
        seen.add(int(t))
        out.append((int(t["id"]), t))
        t = t["all_next"]
    return sorted(out, key=lambda x: x[0])


def task_by_id(tid):
    for i, t in all_tasks():
        if i == tid:
            return t
    raise gdb.GdbError(f"keel: no task {tid} (keel-tasks lists them)")


def state_name(t):
    s = int(t["state"])
    if s == 3 and bool(t["sleeping"]):
        s = 4  # as ps says it (tasking/info.c)
    return STATE_NAMES.get(s, "?")


def cell_name(t):
    name = keelcells.cstr(t["cell_name"])
    return name or "core"


def symbol_at(pc):
    """(function, offset) of the minimal symbol at pc, or (None, 0)."""
    try:
        text = gdb.execute(f"info symbol {pc:#x}", to_string=True)
    except gdb.error:
        return (None, 0)
    m = re.match(r"^(\S+)(?: \+ (\d+))? in section", text)
    return (m.group(1), int(m.group(2) or 0)) if m else (None, 0)


def source_at(pc):
    """'file:line' of pc, or ''."""
    sal = gdb.find_pc_line(pc)
    if sal.symtab is None or sal.line == 0:
        return ""
    return f"{sal.symtab.filename}:{sal.line}"


def running_start():
    """(frames, rbp) of the running task: its pc, plus the return address a function at its
    first instructions (before its frame record exists) keeps at rsp."""
    pc = int(gdb.parse_and_eval("$pc"))
    rsp = int(gdb.parse_and_eval("$rsp"))
    rbp = int(gdb.parse_and_eval("$rbp"))
    frames = [pc]
    _, off = symbol_at(pc)
    if off == 0:  # before push %rbp
        frames.append(read_u64(rsp))
    elif off == 1:  # after push %rbp, before mov %rsp, %rbp
        frames.append(read_u64(rsp + 8))
    return frames, rbp


def barrier_fixup():
    """A pending swap's return barriers (tasking/swap_pending.c): {stack slot: the return
    address the barrier took the place of}, so that a barred frame reads as its caller, as the
    kernel's own backtraces do. Empty when no swap is pending (or the table is not there)."""
    try:
        table = gdb.parse_and_eval("barriers")
        n = table.type.range()[1] + 1
        return {int(table[i]["slot"]): int(table[i]["ret"]) for i in range(n)
                if int(table[i]["task"])}
    except (gdb.error, RuntimeError):
        return {}


def task_frames(t):
    """Return addresses of task t, innermost first (a return barrier's slot reads as the
    return address it replaced)."""
    fix = barrier_fixup()
    th = cpu_running(t)
    if th is not None:  # running on some CPU: from that vCPU's registers
        here = gdb.selected_thread()
        th.switch()
        try:
            frames, rbp = running_start()
        finally:
            here.switch()
    else:
        saved = int(t["saved_rsp"])
        if saved == 0:
            return []
        frames, rbp = [read_u64(saved + SAVED_RET)], read_u64(saved + SAVED_RBP)
    while rbp and len(frames) < MAX_FRAMES:
        try:
            ret, nxt = read_u64(rbp + 8), read_u64(rbp)
        except gdb.MemoryError:
            break
        if ret == 0:
            break
        frames.append(fix.get(rbp + 8, ret))
        if nxt <= rbp:  # the chain only goes up the stack
            break
        rbp = nxt
    return frames


def describe_frame(i, pc, cells):
    """'#i  0x...  function+0xoff  [cell@version]  at file:line' (a return address is
    symbolized by the call before it, pc - 1)."""
    look = pc if i == 0 else pc - 1
    fn, off = symbol_at(look)
    if fn is not None and i > 0:
        off += 1
    c = keelcells.cell_at(pc, cells)
    where = f"{c.name}@{c.version}" if c else "core"
    name = f"{fn}+{off:#x}" if fn else "??"
    src = source_at(look)
    return f"#{i:<2} {pc:#018x}  {name:<40} [{where}]" + (f"  at {src}" if src else "")


def backtrace(t):
    cells = keelcells.loaded_cells() + keelcells.retired_cells()
    return [describe_frame(i, pc, cells) for i, pc in enumerate(task_frames(t))]
