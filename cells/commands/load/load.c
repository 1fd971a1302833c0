/* load <object|cell>: link a cell from the ramfs into the running system and say where it went
 * (the line keelctl load prints too, commands/cells/cellrow.h). */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include "commands/cells/cellrow.h"
#include "commands/load/cellobj.h"

static void to_console(void *ctx, const char *s, size_t n)
{
    console_write(s, n);
}

static void report_cell(const struct loaded_cell *c, const char *origin)
{
    struct loader_cell_info ci;
    cells_lock();
    loader_cell_info(c, &ci);
    struct cell_row row;
    cell_row_of_info(&ci, loader_cell_pins(c), &row);
    cell_loaded_line(&row, origin, to_console, NULL);
    cells_unlock();
}

int cmd_load_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc != 2) {
        kprintf("load: %s\nusage: " KEEL_COMMAND_USAGE "\n",
                argc < 2 ? "which cell? (an object like hello@1.o, or a cell name)"
                         : "too many arguments");
        return 2;
    }
    struct cellobj o;
    if (cellobj_parse(argv[1], &o) != 0) {
        kprintf("load: '%s' is not a cell or object name\nusage: " KEEL_COMMAND_USAGE "\n",
                argv[1]);
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
    report_cell(cell, o.object);
    return 0;
}

KEEL_COMMAND_CELL("load");
