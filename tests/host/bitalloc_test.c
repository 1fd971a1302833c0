/* bitalloc: edge cases (word boundaries, alignment, full map, exact fit, refused calls change
 * nothing), a randomized comparison against a byte-per-unit reference model, and a speed check
 * on a 6M-unit map. */
#include "check.h"
#include <keel/bitalloc.h>
#include <keel/errno.h>
#include <stdlib.h>
#include <time.h>

#define MAXW 64
static uint64_t words[MAXW];

/* Snapshot of an allocator's state, to prove refused calls change nothing. */
struct snap {
    uint64_t w[MAXW];
    struct bitalloc b;
};

static void take(struct snap *s, const struct bitalloc *b)
{
    memcpy(s->w, words, sizeof(words));
    s->b = *b;
}

static int same(const struct snap *s, const struct bitalloc *b)
{
    return memcmp(s->w, words, sizeof(words)) == 0 && memcmp(&s->b, b, sizeof(*b)) == 0;
}

static void test_init(void)
{
    struct bitalloc b;
    CHECK_EQ_INT(bitalloc_init(&b, NULL, 4, 100), KE_INVAL);
    CHECK_EQ_INT(bitalloc_init(&b, words, 1, 65), KE_INVAL); /* needs 2 words */
    CHECK_EQ_INT(bitalloc_init(NULL, words, 2, 65), KE_INVAL);
    memset(words, 0xff, sizeof(words));
    CHECK_EQ_INT(bitalloc_init(&b, words, 2, 65), 0);
    CHECK_EQ_U64(bitalloc_units(&b), 65);
    CHECK_EQ_U64(bitalloc_free_units(&b), 0); /* everything starts used */
    CHECK(!bitalloc_is_free(&b, 0));
    CHECK(!bitalloc_is_free(&b, 64));
    size_t first;
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 1, &first), KE_NOSPC);
    CHECK_EQ_INT(bitalloc_init(&b, words, 0, 0), 0); /* an empty map is valid */
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 1, &first), KE_NOSPC);
}

static void test_mark_ranges(void)
{
    struct bitalloc b;
    struct snap s;
    bitalloc_init(&b, words, MAXW, 100);
    CHECK_EQ_INT(bitalloc_mark_free(&b, 10, 20), 0);
    CHECK_EQ_U64(bitalloc_free_units(&b), 20);
    CHECK_EQ_INT(bitalloc_mark_free(&b, 20, 20), 0); /* overlap counts once */
    CHECK_EQ_U64(bitalloc_free_units(&b), 30);
    CHECK_EQ_INT(bitalloc_mark_used(&b, 0, 15), 0);
    CHECK_EQ_U64(bitalloc_free_units(&b), 25);
    CHECK(!bitalloc_is_free(&b, 14));
    CHECK(bitalloc_is_free(&b, 15));
    CHECK(bitalloc_is_free(&b, 39));
    CHECK(!bitalloc_is_free(&b, 40));

    take(&s, &b);
    CHECK_EQ_INT(bitalloc_mark_free(&b, 90, 11), KE_INVAL);
    CHECK_EQ_INT(bitalloc_mark_free(&b, 101, 0), KE_INVAL);
    CHECK_EQ_INT(bitalloc_mark_free(&b, 1, SIZE_MAX), KE_INVAL);
    CHECK_EQ_INT(bitalloc_mark_used(&b, 99, 2), KE_INVAL);
    CHECK_EQ_INT(bitalloc_mark_used(&b, SIZE_MAX, 2), KE_INVAL);
    CHECK(same(&s, &b));
    CHECK_EQ_INT(bitalloc_mark_free(&b, 100, 0), 0); /* empty range at the end is fine */
    CHECK_EQ_INT(bitalloc_mark_free(&b, 0, 100), 0);
    CHECK_EQ_U64(bitalloc_free_units(&b), 100);
    CHECK(!bitalloc_is_free(&b, 100));
    CHECK(!bitalloc_is_free(&b, SIZE_MAX));
    CHECK(words[1] >> 36 == 0); /* bits past the end stay clear */
}

