/* The kernel's heap instance: heap.c's allocator, locked, fed whole frames via the direct map. */
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/memory.h>
#include <keel/paging.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/export.h>

static struct heap kernel_heap;
static struct spinlock heap_lock = SPINLOCK_INIT;
static owner_t (*owner_hook)(void);

static void *pages_alloc(void *ctx, size_t npages)
{
    uint64_t pa;
    (void)ctx;
    if (frame_alloc(npages, 1, &pa))
        return NULL;
    /* Fresh arenas hold no stale words from the frames' earlier use (see heap.c release_used). */
    memset(phys_to_virt(pa), 0, npages * PAGE_SIZE);
    return phys_to_virt(pa);
}

static void pages_free(void *ctx, void *p, size_t npages)
{
    (void)ctx;
    frame_free(virt_to_phys(p), npages);
}

bool kheap_walk_used(uintptr_t *cursor, size_t budget,
                     void (*fn)(void *ctx, const void *p, size_t n, owner_t owner), void *ctx)
{
    int irq = spin_lock(&heap_lock);
    bool done = heap_walk_used(&kernel_heap, cursor, budget, fn, ctx);
    spin_unlock(&heap_lock, irq);
    return done;
}

void *kmalloc_loader(size_t size)
{
    int irq = spin_lock(&heap_lock);
    void *p = heap_alloc(&kernel_heap, size, 0, OWNER_LOADER);
    spin_unlock(&heap_lock, irq);
    return p;
}

int kmalloc_init(void)
{
    static const struct heap_page_source src = {pages_alloc, pages_free, NULL};
    return heap_init(&kernel_heap, &src);
}

void kheap_set_owner_hook(owner_t (*current_owner)(void))
{
    owner_hook = current_owner;
}

owner_t kheap_current_owner(void)
{
    return owner_hook ? owner_hook() : OWNER_CORE;
}

void *kmalloc_owned(size_t size, size_t align, owner_t owner)
{
    if (owner == OWNER_LOADER)
        return NULL; /* the reclaimer skips it: only kmalloc_loader's blocks may have it */
    int irq = spin_lock(&heap_lock);
    void *p = heap_alloc(&kernel_heap, size, align, owner);
    spin_unlock(&heap_lock, irq);
    return p;
}

void *kmalloc_aligned(size_t size, size_t align)
{
    return kmalloc_owned(size, align, kheap_current_owner());
}

void *kmalloc(size_t size)
{
    return kmalloc_owned(size, 0, kheap_current_owner());
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *krealloc(void *p, size_t size)
{
    owner_t owner = kheap_current_owner();
    int irq = spin_lock(&heap_lock);
    void *q = heap_realloc(&kernel_heap, p, size, owner);
    spin_unlock(&heap_lock, irq);
    return q;
}

void kfree(void *p)
{
    if (!p)
        return;
    int irq = spin_lock(&heap_lock);
    heap_free(&kernel_heap, p);
    spin_unlock(&heap_lock, irq);
}

#define LOCKED(expr)                                                                               \
    ({                                                                                             \
        int irq_ = spin_lock(&heap_lock);                                                          \
        __typeof__(expr) r_ = (expr);                                                              \
        spin_unlock(&heap_lock, irq_);                                                             \
        r_;                                                                                        \
    })

int kheap_transfer(void *p, owner_t new_owner)
{
    if (new_owner == OWNER_LOADER)
        return KE_INVAL; /* see kmalloc_loader */
    return LOCKED(heap_transfer(&kernel_heap, p, new_owner));
}

int kheap_set_quota(owner_t owner, size_t bytes)
{
    return LOCKED(heap_set_quota(&kernel_heap, owner, bytes));
}

/* Out-parameters are the caller's memory (maybe a cell's, maybe bad): filled through a copy
 * after the heap lock is released, so a bad pointer faults the caller, not the core. */
int kheap_owner_stats(owner_t owner, struct heap_owner_stats *out)
{
    struct heap_owner_stats st;
    int r = LOCKED(heap_owner_stats(&kernel_heap, owner, out ? &st : NULL));
    if (r == 0)
        *out = st;
    return r;
}

size_t kheap_free_owner(owner_t owner)
{
    return LOCKED(heap_free_owner(&kernel_heap, owner));
}

int kheap_failslab_set(const struct heap_failslab *cfg)
{
    return LOCKED(heap_failslab_set(&kernel_heap, cfg));
}

void kheap_failslab_get(struct heap_failslab *out)
{
    int irq = spin_lock(&heap_lock);
    heap_failslab_get(&kernel_heap, out);
    spin_unlock(&heap_lock, irq);
}

struct owner_snap {
    owner_t owner;
    struct heap_owner_stats st;
};

struct owner_collect {
    struct owner_snap *v;
    size_t n, cap;
};

static int collect_owner(void *ctx, owner_t owner, const struct heap_owner_stats *st)
{
    struct owner_collect *c = ctx;
    if (c->n < c->cap)
        c->v[c->n++] = (struct owner_snap){owner, *st};
    return 0;
}

int kheap_for_each_owner(int (*fn)(void *ctx, owner_t owner, const struct heap_owner_stats *st),
                         void *ctx)
{
    /* Snapshot under the lock, then call fn without it (fn may print or allocate). */
    struct owner_collect c = {0, 0, HEAP_MAX_OWNERS};
    c.v = kmalloc_owned(sizeof(*c.v) * c.cap, 0, OWNER_CORE);
    if (!c.v)
        return KE_NOMEM;
    int irq = spin_lock(&heap_lock);
    heap_for_each_owner(&kernel_heap, collect_owner, &c);
    spin_unlock(&heap_lock, irq);
    int r = 0;
    for (size_t i = 0; i < c.n && !r; i++)
        r = fn(ctx, c.v[i].owner, &c.v[i].st);
    kfree(c.v);
    return r;
}

int kheap_check(void)
{
    return LOCKED(heap_check(&kernel_heap));
}

void kheap_totals(size_t *bytes_in_use, size_t *bytes_from_pages, size_t *owners)
{
    size_t in_use, from_pages, n; /* copies: see kheap_owner_stats */
    int irq = spin_lock(&heap_lock);
    heap_totals(&kernel_heap, &in_use, &from_pages, &n);
    spin_unlock(&heap_lock, irq);
    if (bytes_in_use)
        *bytes_in_use = in_use;
    if (bytes_from_pages)
        *bytes_from_pages = from_pages;
    if (owners)
        *owners = n;
}

KEEL_EXPORT_FUNC(kmalloc);
KEEL_EXPORT_FUNC(kzalloc);
KEEL_EXPORT_FUNC(kmalloc_aligned);
KEEL_EXPORT_FUNC(krealloc);
KEEL_EXPORT_FUNC(kfree);

KEEL_EXPORT_FUNC(kmalloc_owned);
KEEL_EXPORT_FUNC(kheap_transfer);
KEEL_EXPORT_FUNC(kheap_owner_stats);
KEEL_EXPORT_FUNC(kheap_totals);
KEEL_EXPORT_FUNC(kheap_current_owner);
KEEL_EXPORT_FUNC(kheap_set_quota);
KEEL_EXPORT_FUNC(kheap_for_each_owner);
/* For the in-guest tests and the shell's failslab command (docs/boot-and-memory.md). */
KEEL_EXPORT_FUNC(kheap_failslab_set);
KEEL_EXPORT_FUNC(kheap_failslab_get);
