"""The loader's dependency graph as GDB sees it: each cell's edges (struct ledge in
loader/registry.h: a relocation whose symbol another cell or the core defines), grouped like the
shell's `deps` command (cells/commands/deps/deps.c) prints them."""
import gdb

import keelcells


def edges_of(cell, only_cells):
    """[(target cell pointer or 0 for the core, symbol)] of cell's edges; only_cells: just those
    into other cells (the cell_edges index)."""
    c = cell.ptr.dereference()
    edges, out = c["edges"], []
    if only_cells:
        idx = c["cell_edges"]
        picks = [int(idx[j]) for j in range(int(c["ncell_edges"]))]
    else:
        picks = range(int(c["nedges"]))
    for k in picks:
        e = edges[k]
        out.append((int(e["target"]), keelcells.cstr(e["symbol"])))
    return out


def group(pairs, names):
    """deps.c's grouping: {(cell address or 0, symbol): count}, sorted core first, then by cell
    name, then by symbol."""
    counts = {}
    for key in pairs:
        counts[key] = counts.get(key, 0) + 1
    def order(item):
        (addr, sym), _ = item
        return (addr != 0, names.get(addr, "?") if addr else "", sym)
    return sorted(counts.items(), key=order)


def deps_lines(name):
    cells = keelcells.loaded_cells()
    names = {c.addr: c.name for c in cells}
    me = next((c for c in cells if c.name == name), None)
    if me is None:
        raise gdb.GdbError(f"deps: no cell named '{name}' is loaded")
    uses = group(edges_of(me, False), names)
    users = group([(c.addr, sym) for c in cells if c.addr != me.addr
                   for target, sym in edges_of(c, True) if target == me.addr], names)
    lines = []
    for title, groups in (("uses", uses), ("is used by", users)):
        sites = sum(n for _, n in groups)
        lines.append(f"{name} {title} ({sites} site{'' if sites == 1 else 's'}):")
        if not groups:
            lines.append("  (nothing)")
        for (addr, sym), n in groups:
            lines.append(f"  {names.get(addr, '?') if addr else 'core':<16} {sym:<32} {n}")
    return lines