static void test_alloc_word_boundaries(void)
{
    struct bitalloc b;
    size_t first = 12345;
    bitalloc_init(&b, words, MAXW, 300);
    bitalloc_mark_free(&b, 60, 10); /* 60..69 crosses the first word boundary */
    CHECK_EQ_INT(bitalloc_alloc(&b, 11, 1, &first), KE_NOSPC);
    CHECK_EQ_INT(bitalloc_alloc(&b, 10, 1, &first), 0);
    CHECK_EQ_U64(first, 60);
    CHECK_EQ_U64(bitalloc_free_units(&b), 0);
    CHECK(!bitalloc_is_free(&b, 63) && !bitalloc_is_free(&b, 64));

    /* A run spanning three words. */
    bitalloc_mark_free(&b, 100, 150);
    CHECK_EQ_INT(bitalloc_alloc(&b, 150, 1, &first), 0);
    CHECK_EQ_U64(first, 100);
    CHECK_EQ_INT(bitalloc_free(&b, 100, 150), 0);
    CHECK_EQ_U64(bitalloc_free_units(&b), 150);

    /* Exact fit: the first hole too small, the second exactly right. */
    bitalloc_init(&b, words, MAXW, 300);
    bitalloc_mark_free(&b, 10, 5);
    bitalloc_mark_free(&b, 127, 9);
    bitalloc_mark_free(&b, 200, 50);
    CHECK_EQ_INT(bitalloc_alloc(&b, 9, 1, &first), 0);
    CHECK_EQ_U64(first, 127);
    CHECK_EQ_INT(bitalloc_alloc(&b, 5, 1, &first), 0);
    CHECK_EQ_U64(first, 10);
    CHECK_EQ_INT(bitalloc_alloc(&b, 51, 1, &first), KE_NOSPC);
    CHECK_EQ_INT(bitalloc_alloc(&b, 50, 1, &first), 0);
    CHECK_EQ_U64(first, 200);
}

static void test_alloc_alignment(void)
{
    struct bitalloc b;
    size_t first = 0;
    bitalloc_init(&b, words, MAXW, 1000);
    bitalloc_mark_free(&b, 1, 999);
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 64, &first), 0);
    CHECK_EQ_U64(first, 64);
    CHECK_EQ_INT(bitalloc_alloc(&b, 3, 1, &first), 0);
    CHECK_EQ_U64(first, 1);
    CHECK_EQ_INT(bitalloc_alloc(&b, 64, 64, &first), 0);
    CHECK_EQ_U64(first, 128); /* 64 is taken */
    CHECK_EQ_INT(bitalloc_alloc(&b, 2, 8, &first), 0);
    CHECK_EQ_U64(first, 8);
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 512, &first), 0);
    CHECK_EQ_U64(first, 512);
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 1024, &first), KE_NOSPC); /* only 0 is aligned, used */
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, (size_t)1 << 63, &first), KE_NOSPC);
    CHECK_EQ_INT(bitalloc_alloc(&b, 0, 1, &first), KE_INVAL);
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 0, &first), KE_INVAL);
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 3, &first), KE_INVAL);
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 1, NULL), KE_INVAL);
    CHECK_EQ_INT(bitalloc_alloc(&b, SIZE_MAX, 1, &first), KE_NOSPC);
    /* Phase: (first + 3) % 8 == 0. */
    CHECK_EQ_INT(bitalloc_alloc_phase(&b, 2, 8, 3, &first), 0);
    CHECK_EQ_U64(first, 5);
    CHECK_EQ_INT(bitalloc_alloc_phase(&b, 1, 8, 3 + 8 * 5, &first), 0); /* phase taken mod 8 */
    CHECK_EQ_U64(first, 13);
}

