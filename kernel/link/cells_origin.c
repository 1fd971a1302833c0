/* keel/cells.h cells_origin_users: which cell versions came from a given object, so that the
 * ramfs can refuse to remove a file a loaded or retired cell was linked from. */
#include <keel/cells.h>
#include <keel/export.h>
#include <keel/string.h>

size_t cells_origin_users(const char *origin, struct cells_origin_user *first)
{
    struct loader *ld = cells_loader();
    if (!ld || !origin)
        return 0;
    size_t count = 0;
    for (int retired = 0; retired < 2; retired++) {
        size_t n = retired ? loader_retired_count(ld) : loader_cell_count(ld);
        for (size_t i = 0; i < n; i++) {
            const struct loaded_cell *c =
                retired ? loader_retired_at(ld, i) : loader_cell_at(ld, i);
            struct loader_cell_info ci;
            loader_cell_info(c, &ci);
            if (!ci.origin || strcmp(ci.origin, origin) != 0)
                continue;
            if (count++ == 0 && first) {
                size_t len = strnlen(ci.name, sizeof(first->name) - 1);
                memcpy(first->name, ci.name, len);
                first->name[len] = 0;
                first->version = ci.version;
                first->retired = retired;
            }
        }
    }
    return count;
}

KEEL_EXPORT_FUNC(cells_origin_users);
