/* Unit tests for the owner-tracked heap (kernel/mem/heap.c), on a page source backed by
 * aligned_alloc that counts pages and can be told to fail or to misbehave. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ---- a counting page source ---- */

struct test_pages {
    long pages_out;  /* pages currently handed out */
    long calls;      /* alloc_pages calls */
    long fail_after; /* < 0: never fail; else this many more successes, then NULL */
    bool misalign;   /* hand out page + 16 (the heap must refuse it) */
    long bad_frees;  /* free_pages with a size that does not match */
    struct {
        void *p;
        size_t n;
    } live[512];
};

static void *tp_alloc(void *ctx, size_t n)
{
    struct test_pages *tp = ctx;
    tp->calls++;
    if (tp->fail_after == 0)
        return NULL;
    if (tp->fail_after > 0)
        tp->fail_after--;
    char *p = aligned_alloc(HEAP_PAGE_SIZE, n * HEAP_PAGE_SIZE);
    if (!p)
        return NULL;
    if (tp->misalign)
        p += 16;
    for (int i = 0; i < 512; i++) {
        if (!tp->live[i].p) {
            tp->live[i].p = p;
            tp->live[i].n = n;
            tp->pages_out += (long)n;
            return p;
        }
    }
    free(p);
    return NULL;
}

static void tp_free(void *ctx, void *p, size_t n)
{
    struct test_pages *tp = ctx;
    for (int i = 0; i < 512; i++) {
        if (tp->live[i].p == p) {
            if (tp->live[i].n != n)
                tp->bad_frees++;
            tp->live[i].p = NULL;
            tp->pages_out -= (long)tp->live[i].n;
            free((char *)p - ((uintptr_t)p % HEAP_PAGE_SIZE));
            return;
        }
    }
    tp->bad_frees++;
}

static struct test_pages tp;
static struct heap H;

static void setup(void)
{
    struct heap_page_source src = {tp_alloc, tp_free, &tp};
    memset(&tp, 0, sizeof(tp));
    tp.fail_after = -1;
    CHECK_EQ_INT(heap_init(&H, &src), 0);
}

static void teardown(void)
{
    CHECK_EQ_INT(heap_check(&H), 0);
    heap_destroy(&H);
    CHECK_EQ_INT(tp.pages_out, 0);
    CHECK_EQ_INT(tp.bad_frees, 0);
}

#define CHECK_HEAP()                                                                               \
    do {                                                                                           \
        int check_r_ = heap_check(&H);                                                             \
        CHECK_EQ_INT(check_r_, 0);                                                                 \
        if (check_r_)                                                                              \
            fprintf(stderr, "    heap_check: %s\n", heap_check_error(&H));                         \
    } while (0)

static void fill(void *p, size_t n, unsigned seed)
{
    unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)(seed + i * 7);
}

static bool filled(const void *p, size_t n, unsigned seed)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != (unsigned char)(seed + i * 7))
            return false;
    return true;
}

static size_t in_use(void)
{
    size_t b;
    heap_totals(&H, &b, NULL, NULL);
    return b;
}

static struct heap_owner_stats stats(owner_t o)
{
    struct heap_owner_stats st;
    memset(&st, 0xff, sizeof(st));
    CHECK_EQ_INT(heap_owner_stats(&H, o, &st), 0);
    return st;
}

/* ---- tests ---- */

static void test_init_and_args(void)
{
    struct heap_page_source src = {tp_alloc, tp_free, &tp};
    struct heap_page_source no_free = {tp_alloc, NULL, &tp};
    CHECK_EQ_INT(heap_init(NULL, &src), KE_INVAL);
    CHECK_EQ_INT(heap_init(&H, NULL), KE_INVAL);
    CHECK_EQ_INT(heap_init(&H, &no_free), KE_INVAL);

    setup();
    struct heap_owner_stats st;
    CHECK(heap_alloc(&H, 0, 0, 1) == NULL); /* no zero-sized blocks */
    CHECK(heap_alloc(&H, 16, 3, 1) == NULL);
    CHECK(heap_alloc(&H, 16, 8192, 1) == NULL);
    CHECK(heap_alloc(&H, SIZE_MAX, 0, 1) == NULL);
    CHECK(heap_alloc(&H, HEAP_MAX_REQUEST + 1, 0, 1) == NULL);
    CHECK(heap_alloc(&H, 16, 0, HEAP_OWNER_NONE) == NULL);
    CHECK(heap_alloc(NULL, 16, 0, 1) == NULL);
    /* bad arguments change nothing: no owner record, no pages */
    CHECK_EQ_INT(heap_owner_stats(&H, 1, &st), KE_NOENT);
    CHECK_EQ_INT(tp.calls, 0);
    CHECK_EQ_INT(heap_owner_stats(&H, 1, NULL), KE_INVAL);
    CHECK_EQ_INT(heap_set_quota(&H, HEAP_OWNER_NONE, 5), KE_INVAL);
    CHECK_EQ_INT(heap_transfer(&H, NULL, 1), KE_FAULT);
    CHECK_EQ_U64(heap_owner_of(&H, NULL), HEAP_OWNER_NONE);
    CHECK_EQ_U64(heap_usable_size(&H, NULL), 0);
    heap_free(&H, NULL); /* fine, and not a bad free */
    CHECK_EQ_U64(heap_bad_frees(&H), 0);
    CHECK_HEAP();
    teardown();
}