static void test_full_map_and_free(void)
{
    struct bitalloc b;
    struct snap s;
    size_t first = 1;
    bitalloc_init(&b, words, MAXW, 130);
    bitalloc_mark_free(&b, 0, 130);
    CHECK_EQ_INT(bitalloc_alloc(&b, 131, 1, &first), KE_NOSPC);
    CHECK_EQ_INT(bitalloc_alloc(&b, 130, 1, &first), 0);
    CHECK_EQ_U64(first, 0);
    CHECK_EQ_U64(bitalloc_free_units(&b), 0);
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 1, &first), KE_NOSPC);
    CHECK(bitalloc_range_used(&b, 0, 130));

    CHECK_EQ_INT(bitalloc_free(&b, 10, 20), 0);
    CHECK(!bitalloc_range_used(&b, 0, 130));
    take(&s, &b);
    CHECK_EQ_INT(bitalloc_free(&b, 10, 20), KE_INVAL);  /* double free */
    CHECK_EQ_INT(bitalloc_free(&b, 29, 2), KE_INVAL);   /* half already free */
    CHECK_EQ_INT(bitalloc_free(&b, 0, 11), KE_INVAL);   /* last unit already free */
    CHECK_EQ_INT(bitalloc_free(&b, 120, 11), KE_INVAL); /* past the end */
    CHECK_EQ_INT(bitalloc_free(&b, 40, 0), KE_INVAL);
    CHECK_EQ_INT(bitalloc_free(&b, SIZE_MAX, 1), KE_INVAL);
    CHECK(same(&s, &b));
    CHECK_EQ_U64(bitalloc_free_units(&b), 20);

    /* Freed space is reused, lowest first. */
    CHECK_EQ_INT(bitalloc_alloc(&b, 5, 1, &first), 0);
    CHECK_EQ_U64(first, 10);
    CHECK_EQ_INT(bitalloc_free(&b, 0, 10), 0);
    CHECK_EQ_INT(bitalloc_alloc(&b, 1, 1, &first), 0);
    CHECK_EQ_U64(first, 0);
}

/* ---- randomized comparison with a byte-per-unit model ---- */

static unsigned char model[MAXW * 64];
static size_t model_n;

static int model_range_ok(size_t first, size_t count)
{
    return first <= model_n && count <= model_n - first;
}

static int model_alloc(size_t count, size_t align, size_t phase, size_t *out)
{
    if (count == 0 || align == 0 || (align & (align - 1)))
        return KE_INVAL;
    for (size_t s = 0; s + count <= model_n; s++) {
        if ((s + phase) % align)
            continue;
        size_t k = 0;
        while (k < count && model[s + k])
            k++;
        if (k == count) {
            memset(model + s, 0, count);
            *out = s;
            return 0;
        }
    }
    return KE_NOSPC;
}

static int model_free(size_t first, size_t count)
{
    if (count == 0 || !model_range_ok(first, count))
        return KE_INVAL;
    for (size_t i = 0; i < count; i++)
        if (model[first + i])
            return KE_INVAL;
    memset(model + first, 1, count);
    return 0;
}

static size_t rnd(size_t n)
{
    return n ? (size_t)rand() % n : 0;
}

static int matches_model(const struct bitalloc *b)
{
    size_t nfree = 0;
    for (size_t i = 0; i < model_n; i++) {
        if (bitalloc_is_free(b, i) != (model[i] != 0))
            return 0;
        nfree += model[i];
    }
    return nfree == bitalloc_free_units(b);
}

