/* cells: one line per loaded cell, in load order: name, version, where its code lives, the
 * sizes of its regions and of its declared state block, how many cells use it and how many tasks
 * pin it (commands/cells/cellrow.h, shared with keelctl query cells);
 * then the retired versions (replaced or unloaded, not yet freed) with what keeps each. */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/reclaim.h>
#include "commands/cells/cellrow.h"

static void to_console(void *ctx, const char *s, size_t n)
{
    console_write(s, n);
}

int cmd_cells_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    if (argv_from_arg(arg, argv, ARGV_MAX_ARGS) != 1) {
        kprintf("cells: takes no arguments\nusage: " KEEL_COMMAND_USAGE "\n");
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
    cell_table_header(to_console, NULL, w);
    for (size_t i = 0; i < n; i++) {
        const struct loaded_cell *c = loader_cell_at(ld, i);
        struct loader_cell_info ci;
        loader_cell_info(c, &ci);
        struct cell_row row;
        cell_row_of_info(&ci, loader_cell_pins(c), &row);
        cell_table_row(&row, w, to_console, NULL);
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