static void test_alignment(void)
{
    static const size_t sizes[] = {1, 3, 15, 17, 100, 999, 4095, 4097, 20000};
    void *ptrs[13][9];
    setup();
    for (int l = 0; l <= 12; l++) {
        size_t align = (size_t)1 << l;
        for (int s = 0; s < 9; s++) {
            void *p = heap_alloc(&H, sizes[s], align, (owner_t)l);
            ptrs[l][s] = p;
            CHECK(p != NULL);
            if (!p)
                continue;
            CHECK_EQ_U64((uintptr_t)p % align, 0);
            CHECK_EQ_U64((uintptr_t)p % 16, 0);
            CHECK(heap_usable_size(&H, p) >= sizes[s]);
            CHECK_EQ_U64(heap_owner_of(&H, p), l);
            fill(p, sizes[s], (unsigned)(l * 9 + s));
        }
        CHECK_HEAP();
    }
    void *d = heap_alloc(&H, 5, 0, 99); /* 0 = default alignment 16 */
    CHECK(d && (uintptr_t)d % 16 == 0);
    heap_free(&H, d);
    for (int l = 0; l <= 12; l++)
        for (int s = 0; s < 9; s++) {
            CHECK(filled(ptrs[l][s], sizes[s], (unsigned)(l * 9 + s)));
            heap_free(&H, ptrs[l][s]);
        }
    CHECK_HEAP();
    CHECK_EQ_U64(in_use(), 0);
    CHECK_EQ_INT(tp.pages_out, 0); /* every arena went back */

    /* a big block gets its own, bigger arena, and gives it back */
    void *big = heap_alloc(&H, 3 << 20, 4096, 1);
    CHECK(big && (uintptr_t)big % 4096 == 0);
    CHECK(tp.pages_out >= (3 << 20) / 4096);
    if (big)
        memset(big, 0xab, 3 << 20);
    heap_free(&H, big);
    CHECK_EQ_INT(tp.pages_out, 0);
    teardown();
}

static void test_accounting(void)
{
    setup();
    void *a = heap_alloc(&H, 10, 0, 5);
    void *b = heap_alloc(&H, 100, 0, 5);
    void *c = heap_alloc(&H, 33, 64, 5);
    void *x = heap_alloc(&H, 1, 0, OWNER_CORE);
    CHECK(a && b && c && x);
    struct heap_owner_stats st = stats(5);
    CHECK_EQ_U64(st.bytes_in_use, 16 + 112 + 48); /* charge = request rounded up to 16 */
    CHECK_EQ_U64(st.peak_bytes, 176);
    CHECK_EQ_U64(st.allocations, 3);
    CHECK_EQ_U64(st.total_allocs, 3);
    CHECK_EQ_U64(st.failed_allocs, 0);
    CHECK_EQ_U64(stats(OWNER_CORE).bytes_in_use, 16);
    size_t bytes, pages, owners;
    heap_totals(&H, &bytes, &pages, &owners);
    CHECK_EQ_U64(bytes, 192);
    CHECK_EQ_U64(owners, 2);
    CHECK_EQ_U64(pages, (size_t)tp.pages_out * HEAP_PAGE_SIZE);
    CHECK_HEAP();

    heap_free(&H, b);
    st = stats(5);
    CHECK_EQ_U64(st.bytes_in_use, 64);
    CHECK_EQ_U64(st.peak_bytes, 176); /* peak stays */
    CHECK_EQ_U64(st.allocations, 2);
    void *d = heap_alloc(&H, 200, 0, 5);
    CHECK(d != NULL);
    st = stats(5);
    CHECK_EQ_U64(st.bytes_in_use, 64 + 208);
    CHECK_EQ_U64(st.peak_bytes, 272);
    CHECK_EQ_U64(st.total_allocs, 4);

    /* an owner that holds nothing keeps its record (readable) until the slot is needed */
    heap_free(&H, a);
    heap_free(&H, c);
    heap_free(&H, d);
    st = stats(5);
    CHECK_EQ_U64(st.bytes_in_use, 0);
    CHECK_EQ_U64(st.allocations, 0);
    CHECK_EQ_U64(st.peak_bytes, 272);
    heap_totals(&H, &bytes, NULL, &owners);
    CHECK_EQ_U64(owners, 1);
    CHECK_EQ_INT(heap_owner_stats(&H, 77, &st), KE_NOENT);
    heap_free(&H, x);
    CHECK_HEAP();
    teardown();
}

struct visit {
    int n;
    size_t bytes;
    bool saw[4];
};

static int visit_fn(void *ctx, owner_t o, const struct heap_owner_stats *st)
{
    struct visit *v = ctx;
    v->n++;
    v->bytes += st->bytes_in_use;
    if (o < 4)
        v->saw[o] = true;
    return o == 1000 ? 42 : 0;
}

