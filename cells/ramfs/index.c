/* The ramfs's name index (index.h): binary search over a sorted table; changes are written into
 * the table readers do not use and published by flipping `live`. */
#include <keel/errno.h>
#include <keel/string.h>
#include "ramfs/index.h"

size_t ramfs_index_bytes(size_t cap)
{
    size_t head = (sizeof(struct ramfs_index) + 15) & ~(size_t)15;
    if (cap > (SIZE_MAX - head) / (2 * sizeof(struct ramfs_node *)))
        return 0;
    return head + 2 * cap * sizeof(struct ramfs_node *);
}

struct ramfs_index *ramfs_index_init(void *block, size_t cap)
{
    struct ramfs_index *ix = block;
    size_t head = (sizeof(struct ramfs_index) + 15) & ~(size_t)15;
    ix->cap = cap;
    ix->live = 0;
    ix->n[0] = ix->n[1] = 0;
    ix->v[0] = (struct ramfs_node **)((char *)block + head);
    ix->v[1] = ix->v[0] + cap;
    return ix;
}

size_t ramfs_index_count(const struct ramfs_index *ix)
{
    return ix->n[ix->live];
}

struct ramfs_node *ramfs_index_at(const struct ramfs_index *ix, size_t i)
{
    return i < ix->n[ix->live] ? ix->v[ix->live][i] : NULL;
}

/* The first position whose name is >= name (or > name when after), in the live table. */
static size_t bound(const struct ramfs_index *ix, const char *name, bool after)
{
    struct ramfs_node *const *v = ix->v[ix->live];
    size_t lo = 0, hi = ix->n[ix->live];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v[mid]->name, name);
        if (c < 0 || (after && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct ramfs_node *ramfs_index_find(const struct ramfs_index *ix, const char *name)
{
    size_t i = bound(ix, name, false);
    struct ramfs_node *node = ramfs_index_at(ix, i);
    return node && strcmp(node->name, name) == 0 ? node : NULL;
}

size_t ramfs_index_after(const struct ramfs_index *ix, const char *prev)
{
    return prev ? bound(ix, prev, true) : 0;
}

/* Make the other table the live one: a single store, after every entry is written. */
static void flip(struct ramfs_index *ix)
{
    __atomic_store_n(&ix->live, 1 - ix->live, __ATOMIC_RELEASE);
}

int ramfs_index_insert(struct ramfs_index *ix, struct ramfs_node *node)
{
    size_t n = ix->n[ix->live], at = bound(ix, node->name, false);
    if (at < n && strcmp(ix->v[ix->live][at]->name, node->name) == 0)
        return KE_EXIST;
    if (n >= ix->cap)
        return KE_NOSPC;
    struct ramfs_node *const *src = ix->v[ix->live];
    struct ramfs_node **dst = ix->v[1 - ix->live];
    memcpy(dst, src, at * sizeof(*dst));
    dst[at] = node;
    memcpy(dst + at + 1, src + at, (n - at) * sizeof(*dst));
    ix->n[1 - ix->live] = n + 1;
    flip(ix);
    return 0;
}

int ramfs_index_remove(struct ramfs_index *ix, struct ramfs_node *const *gone, size_t k)
{
    struct ramfs_node *const *src = ix->v[ix->live];
    struct ramfs_node **dst = ix->v[1 - ix->live];
    size_t n = ix->n[ix->live], kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool drop = false;
        for (size_t j = 0; j < k && !drop; j++)
            drop = src[i] == gone[j];
        if (!drop)
            dst[kept++] = src[i];
    }
    if (n - kept != k)
        return KE_NOENT; /* not all found (or one named twice): the other table is scratch */
    ix->n[1 - ix->live] = kept;
    flip(ix);
    return 0;
}

void ramfs_index_copy(struct ramfs_index *dst, const struct ramfs_index *src)
{
    size_t n = ramfs_index_count(src);
    memcpy(dst->v[dst->live], src->v[src->live], n * sizeof(struct ramfs_node *));
    dst->n[dst->live] = n;
}
