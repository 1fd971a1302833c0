/* unload <cell>: take a cell out of the running system. The loader refuses while other cells
 * use it or tasks run its code, and says which. */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>

int cmd_unload_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc != 2) {
        kprintf("unload: %s\nusage: " KEEL_COMMAND_USAGE "\n",
                argc < 2 ? "which cell? (see cells)" : "too many arguments");
        return 2;
    }
    struct loader_error err = {0};
    int r = cells_unload(argv[1], &err);
    if (r) {
        kprintf("unload: %s\n", err.msg[0] ? err.msg : keel_strerror(r));
        return 1;
    }
    kprintf("unloaded %s\n", argv[1]);
    return 0;
}

KEEL_COMMAND_CELL("unload");