static void test_for_each_owner(void)
{
    setup();
    void *p[4];
    for (owner_t o = 0; o < 4; o++)
        p[o] = heap_alloc(&H, 16 * (o + 1), 0, o);
    struct visit v = {0};
    CHECK_EQ_INT(heap_for_each_owner(&H, visit_fn, &v), 0);
    CHECK_EQ_INT(v.n, 4);
    CHECK_EQ_U64(v.bytes, 16 + 32 + 48 + 64);
    CHECK(v.saw[0] && v.saw[1] && v.saw[2] && v.saw[3]);
    void *q = heap_alloc(&H, 1, 0, 1000);
    CHECK_EQ_INT(heap_for_each_owner(&H, visit_fn, &v), 42); /* non-zero stops and returns */
    CHECK_EQ_INT(heap_for_each_owner(&H, NULL, NULL), KE_INVAL);
    heap_free(&H, q);
    for (int o = 0; o < 4; o++)
        heap_free(&H, p[o]);
    teardown();
}

static void test_quota(void)
{
    setup();
    CHECK_EQ_INT(heap_set_quota(&H, 7, 256), 0);
    CHECK_EQ_U64(stats(7).quota, 256);
    void *a = heap_alloc(&H, 200, 0, 7); /* charged 208 */
    CHECK(a != NULL);
    CHECK(heap_alloc(&H, 64, 0, 7) == NULL); /* 272 > 256 */
    struct heap_owner_stats st = stats(7);
    CHECK_EQ_U64(st.quota_denials, 1);
    CHECK_EQ_U64(st.failed_allocs, 1);
    CHECK_EQ_U64(st.bytes_in_use, 208);
    void *b = heap_alloc(&H, 48, 0, 7); /* exactly 256 fits */
    CHECK(b != NULL);
    CHECK(heap_alloc(&H, 1, 0, 7) == NULL);
    /* other owners are unaffected */
    void *o = heap_alloc(&H, 10000, 0, 8);
    CHECK(o != NULL);
    /* raising the quota helps; 0 lifts it */
    CHECK_EQ_INT(heap_set_quota(&H, 7, 1024), 0);
    void *c = heap_alloc(&H, 500, 0, 7);
    CHECK(c != NULL);
    CHECK(heap_alloc(&H, 500, 0, 7) == NULL);
    CHECK_EQ_INT(heap_set_quota(&H, 7, 0), 0);
    void *d = heap_alloc(&H, 500, 0, 7);
    CHECK(d != NULL);
    /* a quota below the current use only stops growth */
    CHECK_EQ_INT(heap_set_quota(&H, 7, 100), 0);
    CHECK(heap_alloc(&H, 1, 0, 7) == NULL);
    CHECK_EQ_U64(stats(7).allocations, 4);
    /* a quota on an unknown owner creates its record; freeing does not need one */
    CHECK_EQ_INT(heap_set_quota(&H, 500, 32), 0);
    CHECK_EQ_U64(stats(500).quota, 32);
    CHECK(heap_alloc(&H, 33, 0, 500) == NULL);
    CHECK_HEAP();
    heap_free(&H, a);
    heap_free(&H, b);
    heap_free(&H, c);
    heap_free(&H, d);
    heap_free(&H, o);
    teardown();
}

static void test_transfer(void)
{
    setup();
    void *p = heap_alloc(&H, 100, 256, 1);
    CHECK(p != NULL);
    fill(p, 100, 3);
    CHECK_EQ_INT(heap_transfer(&H, p, 2), 0);
    CHECK_EQ_U64(heap_owner_of(&H, p), 2);
    CHECK_EQ_U64(stats(1).bytes_in_use, 0);
    CHECK_EQ_U64(stats(1).allocations, 0);
    CHECK_EQ_U64(stats(2).bytes_in_use, 112);
    CHECK_EQ_U64(stats(2).allocations, 1);
    CHECK_EQ_U64(stats(2).total_allocs, 0);   /* a transfer is not an allocation */
    CHECK_EQ_INT(heap_transfer(&H, p, 2), 0); /* to itself: nothing to do */
    CHECK_HEAP();

    /* quota refusal changes nothing */
    CHECK_EQ_INT(heap_set_quota(&H, 3, 96), 0); /* one granule short */
    CHECK_EQ_INT(heap_transfer(&H, p, 3), KE_QUOTA);
    CHECK_EQ_U64(heap_owner_of(&H, p), 2);
    CHECK_EQ_U64(stats(2).bytes_in_use, 112);
    CHECK_EQ_U64(stats(3).bytes_in_use, 0);
    CHECK_EQ_INT(heap_set_quota(&H, 3, 112), 0);
    CHECK_EQ_INT(heap_transfer(&H, p, 3), 0);
    CHECK_EQ_U64(heap_owner_of(&H, p), 3);

    /* bad arguments */
    int local;
    CHECK_EQ_INT(heap_transfer(&H, p, HEAP_OWNER_NONE), KE_INVAL);
    CHECK_EQ_INT(heap_transfer(&H, &local, 4), KE_FAULT);
    CHECK_EQ_INT(heap_transfer(&H, (char *)p + 16, 4), KE_FAULT);
    CHECK(filled(p, 100, 3));
    CHECK_EQ_U64((uintptr_t)p % 256, 0);
    heap_free(&H, p);
    CHECK_EQ_INT(heap_transfer(&H, p, 4), KE_FAULT); /* freed */
    CHECK_EQ_U64(heap_bad_frees(&H), 0);             /* transfers are not frees */
    teardown();
}

