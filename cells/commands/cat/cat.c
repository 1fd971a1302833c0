/* cat <file>: print a text file of the ramfs. */
#include <keel/command.h>
#include <keel/console.h>
#include "ramfs/ramfs.h"

int cmd_cat_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("cat: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc < 2) {
        kprintf("cat: missing file name\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 2) {
        kprintf("cat: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    /* Held while printing: a concurrent rm takes the name away but frees nothing under us. */
    struct ramfs_hold f;
    if (ramfs_open(argv[1], &f) != 0) {
        kprintf("cat: no such file '%s'\n", argv[1]);
        return 1;
    }
    int status = 0;
    if (!ramfs_is_text(f.data, f.size)) {
        kprintf("cat: %s is binary (%zu bytes)\n", argv[1], f.size);
        status = 1;
    } else {
        console_write(f.data, f.size);
        if (f.size && ((const char *)f.data)[f.size - 1] != '\n')
            console_write("\n", 1); /* keep the prompt on a line of its own */
    }
    ramfs_close(&f);
    return status;
}

KEEL_COMMAND_CELL("cat");
