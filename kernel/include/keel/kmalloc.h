/* The kernel heap: the owner-tracked allocator (mem/heap.c) behind one lock, backed by physical
 * frames through the direct map. Every allocation may return NULL; every caller copes. */
#ifndef KEEL_KMALLOC_H
#define KEEL_KMALLOC_H
#include <stddef.h>
#include <keel/heap.h>

/* Allocate for the current owner (the running task, or the core) with 16-byte alignment. */
/* The owner of the loader's metadata of cells (names, symbol tables, edges): kept apart from
 * the core's account, and skipped by the reclaimer's scan (it describes cells, it does not use
 * them). */
#define OWNER_LOADER 1u
/* The core's loader platform only (not exported to cells): a block owned by OWNER_LOADER.
 * kmalloc_owned and kheap_transfer refuse that owner, so no cell can hide a block from the
 * reclaimer's scan. */
void *kmalloc_loader(size_t size);

void *kmalloc(size_t size);
void *kzalloc(size_t size);
/* align: a power of two up to 4096. */
void *kmalloc_aligned(size_t size, size_t align);
void *kmalloc_owned(size_t size, size_t align, owner_t owner);
/* Keeps owner and alignment; on failure the old block is untouched and NULL is returned. */
void *krealloc(void *p, size_t size);
void kfree(void *p);

/* Who owns new allocations: the tasking layer installs a function that names the running task. */
void kheap_set_owner_hook(owner_t (*current_owner)(void));
owner_t kheap_current_owner(void);

/* Locked wrappers of the heap's accounting, quota and failure-injection calls. */
int kheap_transfer(void *p, owner_t new_owner);
int kheap_set_quota(owner_t owner, size_t bytes);
int kheap_owner_stats(owner_t owner, struct heap_owner_stats *out);
size_t kheap_free_owner(owner_t owner);
int kheap_failslab_set(const struct heap_failslab *cfg);
void kheap_failslab_get(struct heap_failslab *out);
int kheap_check(void);
/* Calls fn for every owner the heap knows (a snapshot: fn may allocate); KE_NOMEM if no memory
 * for the snapshot, else fn's first non-zero value or 0. */
int kheap_for_each_owner(int (*fn)(void *ctx, owner_t owner, const struct heap_owner_stats *st),
                         void *ctx);
/* heap_walk_used on the kernel heap, one slice under the heap lock (fn runs with interrupts
 * off and must not allocate). */
bool kheap_walk_used(uintptr_t *cursor, size_t budget,
                     void (*fn)(void *ctx, const void *p, size_t n, owner_t owner), void *ctx);
void kheap_totals(size_t *bytes_in_use, size_t *bytes_from_pages, size_t *owners);

int kmalloc_init(void);

#endif