static void test_free_owner(void)
{
    enum { N = 600 };
    static void *p[N];
    static size_t sz[N];
    setup();
    for (int i = 0; i < N; i++) {
        sz[i] = 1 + (size_t)(i * 37) % 700;
        p[i] = heap_alloc(&H, sz[i], (size_t)1 << (i % 8), (owner_t)(1 + i % 3));
        CHECK(p[i] != NULL);
        fill(p[i], sz[i], (unsigned)i);
    }
    CHECK_HEAP();
    long pages_full = tp.pages_out;
    CHECK_EQ_U64(heap_free_owner(&H, 2), N / 3);
    CHECK_EQ_U64(stats(2).allocations, 0);
    CHECK_EQ_U64(stats(2).bytes_in_use, 0);
    CHECK_HEAP();
    for (int i = 0; i < N; i++) {
        if (i % 3 == 1) {
            CHECK_EQ_U64(heap_owner_of(&H, p[i]), HEAP_OWNER_NONE);
        } else {
            CHECK_EQ_U64(heap_owner_of(&H, p[i]), 1 + i % 3);
            CHECK(filled(p[i], sz[i], (unsigned)i));
        }
    }
    CHECK(tp.pages_out <= pages_full);
    CHECK_EQ_U64(heap_free_owner(&H, 12345), 0); /* unknown owner */
    CHECK_EQ_U64(heap_free_owner(&H, 1), N / 3);
    CHECK_EQ_U64(heap_free_owner(&H, 3), N / 3);
    CHECK_EQ_U64(heap_free_owner(&H, 3), 0);
    CHECK_HEAP();
    CHECK_EQ_U64(in_use(), 0);
    CHECK_EQ_INT(tp.pages_out, 0); /* back at baseline */
    teardown();
}

static void test_realloc(void)
{
    setup();
    /* NULL acts as alloc with owner_if_new; then grow, keeping owner, content, alignment */
    char *p = heap_realloc(&H, NULL, 40, 6);
    CHECK(p != NULL);
    CHECK_EQ_U64(heap_owner_of(&H, p), 6);
    CHECK_EQ_U64(stats(6).total_allocs, 1);
    fill(p, 40, 1);
    p = heap_realloc(&H, p, 5000, 99);
    CHECK(p != NULL);
    CHECK_EQ_U64(heap_owner_of(&H, p), 6); /* owner_if_new is only for p == NULL */
    CHECK(filled(p, 40, 1));
    CHECK(heap_usable_size(&H, p) >= 5000);
    CHECK_EQ_U64(stats(6).bytes_in_use, 5008);
    fill(p, 5000, 2);
    p = heap_realloc(&H, p, 30, 0); /* shrink keeps the prefix */
    CHECK(p != NULL);
    CHECK(filled(p, 30, 2));
    CHECK_EQ_U64(stats(6).bytes_in_use, 32);
    CHECK_EQ_U64(stats(6).peak_bytes, 5008); /* never counted both copies */
    CHECK_HEAP();

    /* alignment survives a move */
    void *blockers[8];
    char *q = heap_alloc(&H, 100, 1024, 6);
    for (int i = 0; i < 8; i++)
        blockers[i] = heap_alloc(&H, 100, 0, 6);
    CHECK(q && (uintptr_t)q % 1024 == 0);
    fill(q, 100, 9);
    char *q2 = heap_realloc(&H, q, 70000, 0);
    CHECK(q2 && (uintptr_t)q2 % 1024 == 0);
    CHECK(filled(q2, 100, 9));
    q = q2;
    CHECK_HEAP();

    /* growing in place into a free neighbour */
    char *a = heap_alloc(&H, 64, 0, 6);
    char *b = heap_alloc(&H, 512, 0, 6);
    char *c = heap_alloc(&H, 64, 0, 6);
    fill(a, 64, 4);
    heap_free(&H, b);
    char *a2 = heap_realloc(&H, a, 300, 0);
    CHECK(a2 == a);
    CHECK(filled(a2, 64, 4));
    CHECK_HEAP();

    /* failure leaves the old block intact: no pages, quota, injection */
    fill(a2, 300, 5);
    tp.fail_after = 0;
    CHECK(heap_realloc(&H, a2, 1 << 20, 0) == NULL);
    tp.fail_after = -1;
    CHECK(filled(a2, 300, 5));
    CHECK_EQ_U64(heap_owner_of(&H, a2), 6);
    CHECK_EQ_U64(heap_usable_size(&H, a2) >= 300, 1);
    size_t used = stats(6).bytes_in_use;
    CHECK_EQ_INT(heap_set_quota(&H, 6, used + 100), 0);
    CHECK(heap_realloc(&H, a2, 1000, 0) == NULL);
    CHECK_EQ_U64(stats(6).quota_denials, 1);
    char *a3 = heap_realloc(&H, a2, 380, 0); /* +80 fits the quota */
    CHECK(a3 != NULL);
    a2 = a3 ? a3 : a2;
    CHECK_EQ_INT(heap_set_quota(&H, 6, 0), 0);
    struct heap_failslab fs = {.fail_nth = 1};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    CHECK(heap_realloc(&H, a2, 100000, 0) == NULL);
    CHECK_EQ_U64(stats(6).injected_failures, 1);
    CHECK(filled(a2, 300, 5));
    CHECK_EQ_U64(stats(6).failed_allocs, 3);
    CHECK_HEAP();

    /* size 0 frees; bad pointers are bad frees */
    size_t before = stats(6).allocations;
    CHECK(heap_realloc(&H, c, 0, 0) == NULL);
    CHECK_EQ_U64(stats(6).allocations, before - 1);
    CHECK(heap_realloc(&H, c, 10, 0) == NULL);
    CHECK_EQ_U64(heap_bad_frees(&H), 1);
    CHECK(heap_realloc(&H, NULL, 0, 6) == NULL);

    heap_free(&H, p);
    heap_free(&H, q);
    heap_free(&H, a2);
    for (int i = 0; i < 8; i++)
        heap_free(&H, blockers[i]);
    CHECK_EQ_U64(in_use(), 0);
    CHECK_EQ_INT(tp.pages_out, 0);
    teardown();
}

