/* The object source of the core's recovery ladder (keel/cells.h, "Pristine objects"): a loaded
 * cell's object by its origin name, held until closed, so that a reload links the very bytes
 * the cell came from (a file a loaded cell came from cannot be removed meanwhile). */
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "ramfs/ramfs.h"

int keel_object_open(const char *name, const void **data, size_t *size, void **handle)
{
    struct ramfs_hold *h = kmalloc(sizeof(*h));
    if (!h)
        return KE_NOMEM;
    memset(h, 0, sizeof(*h));
    int r = ramfs_open(name, h);
    if (r) {
        kfree(h);
        return r;
    }
    *data = h->data;
    *size = h->size;
    *handle = h;
    return 0;
}

void keel_object_close(void *handle)
{
    if (!handle)
        return;
    ramfs_close(handle);
    kfree(handle);
}
