/* cells: one line per loaded cell, in load order: name, version, where its code lives, the
 * sizes of its regions and writable state, how many cells use it and how many tasks pin it;
 * then the retired versions (replaced or unloaded, not yet freed) with what keeps each. */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/reclaim.h>

int cmd_cells_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    if (argv_from_arg(arg, argv, ARGV_MAX_ARGS) != 1) {
        kprintf("cells: takes no arguments\nusage: cells\n");
        return 2;
    }
    struct loader *ld = cells_loader();
    if (!ld) {
        kprintf("cells: no loader in this kernel\n");
        return 1;
    }
    cells_lock();
    size_t n = loader_cell_count(ld);
    int w = 4; /* the NAME column fits the longest name */
    for (size_t i = 0; i < n; i++) {
        struct loader_cell_info ci;
        loader_cell_info(loader_cell_at(ld, i), &ci);
        int len = (int)strlen(ci.name);
        if (len > w)
            w = len;
    }
    kprintf("%-*s  VERSION  %-37s  %-8s  %-8s  %-8s  DEPENDENTS  PINS\n", w, "NAME", "TEXT",
            "RODATA", "DATA", "STATE");
    for (size_t i = 0; i < n; i++) {
        const struct loaded_cell *c = loader_cell_at(ld, i);
        struct loader_cell_info ci;
        loader_cell_info(c, &ci);
        char ro[16], data[16], state[16];
        format_size(ro, sizeof(ro), ci.size[CELL_REGION_RODATA]);
        format_size(data, sizeof(data), ci.size[CELL_REGION_DATA]);
        format_size(state, sizeof(state), ci.writable_bytes);
        char text[40] = "(no code)";
        uint64_t t = ci.base[CELL_REGION_TEXT];
        if (ci.size[CELL_REGION_TEXT])
            ksnprintf(text, sizeof(text), "0x%016llx-0x%016llx", (unsigned long long)t,
                      (unsigned long long)(t + ci.size[CELL_REGION_TEXT]));
        kprintf("%-*s  %7u  %-37s  %-8s  %-8s  %-8s  %10zu  %4u\n", w, ci.name, ci.version, text,
                ro, data, state, ci.dependents, loader_cell_pins(c));
    }
    size_t nr = loader_retired_count(ld);
    struct reclaim_retired_info *list = nr ? kmalloc(nr * sizeof(*list)) : NULL;
    size_t shown = list ? reclaim_list(list, nr) : 0;
    cells_unlock();
    for (size_t i = 0; i < shown; i++) {
        char size[16];
        format_size(size, sizeof(size), list[i].bytes);
        kprintf("%-*s  %7u  retired, %s, kept by %s\n", w, list[i].name, list[i].version, size,
                list[i].kept_by[0] ? list[i].kept_by : "(not yet scanned)");
    }
    if (nr && !list)
        kprintf("cells: %zu retired versions (no memory to list them)\n", nr);
    kfree(list);
    return 0;
}

KEEL_COMMAND_CELL("cells");
