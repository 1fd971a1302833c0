/* The loader's one sort (sections by file offset, symbols by hash or by address). Elements
 * compare by a uint64_t key inside them, inline (that matters more than anything else here),
 * and only elements with equal keys by the caller's tie-break.
 *
 * Input already in order costs one scan. Otherwise one distribution pass first: n / 4 buckets
 * (at most 4096) by the leading bits of key - min, through the caller's scratch. Hashes, file
 * offsets and addresses spread over their range, so most buckets hold a few elements. Then
 * each bucket by introsort: quicksort (pivot: a median of elements at the quartiles, Tukey's
 * ninther for long parts), insertion sort for short parts, and heapsort for any part that has
 * been split more than 2 log2(n) times, so that hostile input cannot force more than
 * O(n log n) comparisons. No recursion (an explicit stack, at most 64 deep because the smaller
 * part is always the one pushed). */
#include <keel/string.h>
#include "internal.h"

#define INSERTION_MAX 12

static inline void swap_elems(uint8_t *a, uint8_t *b, size_t size)
{
    /* Word-wise when the size allows it; __builtin_memcpy of a constant size becomes plain
     * unaligned moves, also in the freestanding kernel build. */
    size_t i = 0;
    if ((size & 7) == 0) {
        for (; i < size; i += 8) {
            uint64_t x, y;
            __builtin_memcpy(&x, a + i, 8);
            __builtin_memcpy(&y, b + i, 8);
            __builtin_memcpy(a + i, &y, 8);
            __builtin_memcpy(b + i, &x, 8);
        }
        return;
    }
    if ((size & 3) == 0) {
        for (; i < size; i += 4) {
            uint32_t x, y;
            __builtin_memcpy(&x, a + i, 4);
            __builtin_memcpy(&y, b + i, 4);
            __builtin_memcpy(a + i, &y, 4);
            __builtin_memcpy(b + i, &x, 4);
        }
        return;
    }
    for (; i < size; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* How to compare: by the uint64_t key at key_off, then by tie. */
struct sorter {
    size_t size, key_off;
    loader_cmp_fn tie;
    void *ctx;
};

#define AT(b, i) ((b) + (i)*s->size)

static inline uint64_t key_of(const struct sorter *s, const uint8_t *e)
{
    uint64_t k;
    __builtin_memcpy(&k, e + s->key_off, 8);
    return k;
}

static inline int compare(const struct sorter *s, const uint8_t *a, const uint8_t *b)
{
    uint64_t x = key_of(s, a), y = key_of(s, b);
    if (x != y)
        return x < y ? -1 : 1;
    return s->tie(a, b, s->ctx);
}

static void sift_down(const struct sorter *s, uint8_t *base, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && compare(s, AT(base, child), AT(base, child + 1)) < 0)
            child++;
        if (compare(s, AT(base, root), AT(base, child)) >= 0)
            return;
        swap_elems(AT(base, root), AT(base, child), s->size);
        root = child;
    }
}

static void heap_sort(const struct sorter *s, uint8_t *base, size_t n)
{
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(s, base, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        swap_elems(base, AT(base, end), s->size);
        sift_down(s, base, 0, end);
    }
}

/* Insertion sort by adjacent swaps: only ever used on runs of at most INSERTION_MAX. */
static void insertion_sort(const struct sorter *s, uint8_t *base, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && compare(s, AT(base, j - 1), AT(base, j)) > 0; j--)
            swap_elems(AT(base, j - 1), AT(base, j), s->size);
}

/* Index of the median of base[i], base[j], base[k]. */
static size_t median3(const struct sorter *s, uint8_t *base, size_t i, size_t j, size_t k)
{
    if (compare(s, AT(base, i), AT(base, j)) < 0) {
        if (compare(s, AT(base, j), AT(base, k)) < 0)
            return j;
        return compare(s, AT(base, i), AT(base, k)) < 0 ? k : i;
    }
    if (compare(s, AT(base, i), AT(base, k)) < 0)
        return i;
    return compare(s, AT(base, j), AT(base, k)) < 0 ? k : j;
}

/* Moves a pivot to the front: the median of three, or for long parts Tukey's ninther (the median
 * of three medians), which copes with the interleaved and organ-pipe orders tables come in. */
static void pivot_to_front(const struct sorter *s, uint8_t *base, size_t n)
{
    /* Quartiles rather than the ends: the ends are where the previous partition left its
     * swapped elements, and picking them makes the split of reversed input degenerate. */
    size_t q = n / 4, m = n / 2, p;
    if (n > 64) {
        size_t e = n / 8;
        size_t a = median3(s, base, q - e, q, q + e);
        size_t b = median3(s, base, m - e, m, m + e);
        size_t c = median3(s, base, m + q - e, m + q, m + q + e);
        p = median3(s, base, a, b, c);
    } else {
        p = median3(s, base, q, m, m + q);
    }
    swap_elems(base, AT(base, p), s->size);
}

