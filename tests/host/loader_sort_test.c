/* The loader's one sort (loader/sort.c), alone: every input shape the loader meets (hashes,
 * file offsets in interleaved runs, addresses already in order) and hostile ones (every key
 * equal, keys bunched into one bucket, extremes), in several element layouts. The result must
 * be in (key, index) order whatever order the elements came in, and with every key equal (all
 * comparisons go to the tie-break, so they can be counted) stay within O(n log n). */
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* A layout: element size and where its key and index lie. */
struct layout {
    size_t size, key_off, idx_off;
};
static const struct layout layouts[] = {
    {16, 0, 8},  /* hash first (duplicate check, batch exports) */
    {24, 0, 16}, /* start, end, index (overlap ranges) */
    {32, 8, 24}, /* key inside (address table) */
    {12, 4, 0},  /* a 4-byte multiple */
    {13, 1, 9},  /* neither: byte-wise swaps */
};

static long tie_calls;

static uint64_t key_at(const struct layout *l, const uint8_t *e)
{
    uint64_t k;
    memcpy(&k, e + l->key_off, 8);
    return k;
}

static uint32_t idx_at(const struct layout *l, const uint8_t *e)
{
    uint32_t i;
    memcpy(&i, e + l->idx_off, 4);
    return i;
}

static int tie_by_index(const void *a, const void *b, void *ctx)
{
    const struct layout *l = ctx;
    tie_calls++;
    uint32_t x = idx_at(l, a), y = idx_at(l, b);
    return x < y ? -1 : x > y;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

enum shape {
    RANDOM,      /* hashes */
    FEW_KEYS,    /* many ties */
    ALL_EQUAL,   /* only the tie-break decides */
    SORTED,      /* addresses filled in order */
    REVERSED,    /* descending */
    INTERLEAVED, /* two ascending runs dealt alternately (code and its relocations) */
    ORGAN_PIPE,  /* up then down */
    BUNCHED,     /* all in one bucket but one far outlier */
    EXTREMES,    /* 0 and UINT64_MAX mixed with random */
    NSHAPES
};

static uint64_t key_for(enum shape s, size_t i, size_t n)
{
    switch (s) {
    case RANDOM:
        return next_random();
    case FEW_KEYS:
        return next_random() % 3;
    case ALL_EQUAL:
        return 42;
    case SORTED:
        return 0xffffffff80000000ull + 16 * i;
    case REVERSED:
        return (uint64_t)(n - i) * 8;
    case INTERLEAVED:
        return i % 2 ? 0x10000 + 24 * i : 0x80 + 16 * i;
    case ORGAN_PIPE:
        return i < n / 2 ? i : n - i;
    case BUNCHED:
        return i == n / 2 ? UINT64_MAX : 1000 + next_random() % 64;
    default:
        return i % 3 == 0 ? 0 : i % 3 == 1 ? UINT64_MAX : next_random();
    }
}

/* Fills n elements (index i at position i), then shuffles them when asked. */
static void fill(const struct layout *l, uint8_t *a, size_t n, enum shape s, bool shuffle)
{
    memset(a, 0xa5, n * l->size);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = key_for(s, i, n);
        uint32_t idx = (uint32_t)i;
        memcpy(a + i * l->size + l->key_off, &k, 8);
        memcpy(a + i * l->size + l->idx_off, &idx, 4);
    }
    for (size_t i = n; shuffle && i > 1; i--) {
        size_t j = next_random() % i;
        uint8_t t[32];
        memcpy(t, a + (i - 1) * l->size, l->size);
        memcpy(a + (i - 1) * l->size, a + j * l->size, l->size);
        memcpy(a + j * l->size, t, l->size);
    }
}

/* In (key, index) order, and each index exactly once. */
static bool in_order(const struct layout *l, const uint8_t *a, size_t n)
{
    bool *seen = calloc(n + 1, 1);
    bool ok = seen != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        uint32_t idx = idx_at(l, a + i * l->size);
        ok = idx < n && !seen[idx];
        if (ok)
            seen[idx] = true;
        if (ok && i > 0) {
            uint64_t kp = key_at(l, a + (i - 1) * l->size), k = key_at(l, a + i * l->size);
            ok = kp < k || (kp == k && idx_at(l, a + (i - 1) * l->size) < idx);
        }
    }
    free(seen);
    return ok;
}

static void sort(const struct layout *l, uint8_t *a, size_t n)
{
    size_t scratch = loader_sort_scratch(n, l->size);
    uint8_t *tmp = malloc(scratch);
    CHECK(tmp != NULL);
    loader_sort(a, n, l->size, l->key_off, tie_by_index, (void *)l, tmp);
    free(tmp);
}

static void test_shapes(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 5, 12, 13, 64, 65, 1000, 4099, 20000};
    for (size_t li = 0; li < sizeof(layouts) / sizeof(layouts[0]); li++) {
        const struct layout *l = &layouts[li];
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            size_t n = sizes[si];
            uint8_t *a = malloc(n * l->size + 1), *b = malloc(n * l->size + 1);
            for (int s = 0; s < NSHAPES; s++) {
                for (int shuffle = 0; shuffle < 2; shuffle++) {
                    uint64_t seed = rng;
                    fill(l, a, n, (enum shape)s, shuffle);
                    sort(l, a, n);
                    if (!in_order(l, a, n)) {
                        fprintf(stderr, "  layout %zu, n %zu, shape %d, shuffled %d\n", li, n, s,
                                shuffle);
                        CHECK(!"sorted in (key, index) order");
                    }
                    /* The same elements in another order: the same result, byte for byte. */
                    rng = seed;
                    fill(l, b, n, (enum shape)s, shuffle);
                    for (size_t i = n; i > 1; i--) {
                        size_t j = next_random() % i;
                        uint8_t t[32];
                        memcpy(t, b + (i - 1) * l->size, l->size);
                        memcpy(b + (i - 1) * l->size, b + j * l->size, l->size);
                        memcpy(b + j * l->size, t, l->size);
                    }
                    sort(l, b, n);
                    CHECK(n == 0 || memcmp(a, b, n * l->size) == 0);
                }
            }
            free(a);
            free(b);
        }
    }
}

/* With every key equal each comparison is a tie-break call: count them. */
static void test_comparisons_bounded(void)
{
    const struct layout *l = &layouts[1];
    static const size_t sizes[] = {100, 1000, 20000};
    static const enum shape shapes[] = {ALL_EQUAL, FEW_KEYS};
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t n = sizes[si], log2n = 0;
        while (((size_t)1 << log2n) < n)
            log2n++;
        uint8_t *a = malloc(n * l->size);
        for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
            for (int shuffle = 0; shuffle < 2; shuffle++) {
                fill(l, a, n, shapes[k], shuffle);
                tie_calls = 0;
                sort(l, a, n);
                CHECK(in_order(l, a, n));
                if (tie_calls > (long)(4 * n * log2n)) {
                    fprintf(stderr, "  n %zu, shape %d: %ld tie-breaks\n", n, shapes[k], tie_calls);
                    CHECK(!"O(n log n) comparisons");
                }
            }
        }
        free(a);
    }
}

static void test_scratch_size(void)
{
    CHECK(loader_sort_scratch(SIZE_MAX / 2, 16) == SIZE_MAX);
    CHECK(loader_sort_scratch(10, 0) == SIZE_MAX);
    CHECK(loader_sort_scratch(1000, 24) >= 1000 * 24);
}

int main(void)
{
    test_shapes();
    test_comparisons_bounded();
    test_scratch_size();
    return check_report("loader_sort_test");
}
