/* Host tests of the channel message ring (tasking/chan_ring.c): argument checks, full/empty,
 * FIFO order across wrap-around, taking back the newest message, and a randomized comparison
 * against a trivially correct reference queue for several capacities. */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include <keel/errno.h>
#include "chan_ring.h"

static struct channel_msg msg(uint64_t w)
{
    /* A recognisable fake block pointer per word; the ring never dereferences it. */
    return (struct channel_msg){w, (void *)(uintptr_t)(0x1000 + w * 16)};
}

static int same(struct channel_msg a, struct channel_msg b)
{
    return a.word == b.word && a.block == b.block;
}

static void test_init_args(void)
{
    struct chan_ring r;
    struct channel_msg st[4];
    CHECK_EQ_INT(chan_ring_init(NULL, st, 4), KE_INVAL);
    CHECK_EQ_INT(chan_ring_init(&r, NULL, 4), KE_INVAL);
    CHECK_EQ_INT(chan_ring_init(&r, st, 0), KE_INVAL);
    CHECK_EQ_INT(chan_ring_init(&r, st, CHAN_RING_MAX_CAP + 1), KE_INVAL);
    CHECK_EQ_INT(chan_ring_init(&r, st, 4), 0);
    CHECK_EQ_U64(chan_ring_capacity(&r), 4);
    CHECK_EQ_U64(chan_ring_count(&r), 0);
    CHECK(chan_ring_empty(&r));
    CHECK(!chan_ring_full(&r));

    /* NULL rings and messages are refused, not dereferenced. */
    struct channel_msg m = msg(1), out;
    CHECK_EQ_INT(chan_ring_push(NULL, &m), KE_INVAL);
    CHECK_EQ_INT(chan_ring_push(&r, NULL), KE_INVAL);
    CHECK_EQ_INT(chan_ring_peek(NULL, &out), KE_INVAL);
    CHECK_EQ_INT(chan_ring_peek(&r, NULL), KE_INVAL);
    CHECK_EQ_INT(chan_ring_pop(NULL, &out), KE_INVAL);
    CHECK_EQ_INT(chan_ring_pop_tail(NULL, &out), KE_INVAL);
    CHECK_EQ_U64(chan_ring_count(NULL), 0);
    CHECK_EQ_U64(chan_ring_capacity(NULL), 0);
    CHECK(chan_ring_empty(NULL));
    CHECK(chan_ring_full(NULL)); /* nothing can be pushed into no ring */
    CHECK_EQ_U64(chan_ring_count(&r), 0);
}

static void test_full_empty(void)
{
    struct chan_ring r;
    struct channel_msg st[3], out = msg(99);
    CHECK_EQ_INT(chan_ring_init(&r, st, 3), 0);
    CHECK_EQ_INT(chan_ring_pop(&r, &out), KE_NOENT);
    CHECK_EQ_INT(chan_ring_pop_tail(&r, &out), KE_NOENT);
    CHECK_EQ_INT(chan_ring_peek(&r, &out), KE_NOENT);
    CHECK(same(out, msg(99))); /* failed calls leave out untouched */

    for (uint64_t i = 0; i < 3; i++) {
        struct channel_msg m = msg(i);
        CHECK_EQ_INT(chan_ring_push(&r, &m), 0);
    }
    CHECK(chan_ring_full(&r));
    CHECK_EQ_U64(chan_ring_count(&r), 3);
    struct channel_msg extra = msg(7);
    CHECK_EQ_INT(chan_ring_push(&r, &extra), KE_NOSPC);
    CHECK_EQ_U64(chan_ring_count(&r), 3);

    CHECK_EQ_INT(chan_ring_peek(&r, &out), 0);
    CHECK(same(out, msg(0)));
    CHECK_EQ_U64(chan_ring_count(&r), 3); /* peek does not remove */
    for (uint64_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(chan_ring_pop(&r, &out), 0);
        CHECK(same(out, msg(i)));
    }
    CHECK(chan_ring_empty(&r));
    CHECK_EQ_INT(chan_ring_pop(&r, NULL), KE_NOENT);
    /* Popped slots are cleared: no stale block pointers left in the storage. */
    for (int i = 0; i < 3; i++)
        CHECK(st[i].block == NULL && st[i].word == 0);
}

static void test_wraparound(void)
{
    struct chan_ring r;
    struct channel_msg st[4], out;
    CHECK_EQ_INT(chan_ring_init(&r, st, 4), 0);
    uint64_t next_in = 0, next_out = 0;
    /* Keep 3 messages queued while cycling many times round the 4 slots. */
    for (int i = 0; i < 3; i++) {
        struct channel_msg m = msg(next_in++);
        CHECK_EQ_INT(chan_ring_push(&r, &m), 0);
    }
    for (int round = 0; round < 50; round++) {
        struct channel_msg m = msg(next_in++);
        CHECK_EQ_INT(chan_ring_push(&r, &m), 0);
        CHECK(chan_ring_full(&r));
        CHECK_EQ_INT(chan_ring_pop(&r, &out), 0);
        CHECK(same(out, msg(next_out)));
        next_out++;
    }
    CHECK(r.head != 0 || next_out % 4 == 0); /* the head really moved round */
    while (!chan_ring_empty(&r)) {
        CHECK_EQ_INT(chan_ring_pop(&r, &out), 0);
        CHECK(same(out, msg(next_out)));
        next_out++;
    }
    CHECK_EQ_U64(next_out, next_in);
}