/* Hoare partition around base[0]; returns the pivot's final index. Elements equal to the pivot
 * stop both scans, which keeps runs of equal keys balanced. */
static size_t partition(const struct sorter *s, uint8_t *base, size_t n)
{
    size_t i = 0, j = n;
    for (;;) {
        while (++i < n && compare(s, AT(base, i), base) < 0)
            ;
        while (compare(s, base, AT(base, --j)) < 0) /* stops at the pivot itself */
            ;
        if (i >= j)
            break;
        swap_elems(AT(base, i), AT(base, j), s->size);
    }
    swap_elems(base, AT(base, j), s->size);
    return j;
}

static bool is_sorted(const struct sorter *s, const uint8_t *base, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (compare(s, AT(base, i - 1), AT(base, i)) > 0)
            return false;
    return true;
}

/* A part still to sort. */
struct part {
    uint8_t *base;
    size_t n;
    unsigned depth;
};

/* Introsort of a part not known to be in order. */
static void quick_sort(const struct sorter *s, uint8_t *b, size_t n)
{
    unsigned depth = 0;
    for (size_t m = n; m > 1; m >>= 1)
        depth += 2;
    struct part stack[64];
    size_t top = 0;
    for (;;) {
        if (n <= INSERTION_MAX) {
            insertion_sort(s, b, n);
        } else if (depth == 0) {
            heap_sort(s, b, n);
        } else {
            depth--;
            pivot_to_front(s, b, n);
            size_t p = partition(s, b, n);
            uint8_t *rb = AT(b, p + 1);
            size_t ln = p, rn = n - p - 1;
            /* Push the larger part, go on with the smaller: the stack stays below log2(n). */
            if (ln < rn) {
                stack[top++] = (struct part){rb, rn, depth};
                n = ln;
            } else {
                stack[top++] = (struct part){b, ln, depth};
                b = rb;
                n = rn;
            }
            continue;
        }
        if (top == 0)
            return;
        top--;
        b = stack[top].base;
        n = stack[top].n;
        depth = stack[top].depth;
    }
}

/* Buckets of the distribution pass: 2 to 4 elements each on average, at most 2^12. */
static unsigned bucket_bits(size_t n)
{
    unsigned bits = 0;
    while (bits < 12 && ((size_t)4 << bits) <= n)
        bits++;
    return bits;
}

/* Where the bucket table starts in the scratch: after n elements, 8-aligned. */
static size_t buckets_at(size_t n, size_t size)
{
    return (n * size + 7) & ~(size_t)7;
}

size_t loader_sort_scratch(size_t n, size_t size)
{
    if (size == 0 || n > SIZE_MAX / 4 / size)
        return SIZE_MAX;
    return buckets_at(n, size) + ((size_t)sizeof(uint32_t) << bucket_bits(n));
}

static inline void copy_elem(uint8_t *dst, const uint8_t *src, size_t size)
{
    if ((size & 7) == 0) {
        for (size_t i = 0; i < size; i += 8)
            __builtin_memcpy(dst + i, src + i, 8);
        return;
    }
    memcpy(dst, src, size);
}

void loader_sort(void *base, size_t n, size_t size, size_t key_off, loader_cmp_fn tie, void *ctx,
                 void *scratch)
{
    const struct sorter st = {size, key_off, tie, ctx}, *s = &st;
    uint8_t *b = base, *tmp = scratch;
    if (n < 2 || is_sorted(s, b, n))
        return;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = key_of(s, AT(b, i));
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
    }
    unsigned bits = bucket_bits(n);
    if (bits == 0 || lo == hi || n > UINT32_MAX) {
        quick_sort(s, b, n);
        return;
    }
    /* Distribute by the leading bits of key - lo into the scratch, and back. */
    unsigned width = 64 - (unsigned)__builtin_clzll(hi - lo);
    unsigned shift = width > bits ? width - bits : 0;
    uint32_t *start = (uint32_t *)(tmp + buckets_at(n, size)), nb = 1u << bits;
    for (uint32_t d = 0; d < nb; d++)
        start[d] = 0;
    for (size_t i = 0; i < n; i++)
        start[(key_of(s, AT(b, i)) - lo) >> shift]++;
    uint32_t at = 0;
    for (uint32_t d = 0; d < nb; d++) {
        uint32_t c = start[d];
        start[d] = at;
        at += c;
    }
    for (size_t i = 0; i < n; i++)
        copy_elem(AT(tmp, start[(key_of(s, AT(b, i)) - lo) >> shift]++), AT(b, i), size);
    memcpy(b, tmp, n * size);
    /* start[d] is now the end of bucket d. A crowded bucket (keys bunched together, or chosen
     * by an adversary) costs what sorting it alone costs. */
    for (uint32_t d = 0, from = 0; d < nb; from = start[d++]) {
        uint32_t len = start[d] - from;
        if (len > 1 && !is_sorted(s, AT(b, from), len))
            quick_sort(s, AT(b, from), len);
    }
}
