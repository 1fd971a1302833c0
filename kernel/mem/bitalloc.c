/* Bitmap allocator: one bit per unit, set = free. Searches skip whole words, so finding a run in
 * a map of millions of units touches each word at most a couple of times. */
#include <keel/bitalloc.h>
#include <keel/errno.h>

#define WORD_BITS 64

static size_t words_needed(size_t nunits)
{
    return nunits / WORD_BITS + (nunits % WORD_BITS != 0);
}

static bool range_ok(const struct bitalloc *b, size_t first, size_t count)
{
    return first <= b->nunits && count <= b->nunits - first;
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(unsigned lo, unsigned hi)
{
    uint64_t upper = hi == WORD_BITS ? ~(uint64_t)0 : ((uint64_t)1 << hi) - 1;
    return upper & (~(uint64_t)0 << lo);
}

enum { OP_FREE = 1, OP_USE = -1 };

/* Walks [first, end) a word at a time: sets the bits (OP_FREE) or clears them (OP_USE);
 * returns how many of them were free before. */
static size_t apply_range(struct bitalloc *b, size_t first, size_t end, int op)
{
    size_t was_free = 0;
    size_t i = first;
    while (i < end) {
        size_t wi = i / WORD_BITS;
        unsigned lo = (unsigned)(i % WORD_BITS);
        size_t left = end - i;
        unsigned hi = left >= (size_t)(WORD_BITS - lo) ? WORD_BITS : lo + (unsigned)left;
        uint64_t m = word_mask(lo, hi);
        was_free += (size_t)__builtin_popcountll(b->words[wi] & m);
        if (op > 0)
            b->words[wi] |= m;
        else if (op < 0)
            b->words[wi] &= ~m;
        i = wi * WORD_BITS + hi;
    }
    return was_free;
}

/* First unit in [from, limit) whose bit equals want_free, or limit if there is none. */
static size_t find_bit(const struct bitalloc *b, size_t from, size_t limit, bool want_free)
{
    if (from >= limit)
        return limit;
    size_t wi = from / WORD_BITS;
    uint64_t flip = want_free ? 0 : ~(uint64_t)0;
    uint64_t w = (b->words[wi] ^ flip) & (~(uint64_t)0 << (from % WORD_BITS));
    for (;;) {
        if (w) {
            size_t idx = wi * WORD_BITS + (size_t)__builtin_ctzll(w);
            return idx < limit ? idx : limit;
        }
        wi++;
        if (wi >= b->nwords || wi * WORD_BITS >= limit)
            return limit;
        w = b->words[wi] ^ flip;
    }
}

int bitalloc_init(struct bitalloc *b, uint64_t *words, size_t nwords, size_t nunits)
{
    size_t need = words_needed(nunits);
    if (!b || (!words && need > 0) || nwords < need)
        return KE_INVAL;
    for (size_t i = 0; i < need; i++)
        words[i] = 0;
    b->words = words;
    b->nwords = need;
    b->nunits = nunits;
    b->nfree = 0;
    b->hint = 0;
    return 0;
}

int bitalloc_mark_free(struct bitalloc *b, size_t first, size_t count)
{
    if (!b || !range_ok(b, first, count))
        return KE_INVAL;
    if (count == 0)
        return 0;
    b->nfree += count - apply_range(b, first, first + count, OP_FREE);
    if (first < b->hint)
        b->hint = first;
    return 0;
}

int bitalloc_mark_used(struct bitalloc *b, size_t first, size_t count)
{
    if (!b || !range_ok(b, first, count))
        return KE_INVAL;
    b->nfree -= apply_range(b, first, first + count, OP_USE);
    return 0;
}

int bitalloc_alloc_phase(struct bitalloc *b, size_t count, size_t align_units, size_t phase,
                         size_t *first_out)
{
    if (!b || !first_out || count == 0 || align_units == 0 || (align_units & (align_units - 1)))
        return KE_INVAL;
    if (count > b->nfree)
        return KE_NOSPC;
    size_t amask = align_units - 1;
    phase &= amask;
    size_t pos = b->hint;
    bool first_scan = true;
    for (;;) {
        size_t s = find_bit(b, pos, b->nunits, true);
        if (s >= b->nunits)
            return KE_NOSPC;
        if (first_scan) {
            b->hint = s; /* nothing below the first free unit is free */
            first_scan = false;
        }
        size_t r = ((s & amask) + phase) & amask;
        size_t add = r ? align_units - r : 0;
        if (add > b->nunits - s)
            return KE_NOSPC;
        s += add;
        if (count > b->nunits - s)
            return KE_NOSPC;
        size_t e = find_bit(b, s, s + count, false);
        if (e == s + count) {
            apply_range(b, s, s + count, OP_USE);
            b->nfree -= count;
            if (s == b->hint)
                b->hint = s + count;
            *first_out = s;
            return 0;
        }
        pos = e + 1; /* e is used: no run can start at or before it */
    }
}

int bitalloc_alloc(struct bitalloc *b, size_t count, size_t align_units, size_t *first_out)
{
    return bitalloc_alloc_phase(b, count, align_units, 0, first_out);
}

int bitalloc_free(struct bitalloc *b, size_t first, size_t count)
{
    if (!b || count == 0 || !range_ok(b, first, count))
        return KE_INVAL;
    if (find_bit(b, first, first + count, true) != first + count)
        return KE_INVAL; /* part of the range is already free: double free */
    apply_range(b, first, first + count, OP_FREE);
    b->nfree += count;
    if (first < b->hint)
        b->hint = first;
    return 0;
}

bool bitalloc_is_free(const struct bitalloc *b, size_t unit)
{
    if (!b || unit >= b->nunits)
        return false;
    return (b->words[unit / WORD_BITS] >> (unit % WORD_BITS)) & 1;
}

bool bitalloc_range_used(const struct bitalloc *b, size_t first, size_t count)
{
    if (!b || !range_ok(b, first, count))
        return false;
    return find_bit(b, first, first + count, true) == first + count;
}

size_t bitalloc_free_units(const struct bitalloc *b)
{
    return b ? b->nfree : 0;
}

size_t bitalloc_units(const struct bitalloc *b)
{
    return b ? b->nunits : 0;
}
