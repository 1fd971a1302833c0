/* Randomised stress of the owner-tracked heap against a reference model: a seeded mix of
 * alloc/free/realloc/transfer/free_owner/quota changes and failure injection. Every block is
 * filled with a pattern that is verified before it is freed, resized or transferred; the
 * model's per-owner bytes, counts and quotas are compared with the heap's at every heap_check. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define OPS      200000
#define MAX_LIVE 3000
#define OWNERS   16
#define SEED     0x5eed1234abcdull

struct live {
    unsigned char *p;
    size_t size;
    size_t align; /* effective: at least 16 */
    owner_t owner;
    unsigned seed;
};

static struct live L[MAX_LIVE];
static int nlive;
static size_t m_bytes[OWNERS], m_count[OWNERS], m_quota[OWNERS];
static long pages_out, pages_peak;
static struct heap H;
static uint64_t rng = SEED;
/* how often each interesting outcome happened: the run must have exercised all of them */
static long n_injected, n_quota_denied, n_transfer_refused, n_moved, n_free_owner;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static void *pg_alloc(void *ctx, size_t n)
{
    void *p = aligned_alloc(HEAP_PAGE_SIZE, n * HEAP_PAGE_SIZE);
    if (p) {
        pages_out += (long)n;
        if (pages_out > pages_peak)
            pages_peak = pages_out;
    }
    return p;
}

static void pg_free(void *ctx, void *p, size_t n)
{
    pages_out -= (long)n;
    free(p);
}

static size_t charge(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 13 + (i >> 8));
}

static bool filled(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 13 + (i >> 8)))
            return false;
    return true;
}

static uint64_t injected(owner_t o)
{
    struct heap_owner_stats st;
    return heap_owner_stats(&H, o, &st) == 0 ? st.injected_failures : 0;
}

static size_t rand_size(void)
{
    uint64_t r = rnd() % 1000;
    if (r < 700)
        return 1 + rnd() % 256;
    if (r < 950)
        return 257 + rnd() % 3840;
    if (r < 995)
        return 4097 + rnd() % 96000;
    return 100000 + rnd() % 300000;
}

/* Verifies one live block completely: pattern, owner, usable size, alignment. */
static void verify(const struct live *b)
{
    CHECK(filled(b->p, b->size, b->seed));
    CHECK_EQ_U64(heap_owner_of(&H, b->p), b->owner);
    CHECK(heap_usable_size(&H, b->p) >= b->size);
    CHECK_EQ_U64((uintptr_t)b->p % b->align, 0);
}

static void drop(int i)
{
    m_bytes[L[i].owner] -= charge(L[i].size);
    m_count[L[i].owner]--;
    L[i] = L[--nlive];
}

static void op_alloc(void)
{
    size_t size = rand_size();
    size_t align = rnd() % 3 == 0 ? 0 : (size_t)1 << (rnd() % 13);
    owner_t o = (owner_t)(rnd() % OWNERS);
    bool quota_ok = !m_quota[o] || m_bytes[o] + charge(size) <= m_quota[o];
    uint64_t inj = injected(o);
    unsigned char *p = heap_alloc(&H, size, align, o);
    if (!p) {
        CHECK(injected(o) == inj + 1 || (!quota_ok && injected(o) == inj));
        n_injected += injected(o) != inj;
        n_quota_denied += injected(o) == inj;
        return;
    }
    CHECK(quota_ok);
    struct live *b = &L[nlive++];
    b->p = p;
    b->size = size;
    b->align = align < 16 ? 16 : align;
    b->owner = o;
    b->seed = (unsigned)rnd();
    CHECK_EQ_U64((uintptr_t)p % b->align, 0);
    fill(p, size, b->seed);
    m_bytes[o] += charge(size);
    m_count[o]++;
}

static void op_free(void)
{
    int i = (int)(rnd() % (uint64_t)nlive);
    verify(&L[i]);
    heap_free(&H, L[i].p);
    drop(i);
}

static void op_realloc(void)
{
    int i = (int)(rnd() % (uint64_t)nlive);
    struct live *b = &L[i];
    verify(b);
    if (rnd() % 100 == 0) {
        CHECK(heap_realloc(&H, b->p, 0, 0) == NULL);
        drop(i);
        return;
    }
    size_t size = rnd() % 2 ? rand_size() : 1 + rnd() % (b->size * 2);
    owner_t o = b->owner;
    size_t c_old = charge(b->size), c_new = charge(size);
    bool quota_ok = c_new <= c_old || !m_quota[o] || m_bytes[o] - c_old + c_new <= m_quota[o];
    uint64_t inj = injected(o);
    unsigned char *np = heap_realloc(&H, b->p, size, 12345);
    if (!np) {
        CHECK(injected(o) == inj + 1 || (!quota_ok && injected(o) == inj));
        n_injected += injected(o) != inj;
        n_quota_denied += injected(o) == inj;
        verify(b); /* untouched */
        return;
    }
    n_moved += np != b->p;
    CHECK(quota_ok);
    CHECK(filled(np, size < b->size ? size : b->size, b->seed));
    CHECK_EQ_U64(heap_owner_of(&H, np), o);
    CHECK_EQ_U64((uintptr_t)np % b->align, 0);
    m_bytes[o] = m_bytes[o] - c_old + c_new;
    b->p = np;
    b->size = size;
    b->seed = (unsigned)rnd();
    fill(np, size, b->seed);
}

