/* The ramfs's name index (index.c): the files sorted by name, in two tables inside one block, so
 * that every change becomes visible with one store and a task killed halfway through a change
 * (a kill takes effect at a preemption in cell code) leaves the index as it was. A change writes
 * the complete new list into the table readers do not use, then flips `live`. Growing means a
 * new block, filled while unpublished, then one store of the block's pointer by the caller.
 *
 * Freestanding and allocation-free (the caller brings the memory): host-tested in
 * tests/host/ramfs_index_test.c. The caller serialises all calls. */
#ifndef CELLS_RAMFS_INDEX_H
#define CELLS_RAMFS_INDEX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One file. refs counts the namespace's own reference (while the file is in the index), one per
 * reader holding it, and one for good once it has been pinned (ramfs.h: ramfs_find); the file
 * is freed when refs drops to zero. */
struct ramfs_node {
    const char *name;
    const void *data;
    size_t size;
    uint32_t refs; /* changed with atomic operations */
    bool boot;     /* data is a boot module's memory (not the ramfs's to free) */
    bool pinned;
};

struct ramfs_index {
    size_t cap;  /* entries each table can hold */
    size_t live; /* 0 or 1: the table readers use */
    size_t n[2]; /* entries in each table */
    struct ramfs_node **v[2];
};

/* Bytes of a block holding an index of cap entries (0 if that overflows). */
size_t ramfs_index_bytes(size_t cap);
/* Lay out an empty index of cap entries in block (ramfs_index_bytes(cap) bytes). */
struct ramfs_index *ramfs_index_init(void *block, size_t cap);

size_t ramfs_index_count(const struct ramfs_index *ix);
struct ramfs_node *ramfs_index_at(const struct ramfs_index *ix, size_t i);
/* The file called name, or NULL. */
struct ramfs_node *ramfs_index_find(const struct ramfs_index *ix, const char *name);
/* The position of the first file whose name sorts after prev (bytewise); prev NULL: 0.
 * ramfs_index_count() if there is none. */
size_t ramfs_index_after(const struct ramfs_index *ix, const char *prev);

/* Add node: 0, KE_EXIST (a file of that name is in), KE_NOSPC (the index is full: grow it). */
int ramfs_index_insert(struct ramfs_index *ix, struct ramfs_node *node);
/* Take out the k nodes of gone (each must be in the index, none twice): 0, or KE_NOENT and
 * nothing changes. */
int ramfs_index_remove(struct ramfs_index *ix, struct ramfs_node *const *gone, size_t k);
/* Fill the unpublished index dst (cap >= count of src) with the files of src. */
void ramfs_index_copy(struct ramfs_index *dst, const struct ramfs_index *src);

#endif