/* Runs n allocations of owner (each freed at once); bit i of out = call i failed. */
static int run_calls(int n, owner_t owner, unsigned char *out)
{
    int fails = 0;
    for (int i = 0; i < n; i++) {
        void *p = heap_alloc(&H, 24, 0, owner);
        if (out)
            out[i] = p == NULL;
        fails += p == NULL;
        heap_free(&H, p);
    }
    return fails;
}

static void test_failslab(void)
{
    static unsigned char seq1[10000], seq2[10000], seq3[10000];
    struct heap_failslab fs, got;
    setup();

    /* validation */
    fs = (struct heap_failslab){.probability = 101};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), KE_INVAL);
    fs = (struct heap_failslab){.probability = 5, .times = -2};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), KE_INVAL);
    fs = (struct heap_failslab){.filter_owner = true, .owner = HEAP_OWNER_NONE};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), KE_INVAL);
    CHECK_EQ_INT(heap_failslab_set(&H, NULL), KE_INVAL);
    CHECK_EQ_INT(run_calls(100, 1, NULL), 0); /* off by default */

    /* probability: deterministic given the seed, about the right ratio */
    fs = (struct heap_failslab){.probability = 30, .times = -1, .seed = 42};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    int f1 = run_calls(10000, 1, seq1);
    CHECK(f1 > 2700 && f1 < 3300);
    CHECK_EQ_U64(stats(1).injected_failures, f1);
    CHECK_EQ_U64(stats(1).failed_allocs, f1);
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    run_calls(10000, 1, seq2);
    CHECK(memcmp(seq1, seq2, sizeof(seq1)) == 0);
    fs.seed = 43;
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    run_calls(10000, 1, seq3);
    CHECK(memcmp(seq1, seq3, sizeof(seq1)) != 0);
    fs = (struct heap_failslab){.probability = 0, .times = -1};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    CHECK_EQ_INT(run_calls(1000, 1, NULL), 0);
    fs = (struct heap_failslab){.probability = 100, .times = -1};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    CHECK_EQ_INT(run_calls(1000, 1, NULL), 1000);

    /* interval: every 3rd call only */
    fs = (struct heap_failslab){.probability = 100, .interval = 3, .times = -1};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    run_calls(9, 1, seq1);
    static const unsigned char every3[9] = {0, 0, 1, 0, 0, 1, 0, 0, 1};
    CHECK(memcmp(seq1, every3, 9) == 0);

    /* times: at most that many failures; get shows what is left */
    fs = (struct heap_failslab){.probability = 100, .times = 2};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    run_calls(5, 1, seq1);
    static const unsigned char first2[5] = {1, 1, 0, 0, 0};
    CHECK(memcmp(seq1, first2, 5) == 0);
    heap_failslab_get(&H, &got);
    CHECK_EQ_INT(got.times, 0);
    CHECK_EQ_INT(got.probability, 100);
    fs.times = 0; /* times 0 = off */
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    CHECK_EQ_INT(run_calls(10, 1, NULL), 0);

    /* owner filter */
    fs = (struct heap_failslab){.probability = 100, .times = -1, .filter_owner = true, .owner = 9};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    CHECK_EQ_INT(run_calls(50, 8, NULL), 0);
    CHECK_EQ_INT(run_calls(50, 9, NULL), 50);
    CHECK_EQ_U64(stats(8).injected_failures, 0);
    CHECK_EQ_U64(stats(9).injected_failures, 50);

    /* fail_nth: exactly the nth eligible call, once, beside the other knobs */
    fs = (struct heap_failslab){.fail_nth = 5};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    run_calls(10, 1, seq1);
    static const unsigned char fifth[10] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
    CHECK(memcmp(seq1, fifth, 10) == 0);
    heap_failslab_get(&H, &got);
    CHECK_EQ_INT(got.fail_nth, 0);
    fs = (struct heap_failslab){.fail_nth = 3, .filter_owner = true, .owner = 4};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    CHECK_EQ_INT(run_calls(10, 1, NULL), 0); /* not eligible: no countdown */
    run_calls(4, 4, seq1);
    static const unsigned char third[4] = {0, 0, 1, 0};
    CHECK(memcmp(seq1, third, 4) == 0);
    fs = (struct heap_failslab){.probability = 100, .interval = 4, .times = -1, .fail_nth = 2};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    run_calls(8, 1, seq1);
    static const unsigned char both[8] = {0, 1, 0, 1, 0, 0, 0, 1};
    CHECK(memcmp(seq1, both, 8) == 0);

    fs = (struct heap_failslab){0};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    CHECK_EQ_INT(run_calls(100, 1, NULL), 0);
    CHECK_EQ_U64(in_use(), 0);
    teardown();
}

