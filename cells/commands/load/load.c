/* load <object|cell>: link a cell from the ramfs into the running system and print the line the
 * boot prints for each cell it loads. */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include "commands/load/cellobj.h"

#define USAGE "load <object|cell>"

static void report_cell(const struct loaded_cell *c)
{
    struct loader_cell_info ci;
    cells_lock();
    loader_cell_info(c, &ci);
    kprintf("cell %s@%u: text 0x%llx (%llu B), rodata %llu B, data %llu B, %zu relocations\n",
            ci.name, ci.version, (unsigned long long)ci.base[CELL_REGION_TEXT],
            (unsigned long long)ci.size[CELL_REGION_TEXT],
            (unsigned long long)ci.size[CELL_REGION_RODATA],
            (unsigned long long)ci.size[CELL_REGION_DATA], ci.relocations);
    cells_unlock();
}

int cmd_load_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc != 2) {
        kprintf("load: %s\nusage: " USAGE "\n",
                argc < 2 ? "which cell? (an object like hello@1.o, or a cell name)"
                         : "too many arguments");
        return 2;
    }
    struct cellobj o;
    if (cellobj_parse(argv[1], &o) != 0) {
        kprintf("load: '%s' is not a cell or object name\nusage: " USAGE "\n", argv[1]);
        return 2;
    }
    if (cellobj_open(&o) != 0) {
        if (o.exact)
            kprintf("load: no object named '%s' in the ramfs\n", o.object);
        else
            kprintf("load: no object for cell '%s' in the ramfs (want %s@<version>.o)\n", o.cell,
                    o.cell);
        return 1;
    }
    struct loader_error err = {0};
    struct loaded_cell *cell;
    int r = cells_load(o.file.data, o.file.size, o.object, &cell, &err);
    ramfs_close(&o.file); /* the loader keeps no pointer into the object */
    if (r) {
        kprintf("load: %s\n", err.msg[0] ? err.msg : keel_strerror(r));
        return 1;
    }
    report_cell(cell);
    return 0;
}

KEEL_COMMAND_CELL("load");
