/* The ramfs cell's shared state (ramfs.c, add.c, remove.c): the published index and the lock
 * every call takes around it. Not for other cells: they use ramfs.h. */
#ifndef CELLS_RAMFS_STATE_H
#define CELLS_RAMFS_STATE_H
#include <stdbool.h>
#include <stddef.h>
#include "ramfs/index.h"

/* The published index: NULL until init has indexed the boot modules (or if it had no memory).
 * Replaced by one store when it grows. */
extern struct ramfs_index *ramfs_ix;

/* Take / release the ramfs's lock: 0 or KE_KILLED. Owner-dead counts as taken: every change
 * is published by one store (index.h), so a holder killed halfway left nothing inconsistent. */
int ramfs_lock(void);
void ramfs_unlock(void);

/* Drop one reference of node; frees it when that was the last. True if it was freed. */
bool ramfs_node_put(struct ramfs_node *node);
/* Is name usable (1..RAMFS_NAME_MAX-1 bytes, no space, '/' or control character)? *len gets
 * its length. */
bool ramfs_valid_name(const char *name, size_t *len);

#endif
