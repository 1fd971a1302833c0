/* The owner-tracked heap: arenas of pages carved into boundary-tagged blocks, one free list
 * (first fit), and per-owner lists of live blocks. See keel/heap.h for the contract.
 *
 * Every block, free or used, starts with a 64-byte header. A used block's payload follows its
 * header directly, so alignment is made by splitting a free block's front off as its own free
 * block (a gap is either 0 or at least a whole header). Block sizes and prev_size (the size of
 * the block physically before, 0 for the first of an arena) let free merge neighbours in O(1).
 * A canary over the header fields and the header's address tells real headers from stale or
 * stray pointers before anything is written. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <keel/string.h>

#define BLK_USED 0x55534544u /* "USED" */
#define BLK_FREE 0x46524545u /* "FREE" */
#define BLK_DEAD 0xdeadb10cu /* a header that was merged away */

struct heap_blk {
    size_t size;      /* whole block incl. header, multiple of HEAP_GRANULE */
    size_t prev_size; /* size of the block physically before; 0 if first in its arena */
    uint32_t magic;
    owner_t owner;                /* used: the owner; free: HEAP_OWNER_NONE */
    uint32_t align_log2;          /* used: alignment asked for (>= 4), kept by realloc */
    uint32_t canary;              /* hash of the fields above, req and the header's address */
    size_t req;                   /* used: bytes asked for */
    struct heap_blk *next, *prev; /* used: owner list; free: free list */
    uint64_t reserved;
};

#define HDR      sizeof(struct heap_blk)
#define MIN_FREE HDR /* a free block is at least a header (it carries the list links) */
_Static_assert(sizeof(struct heap_blk) == 64, "block header must stay 64 bytes");
_Static_assert(HEAP_MAX_OWNERS == 256, "owner_slot() hashes to 8 bits");

