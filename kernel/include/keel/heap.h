/* The owner-tracked heap: every allocation belongs to an owner (the nano-core or a task/cell id),
 * so an owner's memory can be counted, limited by a quota, handed over explicitly and freed all
 * at once when the owner dies. Memory comes in arenas of whole 4 KiB pages from a page source;
 * an arena that becomes wholly free is given back at once.
 *
 * Every allocation can fail (NULL), nothing aborts, and allocation failures can be injected with
 * Linux-failslab-like knobs. Invalid pointers given to heap_free/heap_realloc (never allocated,
 * already freed, interior) are detected by a canary in the block header, counted in bad_frees
 * and otherwise ignored.
 *
 * Accounting: an allocation of n bytes is charged round_up(n, HEAP_GRANULE) bytes to its owner;
 * quotas and bytes_in_use use that charge (headers and alignment padding are not charged).
 *
 * Allocation is first fit over one free list: O(free blocks). Free coalesces through boundary
 * tags in O(1) (plus O(log arenas) to find the arena).
 *
 * NOT thread-safe: the caller (the kernel) serialises every call on one heap with a lock.
 */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t owner_t;
#define OWNER_CORE      0u          /* the nano-core */
#define HEAP_OWNER_NONE 0xffffffffu /* never a valid owner; heap_owner_of() of a bad pointer */

#define HEAP_PAGE_SIZE       4096u
#define HEAP_GRANULE         16u         /* block sizes and the default alignment */
#define HEAP_MAX_ALIGN       4096u       /* largest supported alignment */
#define HEAP_MAX_OWNERS      256u        /* owner records, a fixed table inside struct heap */
#define HEAP_MAX_ARENAS      128u        /* arena descriptors, a fixed table inside struct heap */
#define HEAP_ARENA_MIN_PAGES 16u         /* 64 KiB: the smallest arena asked from the page source */
#define HEAP_MAGIC           0x6b686561u /* marks an initialised struct heap */
/* Largest request; anything bigger cannot be rounded up with header and padding safely. */
#define HEAP_MAX_REQUEST ((size_t)1 << 46)

/* Where the heap gets memory: runs of whole pages, 4096-aligned (anything else is refused). */
struct heap_page_source {
    void *(*alloc_pages)(void *ctx, size_t npages); /* NULL when out of memory */
    void (*free_pages)(void *ctx, void *p, size_t npages);
    void *ctx;
};

struct heap_owner_stats {
    size_t bytes_in_use;        /* sum of charges (requests rounded up to HEAP_GRANULE) */
    size_t peak_bytes;          /* highest bytes_in_use seen */
    size_t allocations;         /* live blocks */
    size_t quota;               /* limit on bytes_in_use; 0 = none */
    uint64_t total_allocs;      /* successful heap_alloc calls (incl. heap_realloc(NULL, ..)) */
    uint64_t failed_allocs;     /* every failed alloc / growing realloc, whatever the cause */
    uint64_t quota_denials;     /* of failed_allocs: refused by the quota */
    uint64_t injected_failures; /* of failed_allocs: failed by the injector */
};

/* Linux failslab-like failure injection. An "eligible call" is a heap_alloc, or a heap_realloc
 * that needs more than the block's usable size, that passed argument checks (and the owner
 * filter, if set). Quota and out-of-memory checks come after the injector. */
struct heap_failslab {
    uint32_t probability; /* percent 0..100 that an eligible call fails */
    uint32_t interval;    /* only every interval-th eligible call may fail (0 or 1 = all) */
    int32_t times;        /* failures left; -1 = unlimited; 0 = off (heap_failslab_get shows what
                             is left) */
    bool filter_owner;    /* if set, only allocations of `owner` are eligible */
    owner_t owner;
    uint32_t fail_nth; /* if non-zero, the nth eligible call from now fails once, independent
                          of probability/interval/times (heap_failslab_get shows the countdown) */
    uint64_t seed;     /* seed of the deterministic PRNG behind probability */
    /* A caller filter (the kernel's per-cell filter, keel/inject_alloc.h): if match is set, a
     * call is eligible only when match(hook_ctx) says so — asked after the owner filter, under
     * the caller's lock, and only while something is armed (fail_nth, or probability with
     * times), so a disarmed injector costs one test per call. */
    bool (*match)(void *hook_ctx);
    /* If set, told each time the injector fails a call (same lock: record, never allocate). */
    void (*fired)(void *hook_ctx);
    void *hook_ctx;
    uint64_t seen; /* eligible calls since the last set (heap_failslab_get; ignored by set) */
};

/* Private bookkeeping; defined here only so a heap can be a static object. */
struct heap_blk;
struct heap_owner_rec {
    bool used;
    owner_t id;
    struct heap_blk *head; /* this owner's live blocks */
    struct heap_owner_stats st;
};
struct heap_arena_ref {
    uintptr_t base; /* sorted ascending across the table */
    size_t size;    /* bytes */
};
struct heap {
    uint32_t magic;
    struct heap_page_source src;
    uint64_t secret; /* mixed into block canaries */
    struct heap_blk *free_head;
    size_t narenas;
    struct heap_arena_ref arenas[HEAP_MAX_ARENAS];
    size_t nowners;                                /* records in use, idle ones included */
    size_t owners_live;                            /* owners holding at least one block */
    struct heap_owner_rec owners[HEAP_MAX_OWNERS]; /* open addressing, linear probing */
    size_t bytes_in_use;
    size_t bytes_from_pages;
    uint64_t bad_frees;
    struct heap_failslab fs; /* times and fail_nth count down here */
    uint64_t fs_rng;
    uint64_t fs_calls;
    const char *check_error;
};

