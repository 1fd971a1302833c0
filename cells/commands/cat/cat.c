/* cat <file>: print a text file of the ramfs. */
#include <keel/command.h>
#include <keel/console.h>
#include "ramfs/ramfs.h"

#define USAGE "cat <file>"

int cmd_cat_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("cat: bad argument block\nusage: %s\n", USAGE);
        return 2;
    }
    if (argc < 2) {
        kprintf("cat: missing file name\nusage: %s\n", USAGE);
        return 2;
    }
    if (argc > 2) {
        kprintf("cat: too many arguments\nusage: %s\n", USAGE);
        return 2;
    }
    const void *data;
    size_t len;
    if (ramfs_find(argv[1], &data, &len) != 0) {
        kprintf("cat: no such file '%s'\n", argv[1]);
        return 1;
    }
    if (!ramfs_is_text(data, len)) {
        kprintf("cat: %s is binary (%zu bytes)\n", argv[1], len);
        return 1;
    }
    console_write(data, len);
    if (len && ((const char *)data)[len - 1] != '\n')
        console_write("\n", 1); /* keep the prompt on a line of its own */
    return 0;
}

KEEL_COMMAND_CELL("cat");
