/* Heap workers: a table of slots, each empty or holding a block of a size from 1 byte to 16 KiB
 * (every power of two equally likely, so small and large blocks mix), sometimes with an alignment
 * up to a page. Each operation picks a slot: an empty one gets a new block, filled with a pattern
 * drawn from a tag; a full one is checked against its tag and freed, or reallocated to another
 * size (the kept bytes must still match, then the block is filled again). A write through a
 * stale pointer, a block handed out twice or a header overrun by a neighbour shows as a pattern
 * that does not match. Everything left is checked and freed at the end. With workers on every
 * CPU, the heap lock and its arenas are shared by all at once. */
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "commands/smpstress/ss.h"

#define SLOTS 32

struct slot {
    uint8_t *p;
    uint64_t size, align, tag;
};

static uint8_t pattern(uint64_t tag, uint64_t i)
{
    return (uint8_t)(tag >> ((i & 7) * 8)) ^ (uint8_t)(i >> 3);
}

static void fill(uint8_t *p, uint64_t n, uint64_t tag)
{
    for (uint64_t i = 0; i < n; i++)
        p[i] = pattern(tag, i);
}

/* Whether the first n bytes hold the tag's pattern and the block keeps its alignment. */
static bool intact(const struct slot *s, uint64_t n)
{
    if ((uintptr_t)s->p % s->align)
        return false;
    for (uint64_t i = 0; i < n; i++)
        if (s->p[i] != pattern(s->tag, i))
            return false;
    return true;
}

static void corrupt(struct ss_ret *r, const struct slot *s, const char *when)
{
    r->c.corrupt++;
    ss_fail(r, SS_WRONG, "a %llu-byte block (align %llu) at %p did not check %s",
            (unsigned long long)s->size, (unsigned long long)s->align, (void *)s->p, when);
}

static uint64_t draw_size(struct ss_rng *rng)
{
    uint64_t x = ss_next(rng);
    unsigned shift = (unsigned)(x % 14); /* 1 B .. 8 KiB, then up to twice that */
    return (1ull << shift) + (x >> 8) % (1ull << shift);
}

static void put_new(struct ss_ret *r, struct slot *s, struct ss_rng *rng)
{
    uint64_t x = ss_next(rng);
    s->size = draw_size(rng);
    s->align = x % 8 == 0 ? 1ull << (4 + (x >> 8) % 9) : 16; /* 16 B .. 4 KiB */
    s->tag = ss_next(rng);
    s->p = s->align > 16 ? kmalloc_aligned(s->size, s->align) : kmalloc(s->size);
    if (!s->p) {
        r->c.refused++;
        ss_fail(r, KE_NOMEM, "a %llu-byte allocation was refused", (unsigned long long)s->size);
        return;
    }
    fill(s->p, s->size, s->tag);
    r->c.allocs++;
    r->c.heap_bytes += s->size;
}

static void take_out(struct ss_ret *r, struct slot *s)
{
    if (!intact(s, s->size))
        corrupt(r, s, "before its free");
    kfree(s->p);
    s->p = NULL;
    r->c.frees++;
}

/* krealloc to a new size: the bytes both sizes share must survive the move. */
static void resize(struct ss_ret *r, struct slot *s, struct ss_rng *rng)
{
    if (!intact(s, s->size))
        corrupt(r, s, "before its reallocation");
    uint64_t size = draw_size(rng);
    uint8_t *p = krealloc(s->p, size);
    if (!p) { /* the old block is untouched and still ours */
        r->c.refused++;
        ss_fail(r, KE_NOMEM, "a reallocation to %llu bytes was refused", (unsigned long long)size);
        return;
    }
    s->p = p;
    uint64_t kept = size < s->size ? size : s->size;
    if (!intact(s, kept))
        corrupt(r, s, "after its reallocation");
    s->size = size;
    s->tag = ss_next(rng);
    fill(s->p, s->size, s->tag);
    r->c.allocs++;
    r->c.frees++;
    r->c.heap_bytes += size;
}

int smpstress_heap(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    struct ss_rng rng = ss_rng_of(job);
    struct slot slots[SLOTS];
    memset(slots, 0, sizeof(slots));
    for (r->rounds = 0; ss_more(job, r->rounds) && !r->status; r->rounds++) {
        for (unsigned op = 0; op < SS_HEAP_OPS; op++) {
            uint64_t x = ss_next(&rng);
            struct slot *s = &slots[x % SLOTS];
            if (!s->p)
                put_new(r, s, &rng);
            else if ((x >> 8) % 8 == 0)
                resize(r, s, &rng);
            else
                take_out(r, s);
            r->c.heap_ops++;
        }
        if (r->rounds % 8 == 7)
            task_yield(); /* let the other task on this CPU at the heap too */
    }
    for (unsigned i = 0; i < SLOTS; i++)
        if (slots[i].p)
            take_out(r, &slots[i]);
    return r->status;
}
