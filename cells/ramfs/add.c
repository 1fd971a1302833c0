/* ramfs_add (ramfs.h): copy a file in, charged to the ramfs's heap owner under its quota. All
 * checks come first; the new file becomes visible with one store (index.h). */
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "ramfs/ramfs.h"
#include "ramfs/state.h"

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Would charging bytes more keep the ramfs within its quota? (The heap enforces the quota
 * anyway; asking first tells a full ramfs from a machine out of memory.) */
static bool within_quota(size_t bytes)
{
    struct heap_owner_stats st;
    if (kheap_owner_stats(OWNER_RAMFS, &st) != 0 || !st.quota)
        return true;
    return st.bytes_in_use <= st.quota && bytes <= st.quota - st.bytes_in_use;
}

/* Under the lock, name checked and absent: allocate, copy, publish. */
static int add_locked(const char *name, size_t len, const void *data, size_t size)
{
    struct ramfs_index *ix = ramfs_ix;
    size_t head = round16(sizeof(struct ramfs_node));
    if (size > (size_t)1 << 40)
        return KE_NOSPC;
    /* One block: the record, the data (16-aligned), the name. */
    size_t bytes = head + round16(size) + len + 1;
    size_t n = ramfs_index_count(ix), grown_cap = ix->cap, grown = 0;
    if (n >= ix->cap) {
        grown_cap = ix->cap * 2;
        grown = ramfs_index_bytes(grown_cap);
        if (!grown)
            return KE_NOSPC;
    }
    if (!within_quota(round16(bytes) + round16(grown)))
        return KE_NOSPC;
    char *block = kmalloc_owned(bytes, 16, OWNER_RAMFS);
    void *grown_block = grown ? kmalloc_owned(grown, 16, OWNER_RAMFS) : NULL;
    if (!block || (grown && !grown_block)) {
        kfree(block);
        kfree(grown_block);
        return within_quota(round16(bytes) + round16(grown)) ? KE_NOMEM : KE_NOSPC;
    }
    struct ramfs_node *node = (struct ramfs_node *)block;
    char *copy = block + head, *copy_name = copy + round16(size);
    if (size)
        memcpy(copy, data, size);
    memcpy(copy_name, name, len + 1);
    *node = (struct ramfs_node){.name = copy_name, .data = copy, .size = size, .refs = 1};
    if (grown) {
        struct ramfs_index *bigger = ramfs_index_init(grown_block, grown_cap);
        ramfs_index_copy(bigger, ix);
        ramfs_index_insert(bigger, node);
        __atomic_store_n(&ramfs_ix, bigger, __ATOMIC_RELEASE);
        kfree(ix); /* readers use the index only under the lock */
    } else {
        ramfs_index_insert(ix, node);
    }
    return 0;
}

int ramfs_add(const char *name, const void *data, size_t size)
{
    size_t len;
    if (!name || !ramfs_valid_name(name, &len) || (!data && size))
        return KE_INVAL;
    int r = ramfs_lock();
    if (r)
        return r;
    if (!ramfs_ix)
        r = KE_NOMEM; /* init found no memory for the index */
    else if (ramfs_index_find(ramfs_ix, name))
        r = KE_EXIST;
    else
        r = add_locked(name, len, data, size);
    ramfs_unlock();
    return r;
}
