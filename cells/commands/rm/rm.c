/* rm <file>...: remove files from the ramfs, all or none (ramfs_remove). Refused, changing
 * nothing, for a file that does not exist or that a loaded or retired cell version was linked
 * from. A boot module loses only its name: its bytes belong to the boot image. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include "ramfs/ramfs.h"

static void report(const char *name, const struct ramfs_removed *d)
{
    char size[32];
    format_size(size, sizeof(size), d->size);
    if (d->boot)
        kprintf("removed %s (a boot module: only its name goes; its %s belong to the boot image "
                "and are not freed)\n",
                name, size);
    else if (d->freed)
        kprintf("removed %s (%s freed)\n", name, size);
    else if (d->pinned)
        kprintf("removed %s (its %s stay in memory: it was taken for good by ramfs_find)\n", name,
                size);
    else
        kprintf("removed %s (its %s are freed when the last reader lets go)\n", name, size);
}

int cmd_rm_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("rm: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc < 2) {
        kprintf("rm: missing file name\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    size_t n = (size_t)argc - 1;
    if (n > RAMFS_REMOVE_MAX) {
        kprintf("rm: at most %d files at once\nusage: %s\n", RAMFS_REMOVE_MAX, KEEL_COMMAND_USAGE);
        return 2;
    }
    struct ramfs_removed done[RAMFS_REMOVE_MAX];
    char why[256];
    int r = ramfs_remove(argv + 1, n, done, why, sizeof(why));
    if (r == KE_INVAL) {
        kprintf("rm: %s\nusage: %s\n", why, KEEL_COMMAND_USAGE);
        return 2;
    }
    if (r) {
        kprintf("rm: %s%s\n", why[0] ? why : keel_strerror(r),
                n > 1 ? " (no file was removed)" : "");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        report(argv[i + 1], &done[i]);
    return 0;
}

KEEL_COMMAND_CELL("rm");