static void test_random_model(void)
{
    srand(12345);
    int mismatches = 0, ops = 0;
    for (int round = 0; round < 40; round++) {
        struct bitalloc b;
        model_n = 1 + rnd(MAXW * 64);
        bitalloc_init(&b, words, MAXW, model_n);
        memset(model, 0, sizeof(model));
        size_t live_first[64], live_count[64];
        int nlive = 0;
        for (int op = 0; op < 1500; op++, ops++) {
            int kind = (int)rnd(10);
            size_t first = rnd(model_n + 10), count = rnd(kind < 2 ? model_n / 4 + 2 : 40);
            int r1, r2;
            if (kind == 0) {
                r1 = bitalloc_mark_free(&b, first, count);
                r2 = model_range_ok(first, count) ? 0 : KE_INVAL;
                if (!r2)
                    memset(model + first, 1, count);
            } else if (kind == 1) {
                r1 = bitalloc_mark_used(&b, first, count);
                r2 = model_range_ok(first, count) ? 0 : KE_INVAL;
                if (!r2)
                    memset(model + first, 0, count);
            } else if (kind <= 5) {
                size_t align = (size_t)1 << rnd(8), phase = rnd(300), o1 = 0, o2 = 0;
                count = 1 + rnd(kind == 5 ? 300 : 20);
                r1 = bitalloc_alloc_phase(&b, count, align, phase, &o1);
                r2 = model_alloc(count, align, phase % align, &o2);
                if (r1 != r2 || (r1 == 0 && o1 != o2))
                    mismatches++;
                if (r1 == 0 && nlive < 64) {
                    live_first[nlive] = o1;
                    live_count[nlive++] = count;
                }
            } else if (kind <= 7 && nlive > 0) {
                int i = (int)rnd((size_t)nlive); /* free a real allocation (maybe already freed) */
                r1 = bitalloc_free(&b, live_first[i], live_count[i]);
                r2 = model_free(live_first[i], live_count[i]);
                live_first[i] = live_first[--nlive];
                live_count[i] = live_count[nlive];
            } else {
                r1 = bitalloc_free(&b, first, count);
                r2 = model_free(first, count);
            }
            if (r1 != r2 || !matches_model(&b)) {
                if (mismatches++ < 5)
                    fprintf(stderr, "model mismatch: round %d op %d kind %d (%d vs %d)\n", round,
                            op, kind, r1, r2);
            }
        }
    }
    CHECK_EQ_INT(mismatches, 0);
    CHECK_EQ_INT(ops, 40 * 1500);
}

/* ---- speed on a 6M-unit map ---- */

#define BIG_UNITS (6u * 1024 * 1024)
#define TOP_UNITS (1563u * 64) /* a 64-aligned free area at the top */
#define TOP_START (BIG_UNITS - TOP_UNITS)
static uint64_t big_words[BITALLOC_WORDS(BIG_UNITS)];

static void test_big_map_speed(void)
{
    struct bitalloc b;
    CHECK_EQ_INT(bitalloc_init(&b, big_words, BITALLOC_WORDS(BIG_UNITS), BIG_UNITS), 0);
    /* Single free units every 1000 units (too small for any request) and one large free area at
     * the top: every allocation must skip ~6000 holes and ~98K words. */
    size_t holes = 0;
    for (size_t u = 1000; u < TOP_START; u += 1000, holes++)
        bitalloc_mark_free(&b, u, 1);
    bitalloc_mark_free(&b, TOP_START, TOP_UNITS);
    clock_t t0 = clock();
    int bad = 0;
    for (size_t i = 0; i < 1000; i++) {
        size_t first;
        if (bitalloc_alloc(&b, 64, 64, &first) != 0 || first != TOP_START + 64 * i ||
            (first % 64) != 0)
            bad++;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK_EQ_INT(bad, 0);
    printf("1000 allocations over a %u-unit map: %.3f s\n", BIG_UNITS, secs);
    CHECK(secs < 5.0); /* a bit-at-a-time scan takes far longer, even without sanitizers */
    /* The holes were skipped, not consumed. */
    CHECK(bitalloc_is_free(&b, 1000));
    CHECK_EQ_U64(bitalloc_free_units(&b), holes + TOP_UNITS - 64000);
}

int main(void)
{
    test_init();
    test_mark_ranges();
    test_alloc_word_boundaries();
    test_alloc_alignment();
    test_full_map_and_free();
    test_random_model();
    test_big_map_speed();
    return check_report("bitalloc_test");
}