static size_t round_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static size_t charge_of(size_t req)
{
    return round_up(req, HEAP_GRANULE);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint32_t blk_canary(const struct heap *h, const struct heap_blk *b)
{
    uint64_t x = mix64(h->secret ^ (uintptr_t)b);
    x = mix64(x ^ b->size);
    x = mix64(x ^ b->prev_size);
    x = mix64(x ^ ((uint64_t)b->magic << 32 | b->owner));
    x = mix64(x ^ b->align_log2);
    x = mix64(x ^ b->req);
    return (uint32_t)(x ^ (x >> 32));
}

static void seal(const struct heap *h, struct heap_blk *b)
{
    b->canary = blk_canary(h, b);
}

static bool sealed(const struct heap *h, const struct heap_blk *b)
{
    return b->canary == blk_canary(h, b);
}

static bool heap_ok(const struct heap *h)
{
    return h && h->magic == HEAP_MAGIC;
}

/* ---- arenas ---- */

/* Index of the arena holding addr, or -1 (binary search over the sorted table). */
static long arena_index(const struct heap *h, uintptr_t addr)
{
    size_t lo = 0, hi = h->narenas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->arenas[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const struct heap_arena_ref *a = &h->arenas[lo - 1];
    return addr - a->base < a->size ? (long)(lo - 1) : -1;
}

static uintptr_t arena_end(const struct heap *h, long i)
{
    return h->arenas[i].base + h->arenas[i].size;
}

/* True if a whole, granule-aligned header at p lies inside an arena (so reading it is safe). */
static bool hdr_in_arena(const struct heap *h, const void *p, long *idx)
{
    uintptr_t a = (uintptr_t)p;
    if (a % HEAP_GRANULE)
        return false;
    long i = arena_index(h, a);
    if (i < 0 || arena_end(h, i) - a < HDR)
        return false;
    *idx = i;
    return true;
}

static struct heap_blk *blk_next(const struct heap *h, long i, const struct heap_blk *b)
{
    uintptr_t n = (uintptr_t)b + b->size;
    return n < arena_end(h, i) ? (struct heap_blk *)n : NULL;
}

static struct heap_blk *blk_prev(const struct heap_blk *b)
{
    return b->prev_size ? (struct heap_blk *)((uintptr_t)b - b->prev_size) : NULL;
}

/* ---- doubly linked lists (free list and owner lists share the links) ---- */

static void list_push(struct heap_blk **head, struct heap_blk *b)
{
    b->prev = NULL;
    b->next = *head;
    if (*head)
        (*head)->prev = b;
    *head = b;
}

static void list_remove(struct heap_blk **head, struct heap_blk *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        *head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    b->next = b->prev = NULL;
}

/* Takes npages from the page source as one free block; returns its arena index or -1. */
static long arena_add_pages(struct heap *h, size_t pages)
{
    void *p = h->src.alloc_pages(h->src.ctx, pages);
    if (!p)
        return -1;
    uintptr_t base = (uintptr_t)p;
    size_t bytes = pages * HEAP_PAGE_SIZE;
    if (base % HEAP_PAGE_SIZE || base + bytes < base) {
        h->src.free_pages(h->src.ctx, p, pages); /* unusable: give it straight back */
        return -1;
    }
    size_t i = 0;
    while (i < h->narenas && h->arenas[i].base < base)
        i++;
    memmove(&h->arenas[i + 1], &h->arenas[i], (h->narenas - i) * sizeof(h->arenas[0]));
    h->arenas[i].base = base;
    h->arenas[i].size = bytes;
    h->narenas++;
    h->bytes_from_pages += bytes;

    struct heap_blk *b = p;
    memset(b, 0, HDR);
    b->size = bytes;
    b->magic = BLK_FREE;
    b->owner = HEAP_OWNER_NONE;
    seal(h, b);
    list_push(&h->free_head, b);
    return (long)i;
}

/* A new arena with a free block of at least need bytes. Grows geometrically (a quarter of what
 * the heap already holds) so the fixed arena table lasts, falling back to the minimum. */
static long arena_add(struct heap *h, size_t need)
{
    if (h->narenas == HEAP_MAX_ARENAS)
        return -1;
    size_t min = need / HEAP_PAGE_SIZE + (need % HEAP_PAGE_SIZE != 0);
    if (min < HEAP_ARENA_MIN_PAGES)
        min = HEAP_ARENA_MIN_PAGES;
    size_t want = h->bytes_from_pages / 4 / HEAP_PAGE_SIZE;
    if (want > min) {
        long i = arena_add_pages(h, want);
        if (i >= 0)
            return i;
    }
    return arena_add_pages(h, min);
}

static void arena_release(struct heap *h, long i)
{
    void *base = (void *)h->arenas[i].base;
    size_t size = h->arenas[i].size;
    memmove(&h->arenas[i], &h->arenas[i + 1], (h->narenas - i - 1) * sizeof(h->arenas[0]));
    h->narenas--;
    h->bytes_from_pages -= size;
    h->src.free_pages(h->src.ctx, base, size / HEAP_PAGE_SIZE);
}

/* ---- blocks ---- */

static void set_next_prev_size(struct heap *h, long i, struct heap_blk *b)
{
    struct heap_blk *n = blk_next(h, i, b);
    if (n) {
        n->prev_size = b->size;
        seal(h, n);
    }
}

/* Block b of arena i is on no list: make it free, merge it with free neighbours, and give the
 * arena back if it is now wholly free. */
static void chunk_release(struct heap *h, long i, struct heap_blk *b)
{
    struct heap_blk *prev = blk_prev(b), *next = blk_next(h, i, b);
    size_t size = b->size;
    if (next && next->magic == BLK_FREE) {
        list_remove(&h->free_head, next);
        size += next->size;
        next->magic = BLK_DEAD;
        next->canary = 0;
    }
    if (prev && prev->magic == BLK_FREE) {
        list_remove(&h->free_head, prev);
        size += prev->size;
        b->magic = BLK_DEAD;
        b->canary = 0;
        b = prev;
    }
    b->size = size;
    b->magic = BLK_FREE;
    b->owner = HEAP_OWNER_NONE;
    b->align_log2 = 0;
    b->req = 0;
    seal(h, b);
    if (b->prev_size == 0 && size == h->arenas[i].size) {
        arena_release(h, i);
        return;
    }
    set_next_prev_size(h, i, b);
    list_push(&h->free_head, b);
}

/* Cuts block b (not free) down to keep bytes, releasing the tail if it can be a block. */
static void chunk_trim(struct heap *h, long i, struct heap_blk *b, size_t keep)
{
    if (b->size - keep >= MIN_FREE) {
        struct heap_blk *t = (struct heap_blk *)((uintptr_t)b + keep);
        t->size = b->size - keep;
        t->prev_size = keep;
        t->magic = BLK_DEAD;
        t->next = t->prev = NULL;
        b->size = keep;
        chunk_release(h, i, t);
    }
    seal(h, b);
}

/* Where the payload of r bytes aligned to a would start in free block f, or 0 if no fit. */
static uintptr_t fit(const struct heap_blk *f, size_t a, size_t r)
{
    uintptr_t start = (uintptr_t)f, end = start + f->size;
    if (start > UINTPTR_MAX - (2 * HDR + a))
        return 0;
    uintptr_t user = round_up(start + HDR, a);
    if (user - HDR != start && user - HDR - start < MIN_FREE)
        user = round_up(start + HDR + MIN_FREE, a); /* the front gap must hold a header */
    if (user > end || end - user < r)
        return 0;
    return user;
}

/* Turns the part of free block f from user - HDR on into a used block of r payload bytes. */
static struct heap_blk *carve(struct heap *h, struct heap_blk *f, uintptr_t user, size_t r)
{
    long i = arena_index(h, (uintptr_t)f);
    struct heap_blk *b = (struct heap_blk *)(user - HDR);
    list_remove(&h->free_head, f);
    if (b != f) {
        size_t gap = (uintptr_t)b - (uintptr_t)f;
        b->size = f->size - gap;
        b->prev_size = gap;
        f->size = gap;
        seal(h, f);
        list_push(&h->free_head, f); /* its neighbours are used: nothing to merge */
        set_next_prev_size(h, i, b);
    }
    b->magic = BLK_USED;
    b->owner = HEAP_OWNER_NONE;
    b->next = b->prev = NULL;
    b->req = r;
    chunk_trim(h, i, b, HDR + r);
    return b;
}

/* A used block with r payload bytes aligned to 1 << align_log2, or NULL (first fit). */
static struct heap_blk *block_alloc(struct heap *h, size_t r, uint32_t align_log2)
{
    size_t a = (size_t)1 << align_log2;
    for (struct heap_blk *f = h->free_head; f; f = f->next) {
        uintptr_t user = fit(f, a, r);
        if (user)
            return carve(h, f, user, r);
    }
    /* A fresh arena is page aligned: the payload lands at max(HDR, a) from its start. */
    long i = arena_add(h, (a > HDR ? a : HDR) + r);
    if (i < 0)
        return NULL;
    struct heap_blk *f = (struct heap_blk *)h->arenas[i].base;
    uintptr_t user = fit(f, a, r);
    return user ? carve(h, f, user, r) : NULL;
}

/* ---- owners ---- */

static size_t owner_slot(owner_t id)
{
    return (uint32_t)(id * 0x9e3779b1u) >> 24;
}

static struct heap_owner_rec *owner_find(struct heap *h, owner_t id)
{
    size_t s = owner_slot(id);
    for (size_t n = 0; n < HEAP_MAX_OWNERS; n++, s = (s + 1) % HEAP_MAX_OWNERS) {
        struct heap_owner_rec *rec = &h->owners[s];
        if (!rec->used)
            return NULL;
        if (rec->id == id)
            return rec;
    }
    return NULL;
}

static bool owner_idle(const struct heap_owner_rec *rec)
{
    return rec->st.allocations == 0 && rec->st.quota == 0;
}

/* The record of id, created if asked, or NULL if the table is full of owners that hold memory
 * or a quota. Records never move, and are only replaced when the table is full: then no slot is
 * empty, every probe run crosses every slot, and the new owner can take an idle record's slot
 * in place. */
static struct heap_owner_rec *owner_get(struct heap *h, owner_t id, bool create)
{
    struct heap_owner_rec *rec = owner_find(h, id);
    if (rec || !create)
        return rec;
    size_t s = owner_slot(id);
    if (h->nowners == HEAP_MAX_OWNERS) {
        size_t n = 0;
        for (; n < HEAP_MAX_OWNERS && !owner_idle(&h->owners[s]); n++)
            s = (s + 1) % HEAP_MAX_OWNERS;
        if (n == HEAP_MAX_OWNERS)
            return NULL;
    } else {
        while (h->owners[s].used)
            s = (s + 1) % HEAP_MAX_OWNERS;
        h->nowners++;
    }
    rec = &h->owners[s];
    memset(rec, 0, sizeof(*rec));
    rec->used = true;
    rec->id = id;
    return rec;
}

/* Puts used block b on rec's list and charges it. */
static void owner_attach(struct heap *h, struct heap_owner_rec *rec, struct heap_blk *b, size_t req,
                         uint32_t align_log2)
{
    b->owner = rec->id;
    b->req = req;
    b->align_log2 = align_log2;
    seal(h, b);
    list_push(&rec->head, b);
    size_t c = charge_of(req);
    rec->st.bytes_in_use += c;
    if (rec->st.bytes_in_use > rec->st.peak_bytes)
        rec->st.peak_bytes = rec->st.bytes_in_use;
    if (rec->st.allocations++ == 0)
        h->owners_live++;
    h->bytes_in_use += c;
}

static void owner_detach(struct heap *h, struct heap_owner_rec *rec, struct heap_blk *b)
{
    size_t c = charge_of(b->req);
    list_remove(&rec->head, b);
    rec->st.bytes_in_use -= c;
    if (--rec->st.allocations == 0)
        h->owners_live--;
    h->bytes_in_use -= c;
}

/* The header of live block p, checked before anything is written, or NULL. */
static struct heap_blk *blk_from_user(struct heap *h, const void *p, long *ai,
                                      struct heap_owner_rec **recp)
{
    uintptr_t u = (uintptr_t)p;
    long i, j;
    if (u < HDR)
        return NULL;
    struct heap_blk *b = (struct heap_blk *)(u - HDR);
    if (!hdr_in_arena(h, b, &i) || b->magic != BLK_USED || !sealed(h, b))
        return NULL;
    if (b->size % HEAP_GRANULE || b->size < HDR + HEAP_GRANULE ||
        b->size > arena_end(h, i) - (uintptr_t)b || b->req == 0 || b->req > b->size - HDR)
        return NULL;
    struct heap_owner_rec *rec = owner_find(h, b->owner);
    if (!rec)
        return NULL;
    if (b->prev ? (!hdr_in_arena(h, b->prev, &j) || b->prev->next != b) : rec->head != b)
        return NULL;
    if (b->next && (!hdr_in_arena(h, b->next, &j) || b->next->prev != b))
        return NULL;
    *ai = i;
    *recp = rec;
    return b;
}

static int align_log2_of(size_t align, uint32_t *out)
{
    if (align == 0)
        align = HEAP_GRANULE;
    if (align > HEAP_MAX_ALIGN || (align & (align - 1)))
        return KE_INVAL;
    if (align < HEAP_GRANULE)
        align = HEAP_GRANULE;
    uint32_t l = 0;
    while (((size_t)1 << l) < align)
        l++;
    *out = l;
    return 0;
}

static void count_failure(struct heap_owner_rec *rec, uint64_t *why)
{
    rec->st.failed_allocs++;
    if (why)
        (*why)++;
}

/* ---- public API ---- */

int heap_init(struct heap *h, const struct heap_page_source *src)
{
    if (!h || !src || !src->alloc_pages || !src->free_pages)
        return KE_INVAL;
    memset(h, 0, sizeof(*h));
    h->src = *src;
    h->secret = mix64((uintptr_t)h ^ 0x6b65656c68656170ull);
    h->magic = HEAP_MAGIC;
    return 0;
}

void heap_destroy(struct heap *h)
{
    if (!heap_ok(h))
        return;
    while (h->narenas)
        arena_release(h, (long)h->narenas - 1);
    memset(h, 0, sizeof(*h));
}

void *heap_alloc(struct heap *h, size_t size, size_t align, owner_t owner)
{
    uint32_t align_log2;
    if (!heap_ok(h) || size == 0 || size > HEAP_MAX_REQUEST || owner == HEAP_OWNER_NONE ||
        align_log2_of(align, &align_log2))
        return NULL;
    struct heap_owner_rec *rec = owner_get(h, owner, true);
    if (!rec)
        return NULL;
    if (heap_failslab_should_fail(h, owner)) {
        count_failure(rec, &rec->st.injected_failures);
        return NULL;
    }
    size_t c = charge_of(size);
    if (rec->st.quota && rec->st.bytes_in_use + c > rec->st.quota) {
        count_failure(rec, &rec->st.quota_denials);
        return NULL;
    }
    struct heap_blk *b = block_alloc(h, c, align_log2);
    if (!b) {
        count_failure(rec, NULL);
        return NULL;
    }
    owner_attach(h, rec, b, size, align_log2);
    rec->st.total_allocs++;
    return (char *)b + HDR;
}

/* Give a used block (already detached from its owner) back, its bytes cleared first: a freed
 * block keeps no stale pointers for the next owner's uninitialised bytes to show, which a
 * conservative scan (the kernel's reclaimer) would take for references. */
static void release_used(struct heap *h, long i, struct heap_blk *b)
{
    memset((char *)b + HDR, 0, b->req);
    chunk_release(h, i, b);
}

void heap_free(struct heap *h, void *p)
{
    long i;
    struct heap_owner_rec *rec;
    if (!heap_ok(h) || !p)
        return;
    struct heap_blk *b = blk_from_user(h, p, &i, &rec);
    if (!b) {
        h->bad_frees++;
        return;
    }
    owner_detach(h, rec, b);
    release_used(h, i, b);
}

/* Resizes used block b in place to hold size bytes; false if its neighbour cannot help. */
static bool resize_in_place(struct heap *h, long i, struct heap_owner_rec *rec, struct heap_blk *b,
                            size_t size)
{
    size_t need = HDR + charge_of(size);
    if (need > b->size) {
        struct heap_blk *n = blk_next(h, i, b);
        if (!n || n->magic != BLK_FREE || b->size + n->size < need)
            return false;
        list_remove(&h->free_head, n);
        n->magic = BLK_DEAD;
        n->canary = 0;
        b->size += n->size;
        set_next_prev_size(h, i, b);
    }
    uint32_t align_log2 = b->align_log2;
    if (size < b->req) /* the bytes given up keep no stale words (see release_used) */
        memset((char *)b + HDR + size, 0, b->req - size);
    owner_detach(h, rec, b);
    owner_attach(h, rec, b, size, align_log2);
    chunk_trim(h, i, b, need);
    return true;
}

void *heap_realloc(struct heap *h, void *p, size_t size, owner_t owner_if_new)
{
    long i;
    struct heap_owner_rec *rec;
    if (!heap_ok(h))
        return NULL;
    if (!p)
        return heap_alloc(h, size, 0, owner_if_new);
    struct heap_blk *b = blk_from_user(h, p, &i, &rec);
    if (!b) {
        h->bad_frees++;
        return NULL;
    }
    if (size == 0) {
        owner_detach(h, rec, b);
        release_used(h, i, b);
        return NULL;
    }
    if (size > HEAP_MAX_REQUEST)
        return NULL;
    size_t c_old = charge_of(b->req), c_new = charge_of(size);
    if (HDR + c_new > b->size && heap_failslab_should_fail(h, b->owner)) {
        count_failure(rec, &rec->st.injected_failures);
        return NULL;
    }
    if (c_new > c_old && rec->st.quota && rec->st.bytes_in_use - c_old + c_new > rec->st.quota) {
        count_failure(rec, &rec->st.quota_denials);
        return NULL;
    }
    if (resize_in_place(h, i, rec, b, size))
        return p;
    struct heap_blk *nb = block_alloc(h, c_new, b->align_log2);
    if (!nb) {
        count_failure(rec, NULL);
        return NULL;
    }
    void *np = (char *)nb + HDR;
    memcpy(np, p, b->req < size ? b->req : size);
    uint32_t align_log2 = b->align_log2;
    owner_detach(h, rec, b); /* before attach, so the peak never counts both copies */
    release_used(h, arena_index(h, (uintptr_t)b), b); /* a new arena may have moved b's index */
    owner_attach(h, rec, nb, size, align_log2);
    return np;
}

int heap_transfer(struct heap *h, void *p, owner_t new_owner)
{
    long i;
    struct heap_owner_rec *rec, *nrec;
    if (!heap_ok(h) || new_owner == HEAP_OWNER_NONE)
        return KE_INVAL;
    struct heap_blk *b = blk_from_user(h, p, &i, &rec);
    if (!b)
        return KE_FAULT;
    if (b->owner == new_owner)
        return 0;
    nrec = owner_get(h, new_owner, true);
    if (!nrec)
        return KE_NOSPC;
    size_t c = charge_of(b->req);
    if (nrec->st.quota && nrec->st.bytes_in_use + c > nrec->st.quota)
        return KE_QUOTA;
    size_t req = b->req;
    uint32_t align_log2 = b->align_log2;
    owner_detach(h, rec, b);
    owner_attach(h, nrec, b, req, align_log2);
    return 0;
}

owner_t heap_owner_of(struct heap *h, const void *p)
{
    long i;
    struct heap_owner_rec *rec;
    struct heap_blk *b = heap_ok(h) ? blk_from_user(h, p, &i, &rec) : NULL;
    return b ? b->owner : HEAP_OWNER_NONE;
}

size_t heap_usable_size(struct heap *h, const void *p)
{
    long i;
    struct heap_owner_rec *rec;
    struct heap_blk *b = heap_ok(h) ? blk_from_user(h, p, &i, &rec) : NULL;
    return b ? b->size - HDR : 0;
}

bool heap_walk_used(struct heap *h, uintptr_t *cursor, size_t budget,
                    void (*fn)(void *ctx, const void *p, size_t n, owner_t owner), void *ctx)
{
    if (!heap_ok(h) || !cursor || !fn)
        return true;
    size_t seen = 0;
    for (size_t i = 0; i < h->narenas; i++) {
        uintptr_t end = arena_end(h, (long)i);
        if (end <= *cursor)
            continue;
        /* Blocks tile the arena: walk from its start to the cursor, then visit. */
        for (struct heap_blk *b = (struct heap_blk *)h->arenas[i].base; b;
             b = blk_next(h, (long)i, b)) {
            uintptr_t from = (uintptr_t)b + HDR, to = from + b->req;
            if (b->magic != BLK_USED || to <= *cursor)
                continue;
            if (from < *cursor)
                from = *cursor;
            if (seen >= budget) {
                *cursor = from;
                return false;
            }
            /* A cut falls on a word: payloads start 16-aligned and cuts are multiples of 8, so
             * a scan of 64-bit words never loses the one across a cut. */
            size_t n = to - from, room = (budget - seen) & ~(size_t)7;
            bool cut = n > room && n - room >= 8;
            if (cut && room == 0 && seen) {
                *cursor = from;
                return false;
            }
            if (cut)
                n = room ? room : 8;
            fn(ctx, (const void *)from, n, b->owner);
            seen += n;
            *cursor = from + n;
            if (cut)
                return false; /* the next slice resumes inside this block */
        }
        *cursor = end;
    }
    return true;
}

int heap_set_quota(struct heap *h, owner_t owner, size_t bytes)
{
    if (!heap_ok(h) || owner == HEAP_OWNER_NONE)
        return KE_INVAL;
    struct heap_owner_rec *rec = owner_get(h, owner, bytes != 0);
    if (!rec)
        return bytes ? KE_NOSPC : 0;
    rec->st.quota = bytes;
    return 0;
}

int heap_owner_stats(struct heap *h, owner_t owner, struct heap_owner_stats *out)
{
    if (!heap_ok(h) || !out)
        return KE_INVAL;
    struct heap_owner_rec *rec = owner_find(h, owner);
    if (!rec)
        return KE_NOENT;
    *out = rec->st;
    return 0;
}

size_t heap_free_owner(struct heap *h, owner_t owner)
{
    size_t n = 0;
    long i;
    struct heap_owner_rec *rec = heap_ok(h) ? owner_find(h, owner) : NULL;
    if (!rec)
        return 0;
    while (rec->head) {
        struct heap_owner_rec *r2;
        struct heap_blk *b = blk_from_user(h, (char *)rec->head + HDR, &i, &r2);
        if (!b || r2 != rec)
            break; /* corrupt list: stop rather than follow it; heap_check will say so */
        owner_detach(h, rec, b);
        release_used(h, i, b);
        n++;
    }
    return n;
}

int heap_for_each_owner(struct heap *h,
                        int (*fn)(void *ctx, owner_t owner, const struct heap_owner_stats *st),
                        void *ctx)
{
    if (!heap_ok(h) || !fn)
        return KE_INVAL;
    for (size_t s = 0; s < HEAP_MAX_OWNERS; s++) {
        if (!h->owners[s].used)
            continue;
        int r = fn(ctx, h->owners[s].id, &h->owners[s].st);
        if (r)
            return r;
    }
    return 0;
}

void heap_totals(struct heap *h, size_t *bytes_in_use, size_t *bytes_from_pages, size_t *owners)
{
    bool ok = heap_ok(h);
    if (bytes_in_use)
        *bytes_in_use = ok ? h->bytes_in_use : 0;
    if (bytes_from_pages)
        *bytes_from_pages = ok ? h->bytes_from_pages : 0;
    if (owners)
        *owners = ok ? h->owners_live : 0;
}

uint64_t heap_bad_frees(struct heap *h)
{
    return heap_ok(h) ? h->bad_frees : 0;
}

const char *heap_check_error(const struct heap *h)
{
    return h ? h->check_error : NULL;
}

/* ---- consistency walk ---- */

#define CHECK_FAIL(msg)                                                                            \
    do {                                                                                           \
        h->check_error = (msg);                                                                    \
        return KE_FAULT;                                                                           \
    } while (0)

struct walk_totals {
    size_t nfree, nused, charged;
};

/* Walks arena i block by block: the blocks must tile it exactly with matching boundary tags. */
static int check_arena(struct heap *h, long i, struct walk_totals *t)
{
    uintptr_t a = h->arenas[i].base, end = arena_end(h, i);
    size_t prev_size = 0;
    bool prev_free = false;
    while (a < end) {
        const struct heap_blk *b = (const struct heap_blk *)a;
        if (end - a < HDR)
            CHECK_FAIL("block header runs past its arena");
        if (b->size < HDR || b->size % HEAP_GRANULE || b->size > end - a)
            CHECK_FAIL("block size out of range");
        if (b->prev_size != prev_size)
            CHECK_FAIL("boundary tag (prev_size) mismatch");
        if (!sealed(h, b))
            CHECK_FAIL("block canary mismatch");
        if (b->magic == BLK_FREE) {
            if (prev_free)
                CHECK_FAIL("two adjacent free blocks");
            if (b->prev_size == 0 && b->size == h->arenas[i].size)
                CHECK_FAIL("wholly free arena was kept");
            t->nfree++;
        } else if (b->magic == BLK_USED) {
            if (b->req == 0 || b->req > b->size - HDR || b->align_log2 < 4 || b->align_log2 > 12 ||
                (a + HDR) % ((uintptr_t)1 << b->align_log2))
                CHECK_FAIL("used block fields invalid");
            t->nused++;
            t->charged += charge_of(b->req);
        } else {
            CHECK_FAIL("bad block magic");
        }
        prev_free = b->magic == BLK_FREE;
        prev_size = b->size;
        a += b->size;
    }
    return 0;
}

/* A list entry must be a real header of the given kind; its back link must match. */
static bool list_entry_ok(struct heap *h, const struct heap_blk *b, const struct heap_blk *prev,
                          uint32_t magic)
{
    long i;
    return hdr_in_arena(h, b, &i) && b->magic == magic && sealed(h, b) && b->prev == prev;
}

static int check_owners(struct heap *h, const struct walk_totals *t)
{
    size_t records = 0, live = 0, blocks = 0, bytes_all = 0;
    for (size_t s = 0; s < HEAP_MAX_OWNERS; s++) {
        const struct heap_owner_rec *rec = &h->owners[s];
        if (!rec->used)
            continue;
        records++;
        if (rec->id == HEAP_OWNER_NONE || owner_find(h, rec->id) != rec)
            CHECK_FAIL("owner record unreachable or duplicated");
        size_t n = 0, bytes = 0;
        const struct heap_blk *prev = NULL;
        for (const struct heap_blk *b = rec->head; b; prev = b, b = b->next) {
            if (++n > t->nused)
                CHECK_FAIL("owner list longer than the used blocks (cycle?)");
            if (!list_entry_ok(h, b, prev, BLK_USED) || b->owner != rec->id)
                CHECK_FAIL("bad owner-list entry");
            bytes += charge_of(b->req);
        }
        if (n != rec->st.allocations || bytes != rec->st.bytes_in_use || rec->st.peak_bytes < bytes)
            CHECK_FAIL("owner statistics disagree with its blocks");
        live += n != 0;
        blocks += n;
        bytes_all += bytes;
    }
    if (records != h->nowners || live != h->owners_live)
        CHECK_FAIL("owner record counts wrong");
    if (blocks != t->nused)
        CHECK_FAIL("a used block is on no owner list");
    if (bytes_all != h->bytes_in_use || bytes_all != t->charged)
        CHECK_FAIL("total bytes in use wrong");
    return 0;
}

int heap_check(struct heap *h)
{
    struct walk_totals t = {0, 0, 0};
    size_t pages_bytes = 0;
    if (!heap_ok(h))
        return KE_FAULT;
    h->check_error = NULL;
    if (h->narenas > HEAP_MAX_ARENAS || h->nowners > HEAP_MAX_OWNERS)
        CHECK_FAIL("table counts out of range");
    for (size_t i = 0; i < h->narenas; i++) {
        const struct heap_arena_ref *a = &h->arenas[i];
        if (a->base % HEAP_PAGE_SIZE || a->size == 0 || a->size % HEAP_PAGE_SIZE ||
            a->base + a->size < a->base || (i && a->base < arena_end(h, (long)i - 1)))
            CHECK_FAIL("arena table corrupt");
        pages_bytes += a->size;
    }
    if (pages_bytes != h->bytes_from_pages)
        CHECK_FAIL("bytes_from_pages wrong");
    for (size_t i = 0; i < h->narenas; i++) {
        int r = check_arena(h, (long)i, &t);
        if (r)
            return r;
    }
    size_t n = 0;
    const struct heap_blk *prev = NULL;
    for (const struct heap_blk *f = h->free_head; f; prev = f, f = f->next) {
        if (++n > t.nfree)
            CHECK_FAIL("free list longer than the free blocks (cycle?)");
        if (!list_entry_ok(h, f, prev, BLK_FREE))
            CHECK_FAIL("bad free-list entry");
    }
    if (n != t.nfree)
        CHECK_FAIL("a free block is not on the free list");
    if (h->fs.probability > 100 || h->fs.times < -1)
        CHECK_FAIL("failslab settings invalid");
    return check_owners(h, &t);
}