static void test_page_source_failure(void)
{
    setup();
    tp.fail_after = 0;
    CHECK(heap_alloc(&H, 100, 0, 1) == NULL);
    CHECK_EQ_U64(stats(1).failed_allocs, 1);
    CHECK_EQ_U64(stats(1).injected_failures, 0);
    CHECK_HEAP();
    tp.fail_after = 1; /* one arena, then nothing */
    void *a = heap_alloc(&H, 100, 0, 1);
    CHECK(a != NULL);
    CHECK(heap_alloc(&H, 1 << 20, 0, 1) == NULL); /* needs a second arena */
    void *b = heap_alloc(&H, 100, 0, 1);          /* but the first one still serves */
    CHECK(b != NULL);
    CHECK_HEAP();
    heap_free(&H, a);
    heap_free(&H, b);
    CHECK_EQ_INT(tp.pages_out, 0);

    /* pages that are not 4096-aligned are refused and handed back */
    tp.fail_after = -1;
    tp.misalign = true;
    CHECK(heap_alloc(&H, 100, 0, 1) == NULL);
    CHECK_EQ_INT(tp.pages_out, 0);
    tp.misalign = false;
    void *c = heap_alloc(&H, 100, 0, 1);
    CHECK(c != NULL);
    heap_free(&H, c);
    teardown();
}

static void test_bad_free(void)
{
    setup();
    int local;
    char *p = heap_alloc(&H, 100, 0, 1);
    char *q = heap_alloc(&H, 100, 0, 1);
    char *r = heap_alloc(&H, 100, 0, 1);
    fill(q, 100, 7);
    heap_free(&H, &local); /* not heap memory */
    CHECK_EQ_U64(heap_bad_frees(&H), 1);
    heap_free(&H, p + 16); /* interior pointer */
    heap_free(&H, p + 1);
    CHECK_EQ_U64(heap_bad_frees(&H), 3);
    heap_free(&H, p);
    heap_free(&H, p); /* double free of a block that stays a free block */
    CHECK_EQ_U64(heap_bad_frees(&H), 4);
    heap_free(&H, r);
    heap_free(&H, r); /* double free of a block merged into its neighbours */
    CHECK_EQ_U64(heap_bad_frees(&H), 5);
    CHECK_EQ_U64(heap_owner_of(&H, p), HEAP_OWNER_NONE);
    CHECK_EQ_U64(heap_usable_size(&H, r), 0);
    CHECK(filled(q, 100, 7));
    CHECK_EQ_U64(stats(1).allocations, 1);
    CHECK_HEAP();
    heap_free(&H, q);
    CHECK_EQ_INT(tp.pages_out, 0);
    heap_free(&H, q); /* its arena is gone: not even readable memory for the heap */
    CHECK_EQ_U64(heap_bad_frees(&H), 6);
    teardown();
}

static void test_corruption_detected(void)
{
    unsigned char saved[64];
    setup();
    char *p = heap_alloc(&H, 100, 0, 1);
    char *q = heap_alloc(&H, 100, 0, 1);
    CHECK_HEAP();

    /* a scribbled header: heap_check reports it, free refuses it, nothing crashes */
    memcpy(saved, p - 64, 64);
    p[-40] ^= 0x55;
    CHECK_EQ_INT(heap_check(&H), KE_FAULT);
    CHECK(heap_check_error(&H) != NULL);
    heap_free(&H, p);
    CHECK_EQ_U64(heap_bad_frees(&H), 1);
    CHECK_EQ_U64(heap_owner_of(&H, p), HEAP_OWNER_NONE);
    memcpy(p - 64, saved, 64);
    CHECK_HEAP();

    /* an overflow into the next block's header */
    size_t us = heap_usable_size(&H, p);
    memcpy(saved, p + us, 64);
    memset(p + us, 0, 16);
    CHECK_EQ_INT(heap_check(&H), KE_FAULT);
    memcpy(p + us, saved, 64);
    CHECK_HEAP();

    /* a corrupt owner-list link (header bytes 40..47) is refused, not followed */
    char decoy[128];
    char *decoy_p = decoy + 32;
    memset(decoy, 0x5a, sizeof(decoy));
    memcpy(saved, q - 64, 64);
    memcpy(q - 64 + 40, &decoy_p, sizeof(decoy_p));
    CHECK_EQ_INT(heap_check(&H), KE_FAULT);
    heap_free(&H, q);
    CHECK_EQ_U64(heap_bad_frees(&H), 2);
    for (size_t i = 0; i < sizeof(decoy); i++)
        CHECK_EQ_INT(decoy[i], 0x5a);
    memcpy(q - 64, saved, 64);
    CHECK_HEAP();

    /* corrupt statistics */
    H.bytes_in_use += 16;
    CHECK_EQ_INT(heap_check(&H), KE_FAULT);
    H.bytes_in_use -= 16;
    CHECK_HEAP();
    heap_free(&H, p);
    heap_free(&H, q);
    teardown();
}

