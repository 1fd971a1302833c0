/* Name an address for reports: "symbol+0xoff" in the core, "cell:symbol+0xoff" in a cell,
 * "cell@version(retired):symbol+0xoff" in a retired version (code may still run there). */
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/panic.h>
#include <keel/export.h>
#include "link/cells.h"

int addr_describe(uint64_t addr, char *buf, size_t size)
{
    const char *name;
    uint64_t off;
    if (ksym_lookup(addr, &name, &off) == 0) {
        ksnprintf(buf, size, "%s+0x%llx", name, (unsigned long long)off);
        return 0;
    }
    const struct loaded_cell *cell;
    struct loader *ld = cells_loader();
    if (ld && loader_addr_lookup(ld, addr, &cell, &name, &off) == 0) {
        struct loader_cell_info ci;
        loader_cell_info(cell, &ci);
        if (ci.retired)
            ksnprintf(buf, size, "%s@%u(retired):%s+0x%llx", ci.name, ci.version, name ? name : "?",
                      (unsigned long long)off);
        else
            ksnprintf(buf, size, "%s:%s+0x%llx", ci.name, name ? name : "?",
                      (unsigned long long)off);
        return 0;
    }
    ksnprintf(buf, size, "?");
    return KE_NOENT;
}

int addr_cell(uint64_t addr, char *buf, size_t size, uint32_t *version)
{
    const struct loaded_cell *cell;
    const char *name;
    uint64_t off;
    struct loader *ld = cells_loader();
    if (ld && loader_addr_lookup(ld, addr, &cell, &name, &off) == 0) {
        struct loader_cell_info ci;
        loader_cell_info(cell, &ci);
        ksnprintf(buf, size, "%s", ci.name);
        *version = ci.version;
        return 0;
    }
    ksnprintf(buf, size, "core");
    *version = 0;
    return KE_NOENT;
}

KEEL_EXPORT_FUNC(addr_describe);
KEEL_EXPORT_FUNC(addr_cell);
