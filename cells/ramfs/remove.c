/* ramfs_remove (ramfs.h): take files out of the namespace, all or none. Under the cells lock
 * (keel/cells.h), so no load that starts later can link a cell from a file between the check
 * that none came from it and the removal; a load that had opened the file before may still
 * complete from its hold. The memory goes with the last reference (ramfs.c: ramfs_node_put). */
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include "ramfs/ramfs.h"
#include "ramfs/state.h"

#define SAY(code, ...)                                                                             \
    do {                                                                                           \
        if (why && why_size)                                                                       \
            ksnprintf(why, why_size, __VA_ARGS__);                                                 \
        return (code);                                                                             \
    } while (0)

/* The arguments alone: every name present, none twice. */
static int check_names(const char *const *names, size_t n, char *why, size_t why_size)
{
    if (!names || n == 0 || n > RAMFS_REMOVE_MAX)
        SAY(KE_INVAL, "between 1 and %d files can be removed at once", RAMFS_REMOVE_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            SAY(KE_INVAL, "no file name");
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                SAY(KE_INVAL, "'%.63s' is named twice", names[i]);
    }
    return 0;
}

/* Under both locks: find every file and make sure no cell version came from it. */
static int find_removable(const char *const *names, size_t n, struct ramfs_node **nodes, char *why,
                          size_t why_size)
{
    for (size_t i = 0; i < n; i++) {
        nodes[i] = ramfs_ix ? ramfs_index_find(ramfs_ix, names[i]) : NULL;
        if (!nodes[i])
            SAY(KE_NOENT, "no file '%.63s' in the ramfs", names[i]);
        struct cells_origin_user u;
        size_t users = cells_origin_users(names[i], &u);
        if (!users)
            continue;
        char more[48] = "";
        if (users > 1)
            ksnprintf(more, sizeof(more), " (and %zu more version%s)", users - 1,
                      users > 2 ? "s" : "");
        if (u.retired)
            SAY(KE_BUSY,
                "cannot remove '%s': the retired version %u of cell '%s' came from it%s; it "
                "stays until nothing runs in it any more",
                names[i], u.version, u.name, more);
        SAY(KE_BUSY,
            "cannot remove '%s': cell %s@%u is loaded from it%s: unload it or swap it "
            "out first",
            names[i], u.name, u.version, more);
    }
    return 0;
}

int ramfs_remove(const char *const *names, size_t n, struct ramfs_removed *out, char *why,
                 size_t why_size)
{
    if (why && why_size)
        why[0] = 0;
    int r = check_names(names, n, why, why_size);
    if (r)
        return r;
    struct ramfs_node *nodes[RAMFS_REMOVE_MAX];
    cells_lock(); /* first: loads take it after letting go of the ramfs's lock */
    r = ramfs_lock();
    if (r) {
        cells_unlock();
        SAY(r, "interrupted");
    }
    r = find_removable(names, n, nodes, why, why_size);
    if (!r)
        r = ramfs_index_remove(ramfs_ix, nodes, n); /* all found, none twice: cannot fail */
    ramfs_unlock();
    cells_unlock();
    if (r)
        return r;
    for (size_t i = 0; i < n; i++) {
        struct ramfs_removed done = {nodes[i]->size, nodes[i]->boot, false, nodes[i]->pinned};
        /* The namespace's reference: the last one, unless a reader still holds the file. */
        done.freed = ramfs_node_put(nodes[i]) && !done.boot;
        if (out)
            out[i] = done;
    }
    return 0;
}