static void test_fragmentation(void)
{
    enum { N = 2000 };
    static void *p[N];
    setup();
    for (int i = 0; i < N; i++)
        CHECK((p[i] = heap_alloc(&H, 100, 0, 1)) != NULL);
    long pages_full = tp.pages_out;
    for (int round = 0; round < 50; round++) {
        for (int i = round % 2; i < N; i += 2) {
            heap_free(&H, p[i]);
            p[i] = NULL;
        }
        for (int i = 0; i < N; i++)
            if (!p[i])
                CHECK((p[i] = heap_alloc(&H, 1 + (size_t)(i + round) % 112, 0, 1)) != NULL);
        CHECK(tp.pages_out <= pages_full);
    }
    CHECK_HEAP();

    /* holes too small for a request do not stop big ones: they get new arenas */
    for (int i = 0; i < N; i += 2)
        heap_free(&H, p[i]);
    void *big = heap_alloc(&H, 200000, 0, 1);
    CHECK(big != NULL);
    heap_free(&H, big);
    for (int i = 1; i < N; i += 2)
        heap_free(&H, p[i]);
    CHECK_HEAP();
    CHECK_EQ_INT(tp.pages_out, 0);
    teardown();
}

static void test_owner_table(void)
{
    static void *p[HEAP_MAX_OWNERS];
    setup();
    for (owner_t o = 0; o < HEAP_MAX_OWNERS; o++)
        CHECK((p[o] = heap_alloc(&H, 8, 0, o * 7919)) != NULL);
    CHECK_HEAP();
    CHECK(heap_alloc(&H, 8, 0, 999999) == NULL); /* table full */
    CHECK_EQ_INT(heap_set_quota(&H, 999999, 10), KE_NOSPC);
    CHECK_EQ_INT(heap_transfer(&H, p[0], 999999), KE_NOSPC);
    CHECK_EQ_U64(heap_owner_of(&H, p[0]), 0);

    /* an owner with a quota keeps its record even when it holds nothing */
    CHECK_EQ_INT(heap_set_quota(&H, 5 * 7919, 4096), 0);
    heap_free(&H, p[5]);
    CHECK(heap_alloc(&H, 8, 0, 999999) == NULL);
    /* an idle record is reused */
    heap_free(&H, p[6]);
    void *n = heap_alloc(&H, 8, 0, 999999);
    CHECK(n != NULL);
    struct heap_owner_stats st;
    CHECK_EQ_INT(heap_owner_stats(&H, 6 * 7919, &st), KE_NOENT);
    CHECK_EQ_U64(stats(5 * 7919).quota, 4096);
    CHECK_HEAP();
    /* every remaining owner is still found after the table was reshuffled */
    for (owner_t o = 0; o < HEAP_MAX_OWNERS; o++)
        if (o != 5 && o != 6)
            CHECK_EQ_U64(heap_owner_of(&H, p[o]), o * 7919);
    for (owner_t o = 0; o < HEAP_MAX_OWNERS; o++)
        if (o != 5 && o != 6)
            CHECK_EQ_U64(heap_free_owner(&H, o * 7919), 1);
    heap_free(&H, n);
    CHECK_HEAP();
    CHECK_EQ_INT(tp.pages_out, 0);
    teardown();
}

/* Owners come and go through a full table: evictions shift probe runs around, and every
 * record must stay reachable (heap_check checks each one). */
static void test_owner_churn(void)
{
    static void *p[HEAP_MAX_OWNERS];
    static owner_t id[HEAP_MAX_OWNERS];
    uint64_t x = 99;
    setup();
    for (unsigned i = 0; i < HEAP_MAX_OWNERS; i++) {
        id[i] = i;
        CHECK((p[i] = heap_alloc(&H, 8 + i, 0, id[i])) != NULL);
    }
    for (owner_t next = 1000; next < 4000; next++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned i = (unsigned)(x >> 33) % HEAP_MAX_OWNERS;
        CHECK_EQ_U64(heap_owner_of(&H, p[i]), id[i]);
        heap_free(&H, p[i]); /* the only idle record: the next new owner evicts it */
        struct heap_owner_stats st;
        CHECK((p[i] = heap_alloc(&H, 8 + i, 0, next)) != NULL);
        CHECK_EQ_INT(heap_owner_stats(&H, id[i], &st), KE_NOENT);
        id[i] = next;
        if (next % 16 == 0)
            CHECK_HEAP();
    }
    CHECK_HEAP();
    for (unsigned i = 0; i < HEAP_MAX_OWNERS; i++) {
        CHECK_EQ_U64(heap_owner_of(&H, p[i]), id[i]);
        CHECK_EQ_U64(heap_free_owner(&H, id[i]), 1);
    }
    teardown();
}

