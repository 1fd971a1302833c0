/* The ramfs cell (see ramfs.h): a table of files, appended to and never changed in place.
 * Writers serialise on a mutex; readers take no lock because an entry is complete before the
 * count that publishes it is raised (release/acquire). A writer killed mid-add therefore leaves
 * the table consistent (at worst its copy is leaked). */
#include <keel/cell.h>
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/sync.h>
#include "ramfs/ramfs.h"

struct ramfs_file {
    const char *name;
    const void *data;
    size_t size;
};

static struct ramfs_file files[RAMFS_MAX_FILES];
static size_t file_count; /* published entries: files[0..file_count) are complete */
static struct mutex add_lock = MUTEX_INIT;

static size_t published(void)
{
    return __atomic_load_n(&file_count, __ATOMIC_ACQUIRE);
}

static const struct ramfs_file *lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    return NULL;
}

int ramfs_find(const char *name, const void **data, size_t *size)
{
    if (!name)
        return KE_INVAL;
    const struct ramfs_file *f = lookup(name, published());
    if (!f)
        return KE_NOENT;
    if (data)
        *data = f->data;
    if (size)
        *size = f->size;
    return 0;
}

size_t ramfs_count(void)
{
    return published();
}

int ramfs_for_each(int (*fn)(void *ctx, const char *name, const void *data, size_t size), void *ctx)
{
    if (!fn)
        return KE_INVAL;
    size_t n = published();
    const char *prev = NULL;
    /* Selection in name order: the table is small and appended to, never sorted in place. */
    for (;;) {
        const struct ramfs_file *next = NULL;
        for (size_t i = 0; i < n; i++) {
            const char *name = files[i].name;
            if (prev && strcmp(name, prev) <= 0)
                continue;
            if (!next || strcmp(name, next->name) < 0)
                next = &files[i];
        }
        if (!next)
            return 0;
        int r = fn(ctx, next->name, next->data, next->size);
        if (r)
            return r;
        prev = next->name;
    }
}

static bool valid_name(const char *name, size_t *len_out)
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

/* Append an entry; the caller holds add_lock (or is init, before anyone can see the cell). */
static void publish(const char *name, const void *data, size_t size)
{
    size_t n = file_count;
    files[n].name = name;
    files[n].data = data;
    files[n].size = size;
    __atomic_store_n(&file_count, n + 1, __ATOMIC_RELEASE);
}

int ramfs_add(const char *name, const void *data, size_t size)
{
    size_t len;
    if (!name || !valid_name(name, &len) || (!data && size))
        return KE_INVAL;
    int r = mutex_lock(&add_lock);
    if (r && r != KE_OWNERDEAD) /* owner-dead is harmless: the table is always consistent */
        return r;
    if (lookup(name, file_count)) {
        r = KE_EXIST;
    } else if (file_count >= RAMFS_MAX_FILES) {
        r = KE_NOSPC;
    } else {
        /* One block: the data (16-aligned) then the name. Owned by the core, not the caller's
         * task, which would free it when it ends. */
        size_t data_room = (size + 15) & ~(size_t)15;
        char *block = kmalloc_owned(data_room + len + 1, 16, OWNER_CORE);
        if (!block) {
            r = KE_NOMEM;
        } else {
            if (size)
                memcpy(block, data, size);
            memcpy(block + data_room, name, len + 1);
            publish(block + data_room, block, size);
            r = 0;
        }
    }
    mutex_unlock(&add_lock);
    return r;
}

static int ramfs_init(void)
{
    size_t count = boot_module_count(), bytes = 0, skipped = 0;
    for (size_t i = 0; i < count; i++) {
        const char *name;
        const void *data;
        size_t size, len;
        if (boot_module_get(i, &name, &data, &size) != 0)
            continue;
        /* Boot modules stay mapped for good: index them in place. */
        if (!name || !valid_name(name, &len)) {
            log_warn("ramfs: boot module %zu has an unusable name; skipped", i);
            skipped++;
        } else if (lookup(name, file_count)) {
            log_warn("ramfs: duplicate boot module '%s'; the first one is kept", name);
            skipped++;
        } else if (file_count >= RAMFS_MAX_FILES) {
            log_warn("ramfs: more than %d files; boot module '%s' skipped", RAMFS_MAX_FILES, name);
            skipped++;
        } else {
            publish(name, data, size);
            bytes += size;
        }
    }
    log_info("ramfs: %zu files from boot modules, %zu bytes%s", file_count, bytes,
             skipped ? " (some skipped)" : "");
    return 0;
}

KEEL_CELL(.name = "ramfs", .version = KEEL_CELL_VERSION, .init = ramfs_init);
