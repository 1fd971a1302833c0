/* The ramfs cell (see ramfs.h): init, the lock, and the read side — open/close, find (pin),
 * for_each, count, stats. Adding is add.c, removing remove.c; the index is index.c. */
#include <keel/cell.h>
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/sync.h>
#include "ramfs/ramfs.h"
#include "ramfs/size.h"
#include "ramfs/state.h"

#define SPARE_ENTRIES 64 /* room in the first index beyond the boot modules */

struct ramfs_index *ramfs_ix;
static struct mutex ramfs_mutex = MUTEX_INIT;

int ramfs_lock(void)
{
    int r = mutex_lock(&ramfs_mutex);
    return r == KE_OWNERDEAD ? 0 : r;
}

void ramfs_unlock(void)
{
    mutex_unlock(&ramfs_mutex);
}

bool ramfs_node_put(struct ramfs_node *node)
{
    if (__atomic_sub_fetch(&node->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return false;
    kfree(node); /* the record, and for an added file its bytes and name (one block) */
    return true;
}

bool ramfs_valid_name(const char *name, size_t *len_out)
{
    size_t len = strnlen(name, RAMFS_NAME_MAX);
    if (len == 0 || len >= RAMFS_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c == 0x7f || c == '/')
            return false;
    }
    *len_out = len;
    return true;
}

/* The file called name, with one more reference taken (pin: only if not pinned yet); NULL if
 * there is none. */
static int lookup_ref(const char *name, bool pin, struct ramfs_node **out)
{
    *out = NULL;
    if (!name)
        return KE_INVAL;
    int r = ramfs_lock();
    if (r)
        return r;
    struct ramfs_node *node = ramfs_ix ? ramfs_index_find(ramfs_ix, name) : NULL;
    if (node && pin) {
        /* A boot module's bytes are never freed: nothing to pin. */
        if (!node->boot && !node->pinned) {
            node->pinned = true;
            __atomic_add_fetch(&node->refs, 1, __ATOMIC_RELAXED);
        }
    } else if (node) {
        __atomic_add_fetch(&node->refs, 1, __ATOMIC_RELAXED);
    }
    ramfs_unlock();
    *out = node;
    return node ? 0 : KE_NOENT;
}

int ramfs_open(const char *name, struct ramfs_hold *h)
{
    memset(h, 0, sizeof(*h));
    struct ramfs_node *node;
    int r = lookup_ref(name, false, &node);
    if (r)
        return r;
    h->name = node->name;
    h->data = node->data;
    h->size = node->size;
    h->node = node;
    return 0;
}

void ramfs_close(struct ramfs_hold *h)
{
    if (!h || !h->node)
        return;
    struct ramfs_node *node = h->node;
    h->node = NULL;
    ramfs_node_put(node);
}

int ramfs_find(const char *name, const void **data, size_t *size)
{
    struct ramfs_node *node;
    int r = lookup_ref(name, true, &node);
    if (r)
        return r;
    if (data)
        *data = node->data;
    if (size)
        *size = node->size;
    return 0;
}

int ramfs_for_each(int (*fn)(void *ctx, const char *name, const void *data, size_t size), void *ctx)
{
    if (!fn)
        return KE_INVAL;
    char prev[RAMFS_NAME_MAX];
    bool started = false;
    for (;;) {
        /* The next file after prev in the index as it is now: the index may change while fn
         * runs, so the walk goes by name, not by position. */
        int r = ramfs_lock();
        if (r)
            return r;
        struct ramfs_node *node = NULL;
        if (ramfs_ix) {
            node = ramfs_index_at(ramfs_ix, ramfs_index_after(ramfs_ix, started ? prev : NULL));
            if (node)
                __atomic_add_fetch(&node->refs, 1, __ATOMIC_RELAXED);
        }
        ramfs_unlock();
        if (!node)
            return 0;
        r = fn(ctx, node->name, node->data, node->size);
        memcpy(prev, node->name, strlen(node->name) + 1);
        started = true;
        ramfs_node_put(node);
        if (r)
            return r;
    }
}

size_t ramfs_count(void)
{
    if (ramfs_lock())
        return 0;
    size_t n = ramfs_ix ? ramfs_index_count(ramfs_ix) : 0;
    ramfs_unlock();
    return n;
}

void ramfs_stats(struct ramfs_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (ramfs_lock() == 0) {
        size_t n = ramfs_ix ? ramfs_index_count(ramfs_ix) : 0;
        out->files = n;
        for (size_t i = 0; i < n; i++) {
            const struct ramfs_node *node = ramfs_index_at(ramfs_ix, i);
            if (node->boot) {
                out->boot_files++;
                out->boot_bytes += node->size;
            } else {
                out->added_bytes += node->size;
            }
        }
        ramfs_unlock();
    }
    struct heap_owner_stats st;
    if (kheap_owner_stats(OWNER_RAMFS, &st) == 0) {
        out->charged = st.bytes_in_use;
        out->quota = st.quota;
    }
}

/* The quota: ramfs.quota=SIZE on the kernel command line, else the default. */
static size_t quota_option(void)
{
    char value[32];
    size_t quota = RAMFS_QUOTA_DEFAULT;
    int r = cells_boot_option("ramfs.quota", value, sizeof(value));
    if (r == KE_NOENT)
        return quota;
    if (r < 0 || ramfs_parse_size(value, &quota) != 0 || quota == 0) {
        log_warn("ramfs: ramfs.quota=%s is not a size (such as 4096, 512K, 16M, 1G); using the "
                 "default",
                 r < 0 ? "..." : value);
        return RAMFS_QUOTA_DEFAULT;
    }
    return quota;
}

/* Index one boot module in place (its bytes stay mapped for good). */
static void index_module(struct ramfs_index *ix, size_t i, size_t *bytes, size_t *skipped)
{
    const char *name;
    const void *data;
    size_t size, len;
    if (boot_module_get(i, &name, &data, &size) != 0)
        return;
    struct ramfs_node *node = NULL;
    if (!name || !ramfs_valid_name(name, &len))
        log_warn("ramfs: boot module %zu has an unusable name; skipped", i);
    else if (ramfs_index_find(ix, name))
        log_warn("ramfs: duplicate boot module '%s'; the first one is kept", name);
    else if (!(node = kmalloc_owned(sizeof(*node), 16, OWNER_RAMFS)))
        log_warn("ramfs: no memory to index boot module '%s'; skipped", name);
    if (!node) {
        ++*skipped;
        return;
    }
    *node = (struct ramfs_node){.name = name, .data = data, .size = size, .refs = 1, .boot = true};
    ramfs_index_insert(ix, node); /* cannot fail: room for every module, no duplicate */
    *bytes += size;
}

static int ramfs_init(void)
{
    size_t count = boot_module_count(), bytes = 0, skipped = 0;
    size_t cap = count + SPARE_ENTRIES;
    size_t ix_bytes = ramfs_index_bytes(cap);
    void *block = ix_bytes ? kmalloc_owned(ix_bytes, 16, OWNER_RAMFS) : NULL;
    if (!block) {
        log_err("ramfs: no memory for the index of %zu boot modules", count);
        return KE_NOMEM;
    }
    struct ramfs_index *ix = ramfs_index_init(block, cap);
    for (size_t i = 0; i < count; i++)
        index_module(ix, i, &bytes, &skipped);
    __atomic_store_n(&ramfs_ix, ix, __ATOMIC_RELEASE);
    log_info("ramfs: %zu files from boot modules, %zu bytes%s", ramfs_index_count(ix), bytes,
             skipped ? " (some skipped)" : "");
    /* The quota is set once the boot modules' records are charged: they always fit. */
    size_t quota = quota_option();
    char q[32];
    format_size(q, sizeof(q), quota);
    int r = kheap_set_quota(OWNER_RAMFS, quota);
    if (r)
        log_warn("ramfs: cannot set the quota of %s: %s", q, keel_strerror(r));
    else
        log_info("ramfs: quota %s (ramfs.quota=SIZE on the kernel command line)", q);
    return 0;
}

KEEL_CELL(.name = "ramfs", .version = KEEL_CELL_VERSION, .init = ramfs_init);