/* heap_walk_used: every requested byte of every used block, once, in address order, with its
 * owner, whatever the budget of a slice (blocks are cut and resumed); free blocks never. */
struct walk_log {
    unsigned char seen[1 << 16]; /* visits per byte of the blocks under test, by offset */
    uintptr_t lo, hi, last;      /* the range under test; the end of the last visit */
    size_t visits, outside, order_errors, bad_owner, unaligned;
    owner_t owner;
};

static void walk_fn(void *ctx, const void *p, size_t n, owner_t owner)
{
    struct walk_log *w = ctx;
    uintptr_t a = (uintptr_t)p;
    w->visits++;
    if (a % 8) /* a scan of 64-bit words must never lose the word across a cut */
        w->unaligned++;
    if (a < w->last)
        w->order_errors++;
    w->last = a + n;
    if (owner != w->owner)
        w->bad_owner++;
    for (size_t i = 0; i < n; i++) {
        if (a + i < w->lo || a + i >= w->hi)
            w->outside++;
        else
            w->seen[a + i - w->lo]++;
    }
}

static void test_walk_used(void)
{
    setup();
    static struct walk_log w;
    enum { N = 24 };
    void *p[N];
    size_t size[N];
    for (int i = 0; i < N; i++) {
        size[i] = 1 + (size_t)i * 97 % 1500;
        p[i] = heap_alloc(&H, size[i], 0, 7);
        CHECK(p[i] != NULL);
        fill(p[i], size[i], (unsigned)i);
    }
    for (int i = 0; i < N; i += 3) { /* free some: the walk skips them, and they were cleared */
        unsigned char *c = p[i];
        size_t n = size[i];
        heap_free(&H, p[i]);
        bool zero = true;
        for (size_t k = 0; k < n; k++)
            zero &= c[k] == 0;
        CHECK(zero);
        p[i] = NULL;
    }
    for (size_t budget = 1; budget <= 4096; budget = budget * 5 + 3) {
        memset(&w, 0, sizeof(w));
        w.lo = UINTPTR_MAX;
        w.owner = 7;
        for (int i = 0; i < N; i++) {
            if (!p[i])
                continue;
            w.lo = (uintptr_t)p[i] < w.lo ? (uintptr_t)p[i] : w.lo;
            w.hi = (uintptr_t)p[i] + size[i] > w.hi ? (uintptr_t)p[i] + size[i] : w.hi;
        }
        CHECK(w.hi - w.lo <= sizeof(w.seen));
        uintptr_t cursor = 0;
        size_t slices = 0;
        while (!heap_walk_used(&H, &cursor, budget, walk_fn, &w) && slices < 100000)
            slices++;
        CHECK(slices < 100000);
        CHECK_EQ_INT(w.outside, 0);
        CHECK_EQ_INT(w.order_errors, 0);
        CHECK_EQ_INT(w.bad_owner, 0);
        CHECK_EQ_INT(w.unaligned, 0);
        size_t once = 0, wrong = 0;
        for (int i = 0; i < N; i++) {
            if (!p[i])
                continue;
            for (size_t k = 0; k < size[i]; k++) {
                unsigned char v = w.seen[(uintptr_t)p[i] + k - w.lo];
                once += v == 1;
                wrong += v != 1;
            }
        }
        CHECK_EQ_INT(wrong, 0);
        CHECK(once > 0);
    }
    /* A slice after a free resumes without visiting the freed block. */
    memset(&w, 0, sizeof(w));
    w.lo = 0;
    w.hi = 0;
    w.owner = 7;
    uintptr_t cursor = 0;
    CHECK(!heap_walk_used(&H, &cursor, 1, walk_fn, &w));
    size_t visits = w.visits;
    CHECK_EQ_INT(visits, 1);
    /* An empty heap: done at once, nothing visited. */
    for (int i = 0; i < N; i++)
        heap_free(&H, p[i]);
    memset(&w, 0, sizeof(w));
    cursor = 0;
    CHECK(heap_walk_used(&H, &cursor, 1, walk_fn, &w));
    CHECK_EQ_INT(w.visits, 0);
    CHECK(heap_walk_used(NULL, &cursor, 1, walk_fn, &w));
    teardown();
}

int main(void)
{
    test_init_and_args();
    test_alignment();
    test_accounting();
    test_for_each_owner();
    test_quota();
    test_transfer();
    test_free_owner();
    test_realloc();
    test_failslab();
    test_page_source_failure();
    test_bad_free();
    test_corruption_detected();
    test_fragmentation();
    test_owner_table();
    test_owner_churn();
    test_walk_used();
    return check_report("heap_test");
}