/* Sets up an empty heap (no pages taken yet). KE_INVAL if h, src or a callback is NULL. */
int heap_init(struct heap *h, const struct heap_page_source *src);
/* Gives every arena back to the page source; all blocks die. h must be re-inited to be used. */
void heap_destroy(struct heap *h);

/* size bytes for owner, aligned to align (a power of two 1..4096; 0 means 16; below 16 acts as
 * 16). NULL on bad arguments (size 0 included: there are no zero-sized blocks, owner
 * HEAP_OWNER_NONE, size > HEAP_MAX_REQUEST), a full owner table, an injected failure, the
 * owner's quota, or no memory. */
void *heap_alloc(struct heap *h, size_t size, size_t align, owner_t owner);
/* Frees a block. NULL is ignored; an invalid pointer is counted in bad_frees and ignored. */
void heap_free(struct heap *h, void *p);
/* Resizes p keeping its owner, alignment and contents (up to the smaller size). p NULL acts as
 * heap_alloc(h, size, 0, owner_if_new); size 0 frees p and returns NULL. On failure NULL is
 * returned and p is untouched; an invalid p is counted in bad_frees. */
void *heap_realloc(struct heap *h, void *p, size_t size, owner_t owner_if_new);
/* Moves p to new_owner. KE_FAULT bad pointer, KE_INVAL bad owner, KE_QUOTA if new_owner's
 * quota would be exceeded, KE_NOSPC if the owner table is full. */
int heap_transfer(struct heap *h, void *p, owner_t new_owner);
/* Owner of a live block, or HEAP_OWNER_NONE for an invalid pointer. */
owner_t heap_owner_of(struct heap *h, const void *p);
/* Bytes usable at p (>= the size asked for), 0 for an invalid pointer. */
size_t heap_usable_size(struct heap *h, const void *p);

/* Visits the payloads of used blocks in address order, from *cursor on (an address; 0 = the
 * start), for a scan that proceeds in bounded slices (the reclaimer's): fn(ctx, p, n, owner)
 * gets [p, p+n) of one block's requested bytes, or the part of it at or after *cursor. Stops
 * once at least budget bytes were visited (a block may be cut: the next call resumes inside
 * it), with *cursor at the first byte not visited; returns true when the end of the heap was
 * reached. Blocks freed or allocated between calls are visited or not, never twice for one
 * address. fn must not call into the heap. */
bool heap_walk_used(struct heap *h, uintptr_t *cursor, size_t budget,
                    void (*fn)(void *ctx, const void *p, size_t n, owner_t owner), void *ctx);

/* Sets owner's quota in charged bytes (0 = unlimited). A quota below the current use is allowed
 * and only stops further growth. KE_INVAL bad owner, KE_NOSPC owner table full. */
int heap_set_quota(struct heap *h, owner_t owner, size_t bytes);
/* Copies owner's statistics. KE_NOENT if the heap has no record of owner. Records of owners that
 * hold nothing and have no quota stay readable until the table needs their slot. */
int heap_owner_stats(struct heap *h, owner_t owner, struct heap_owner_stats *out);
/* Frees every block of owner in O(its blocks); returns how many were freed (0 if unknown). */
size_t heap_free_owner(struct heap *h, owner_t owner);
/* Calls fn for each owner record until fn returns non-zero, which is returned; else 0.
 * fn must not call into this heap. */
int heap_for_each_owner(struct heap *h,
                        int (*fn)(void *ctx, owner_t owner, const struct heap_owner_stats *st),
                        void *ctx);

/* Replaces the injection settings and restarts the PRNG, interval counter, countdowns and the
 * eligible-call count. KE_INVAL if probability > 100, times < -1, the filter names
 * HEAP_OWNER_NONE, or fired is set without match. */
int heap_failslab_set(struct heap *h, const struct heap_failslab *cfg);
/* The current settings, with times and fail_nth showing what is left and seen counting the
 * eligible calls. */
void heap_failslab_get(struct heap *h, struct heap_failslab *out);
/* Advances the injector for one allocation call of owner; true if this call must fail. Used by
 * heap_alloc/heap_realloc; exported so other allocators can share the same knobs. */
bool heap_failslab_should_fail(struct heap *h, owner_t owner);

/* Walks every arena, block, list and owner record. 0 if consistent, else KE_FAULT (never
 * crashes on a corrupt block header; heap_check_error() then says what was wrong). */
int heap_check(struct heap *h);
/* What the last failing heap_check found, or NULL. */
const char *heap_check_error(const struct heap *h);
/* Totals: charged bytes of all owners, bytes held from the page source, owners holding at least
 * one block. Any out pointer may be NULL. */
void heap_totals(struct heap *h, size_t *bytes_in_use, size_t *bytes_from_pages, size_t *owners);
/* How many invalid pointers were given to heap_free/heap_realloc. */
uint64_t heap_bad_frees(struct heap *h);

#endif
