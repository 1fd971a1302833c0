/* keel/cells.h cells_boot_option: the kernel command line's options, for cells that have their
 * own (ramfs.quota=...). */
#include <keel/cells.h>
#include <keel/cmdline.h>
#include <keel/export.h>
#include "boot/bootinfo.h"

int cells_boot_option(const char *key, char *buf, size_t size)
{
    return cmdline_get(boot_cmdline(), key, buf, size);
}

KEEL_EXPORT_FUNC(cells_boot_option);