static void test_pop_tail(void)
{
    struct chan_ring r;
    struct channel_msg st[3], out;
    CHECK_EQ_INT(chan_ring_init(&r, st, 3), 0);
    /* Move head to the last slot so the tail wraps to index 0/1. */
    for (uint64_t i = 0; i < 2; i++) {
        struct channel_msg m = msg(i);
        CHECK_EQ_INT(chan_ring_push(&r, &m), 0);
        CHECK_EQ_INT(chan_ring_pop(&r, NULL), 0);
    }
    for (uint64_t i = 10; i < 13; i++) {
        struct channel_msg m = msg(i);
        CHECK_EQ_INT(chan_ring_push(&r, &m), 0);
    }
    CHECK_EQ_INT(chan_ring_pop_tail(&r, &out), 0);
    CHECK(same(out, msg(12)));
    CHECK_EQ_INT(chan_ring_pop_tail(&r, NULL), 0);
    CHECK_EQ_U64(chan_ring_count(&r), 1);
    CHECK_EQ_INT(chan_ring_peek(&r, &out), 0);
    CHECK(same(out, msg(10)));
    struct channel_msg m = msg(20);
    CHECK_EQ_INT(chan_ring_push(&r, &m), 0);
    CHECK_EQ_INT(chan_ring_pop(&r, &out), 0);
    CHECK(same(out, msg(10)));
    CHECK_EQ_INT(chan_ring_pop(&r, &out), 0);
    CHECK(same(out, msg(20)));
    CHECK(chan_ring_empty(&r));

    /* Capacity 1 (the rendezvous slot): push, take back, push again. */
    struct channel_msg one[1];
    CHECK_EQ_INT(chan_ring_init(&r, one, 1), 0);
    m = msg(5);
    CHECK_EQ_INT(chan_ring_push(&r, &m), 0);
    CHECK_EQ_INT(chan_ring_push(&r, &m), KE_NOSPC);
    CHECK_EQ_INT(chan_ring_pop_tail(&r, &out), 0);
    CHECK(same(out, msg(5)));
    CHECK(one[0].block == NULL);
    m = msg(6);
    CHECK_EQ_INT(chan_ring_push(&r, &m), 0);
    CHECK_EQ_INT(chan_ring_pop(&r, &out), 0);
    CHECK(same(out, msg(6)));
}

/* Reference: a plain array used as a deque with no wrap-around. */
#define REF_MAX 100000
static struct channel_msg ref[REF_MAX];

static void test_random_vs_reference(size_t cap, unsigned seed, int ops)
{
    struct chan_ring r;
    struct channel_msg *st = calloc(cap + 1, sizeof(*st));
    CHECK(st != NULL);
    if (!st)
        return;
    /* A guard slot past the end must never be written. */
    st[cap] = msg(0xdead);
    CHECK_EQ_INT(chan_ring_init(&r, st, cap), 0);
    size_t lo = 0, hi = 0; /* ref[lo..hi) is the expected content */
    uint64_t word = 1;
    int mismatches = 0;
    srand(seed);
    for (int i = 0; i < ops && hi < REF_MAX; i++) {
        int op = rand() % 10;
        struct channel_msg out = msg(0), want;
        if (op < 5) { /* push (biased so the ring fills up) */
            struct channel_msg m = msg(word++);
            int rc = chan_ring_push(&r, &m);
            if (hi - lo < cap) {
                mismatches += rc != 0;
                ref[hi++] = m;
            } else {
                mismatches += rc != KE_NOSPC;
            }
        } else if (op < 8) { /* pop */
            int rc = chan_ring_pop(&r, &out);
            if (hi > lo) {
                want = ref[lo++];
                mismatches += rc != 0 || !same(out, want);
            } else {
                mismatches += rc != KE_NOENT;
            }
        } else if (op < 9) { /* peek */
            int rc = chan_ring_peek(&r, &out);
            if (hi > lo)
                mismatches += rc != 0 || !same(out, ref[lo]);
            else
                mismatches += rc != KE_NOENT;
        } else { /* take back the newest */
            int rc = chan_ring_pop_tail(&r, &out);
            if (hi > lo) {
                want = ref[--hi];
                mismatches += rc != 0 || !same(out, want);
            } else {
                mismatches += rc != KE_NOENT;
            }
        }
        mismatches += chan_ring_count(&r) != hi - lo;
        mismatches += chan_ring_empty(&r) != (hi == lo);
        mismatches += chan_ring_full(&r) != (hi - lo == cap);
    }
    CHECK_EQ_INT(mismatches, 0);
    /* Drain and compare what is left. */
    size_t left = hi - lo;
    CHECK_EQ_U64(chan_ring_count(&r), left);
    int drain_bad = 0;
    while (lo < hi) {
        struct channel_msg out;
        drain_bad += chan_ring_pop(&r, &out) != 0 || !same(out, ref[lo]);
        lo++;
    }
    CHECK_EQ_INT(drain_bad, 0);
    CHECK(chan_ring_empty(&r));
    CHECK(same(st[cap], msg(0xdead)));
    free(st);
}

int main(void)
{
    test_init_args();
    test_full_empty();
    test_wraparound();
    test_pop_tail();
    static const size_t caps[] = {1, 2, 3, 7, 16, 4096};
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        for (unsigned seed = 1; seed <= 4; seed++)
            test_random_vs_reference(caps[i], seed * 7919u + (unsigned)i, 20000);
    return check_report("chan_ring_test");
}
