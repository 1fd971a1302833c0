/* Physical frames: address arithmetic and the reservation table over a bitmap allocator.
 * Reservations are kept as ranges (not only as used bits) so that a usable region added after
 * a reservation cannot free it, and frames_free can refuse to free a reserved frame. */
#include <keel/errno.h>
#include <keel/frames.h>
#include <keel/string.h>

#define PAGE_MASK ((uint64_t)FRAME_SIZE - 1)

int frames_init(struct frames *f, uint64_t *words, size_t nwords, uint64_t phys_limit)
{
    uint64_t limit = phys_limit & ~PAGE_MASK;
    if (!f || limit < FRAME_SIZE)
        return KE_INVAL;
    struct bitalloc map;
    int err = bitalloc_init(&map, words, nwords, (size_t)(limit / FRAME_SIZE));
    if (err)
        return err;
    f->map = map;
    f->limit = limit;
    f->usable = 0;
    f->setup_done = false;
    f->nreserved = 1;
    f->reserved[0] = (struct frames_range){0, FRAME_SIZE}; /* NULL is never a frame */
    return 0;
}

static void mark_free(struct frames *f, uint64_t start, uint64_t end)
{
    bitalloc_mark_free(&f->map, (size_t)(start / FRAME_SIZE), (size_t)((end - start) / FRAME_SIZE));
}

int frames_add_usable(struct frames *f, uint64_t start, uint64_t end)
{
    if (!f || start > end)
        return KE_INVAL;
    if (f->setup_done)
        return KE_BUSY;
    if (start > UINT64_MAX - PAGE_MASK)
        return 0; /* no whole page starts in range */
    uint64_t s = (start + PAGE_MASK) & ~PAGE_MASK;
    uint64_t e = end & ~PAGE_MASK;
    if (e > f->limit)
        e = f->limit;
    if (s >= e)
        return 0;
    uint64_t cur = s;
    for (size_t i = 0; i < f->nreserved && cur < e; i++) {
        const struct frames_range *r = &f->reserved[i];
        if (r->end <= cur)
            continue;
        if (r->start >= e)
            break;
        if (r->start > cur)
            mark_free(f, cur, r->start);
        cur = r->end;
    }
    if (cur < e)
        mark_free(f, cur, e);
    f->usable = bitalloc_free_units(&f->map); /* during setup nothing is allocated */
    return 0;
}

int frames_reserve(struct frames *f, uint64_t start, uint64_t end)
{
    if (!f || start > end)
        return KE_INVAL;
    if (f->setup_done)
        return KE_BUSY;
    uint64_t s = start & ~PAGE_MASK;
    uint64_t e = end > f->limit ? f->limit : (end + PAGE_MASK) & ~PAGE_MASK;
    if (s >= e)
        return 0; /* empty, or wholly above the limit where no frame exists */

    /* Ranges i..j-1 overlap or touch [s, e) and merge with it. */
    size_t n = f->nreserved, i = 0, j;
    while (i < n && f->reserved[i].end < s)
        i++;
    j = i;
    while (j < n && f->reserved[j].start <= e)
        j++;
    if (n - (j - i) + 1 > FRAMES_MAX_RESERVED)
        return KE_NOSPC;
    struct frames_range merged = {s, e};
    if (i < j) {
        if (f->reserved[i].start < merged.start)
            merged.start = f->reserved[i].start;
        if (f->reserved[j - 1].end > merged.end)
            merged.end = f->reserved[j - 1].end;
    }
    memmove(&f->reserved[i + 1], &f->reserved[j], (n - j) * sizeof(f->reserved[0]));
    f->reserved[i] = merged;
    f->nreserved = n - (j - i) + 1;

    bitalloc_mark_used(&f->map, (size_t)(s / FRAME_SIZE), (size_t)((e - s) / FRAME_SIZE));
    f->usable = bitalloc_free_units(&f->map);
    return 0;
}

int frames_alloc(struct frames *f, size_t count, size_t align_pages, uint64_t *phys_out)
{
    if (!f || !phys_out)
        return KE_INVAL;
    size_t first;
    int err = bitalloc_alloc(&f->map, count, align_pages, &first);
    if (err)
        return err;
    f->setup_done = true;
    *phys_out = (uint64_t)first * FRAME_SIZE;
    return 0;
}

static bool touches_reserved(const struct frames *f, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < f->nreserved; i++) {
        if (f->reserved[i].start < end && start < f->reserved[i].end)
            return true;
    }
    return false;
}

int frames_free(struct frames *f, uint64_t phys, size_t count)
{
    if (!f || count == 0 || (phys & PAGE_MASK) || phys >= f->limit ||
        count > (f->limit - phys) / FRAME_SIZE)
        return KE_INVAL;
    uint64_t end = phys + (uint64_t)count * FRAME_SIZE;
    if (touches_reserved(f, phys, end))
        return KE_INVAL;
    return bitalloc_free(&f->map, (size_t)(phys / FRAME_SIZE), count);
}

bool frames_is_free(const struct frames *f, uint64_t phys)
{
    if (!f || phys >= f->limit)
        return false;
    return bitalloc_is_free(&f->map, (size_t)(phys / FRAME_SIZE));
}

size_t frames_free_count(const struct frames *f)
{
    return f ? bitalloc_free_units(&f->map) : 0;
}

size_t frames_total_usable(const struct frames *f)
{
    return f ? f->usable : 0;
}