static void op_transfer(void)
{
    int i = (int)(rnd() % (uint64_t)nlive);
    struct live *b = &L[i];
    owner_t to = (owner_t)(rnd() % OWNERS);
    size_t c = charge(b->size);
    bool refuse = to != b->owner && m_quota[to] && m_bytes[to] + c > m_quota[to];
    verify(b);
    int r = heap_transfer(&H, b->p, to);
    CHECK_EQ_INT(r, refuse ? KE_QUOTA : 0);
    n_transfer_refused += r == KE_QUOTA;
    if (r == 0 && to != b->owner) {
        m_bytes[b->owner] -= c;
        m_count[b->owner]--;
        m_bytes[to] += c;
        m_count[to]++;
        b->owner = to;
    }
    CHECK_EQ_U64(heap_owner_of(&H, b->p), b->owner);
}

static void op_free_owner(void)
{
    owner_t o = (owner_t)(rnd() % OWNERS);
    for (int i = 0; i < nlive; i++)
        if (L[i].owner == o)
            verify(&L[i]);
    CHECK_EQ_U64(heap_free_owner(&H, o), m_count[o]);
    n_free_owner += m_count[o] != 0;
    for (int i = nlive - 1; i >= 0; i--)
        if (L[i].owner == o)
            drop(i);
    CHECK_EQ_U64(m_count[o], 0);
}

static void op_quota(void)
{
    owner_t o = (owner_t)(rnd() % OWNERS);
    uint64_t r = rnd() % 4;
    size_t q = r == 0 ? 0 : r == 1 ? m_bytes[o] / 2 + 16 : m_bytes[o] + rnd() % 200000;
    CHECK_EQ_INT(heap_set_quota(&H, o, q), 0);
    m_quota[o] = q;
}

static void op_failslab(void)
{
    struct heap_failslab fs = {0};
    if (rnd() % 2) {
        fs.probability = (uint32_t)(1 + rnd() % 10);
        fs.interval = (uint32_t)(rnd() % 3);
        fs.times = rnd() % 2 ? -1 : (int32_t)(rnd() % 50);
        fs.filter_owner = rnd() % 3 == 0;
        fs.owner = (owner_t)(rnd() % OWNERS);
        fs.fail_nth = rnd() % 4 == 0 ? (uint32_t)(1 + rnd() % 20) : 0;
        fs.seed = rnd();
    }
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
}

static void compare_with_model(void)
{
    size_t total = 0, live_owners = 0;
    int r = heap_check(&H);
    CHECK_EQ_INT(r, 0);
    if (r)
        fprintf(stderr, "    heap_check: %s\n", heap_check_error(&H));
    for (owner_t o = 0; o < OWNERS; o++) {
        struct heap_owner_stats st;
        if (heap_owner_stats(&H, o, &st) != 0) {
            CHECK(m_count[o] == 0 && m_quota[o] == 0);
            continue;
        }
        CHECK_EQ_U64(st.bytes_in_use, m_bytes[o]);
        CHECK_EQ_U64(st.allocations, m_count[o]);
        CHECK_EQ_U64(st.quota, m_quota[o]);
        CHECK(st.peak_bytes >= st.bytes_in_use);
        total += m_bytes[o];
        live_owners += m_count[o] != 0;
    }
    size_t bytes, from_pages, owners;
    heap_totals(&H, &bytes, &from_pages, &owners);
    CHECK_EQ_U64(bytes, total);
    CHECK_EQ_U64(owners, live_owners);
    CHECK_EQ_U64(from_pages, (size_t)pages_out * HEAP_PAGE_SIZE);
}

int main(void)
{
    struct heap_page_source src = {pg_alloc, pg_free, NULL};
    CHECK_EQ_INT(heap_init(&H, &src), 0);
    for (long n = 0; n < OPS; n++) {
        uint64_t r = rnd() % 1000;
        if (nlive == 0 || (r < 400 && nlive < MAX_LIVE))
            op_alloc();
        else if (r < 650)
            op_free();
        else if (r < 800)
            op_realloc();
        else if (r < 880)
            op_transfer();
        else if (r < 881)
            op_free_owner();
        else if (r < 900)
            op_quota();
        else if (r < 903)
            op_failslab();
        else
            verify(&L[rnd() % (uint64_t)nlive]);
        if (n % 500 == 0)
            compare_with_model();
    }
    compare_with_model();
    CHECK_EQ_U64(heap_bad_frees(&H), 0);
    printf("heap_stress_test: %d live at the end, peak %ld pages; %ld injected, %ld quota "
           "denials, %ld transfers refused, %ld moved by realloc, %ld non-empty free_owner\n",
           nlive, pages_peak, n_injected, n_quota_denied, n_transfer_refused, n_moved,
           n_free_owner);
    CHECK(n_injected > 0 && n_quota_denied > 0 && n_transfer_refused > 0 && n_moved > 0 &&
          n_free_owner > 0);

    /* free everything in random order: the heap must return to no pages at all */
    while (nlive)
        op_free();
    compare_with_model();
    CHECK_EQ_INT(pages_out, 0);
    return check_report("heap_stress_test");
}
