/* The ready queues: priority order, FIFO within a priority, removal, refusals, and a randomized
 * run against a reference model. */
#include <stdlib.h>
#include <keel/errno.h>
#include "tasking/runqueue.h"
#include "check.h"

#define N 64

struct item {
    struct rq_link link; /* first member: a link pointer is an item pointer */
    unsigned prio;
    int id;
};

static bool is_odd(const struct rq_link *l, void *ctx)
{
    (void)ctx;
    return ((const struct item *)l)->id % 2;
}

static bool never(const struct rq_link *l, void *ctx)
{
    (void)l;
    return ctx != NULL;
}

int main(void)
{
    struct runqueue rq = {0};
    struct item it[N];
    for (int i = 0; i < N; i++)
        it[i] = (struct item){{0, false}, (unsigned)(i % RQ_PRIORITIES), i};

    CHECK_EQ_INT(rq_highest(&rq), -1);
    CHECK(rq_pop(&rq, NULL) == NULL);
    CHECK_EQ_INT(rq_push(&rq, &it[0].link, RQ_PRIORITIES), KE_INVAL);
    CHECK_EQ_INT(rq_push(&rq, NULL, 1), KE_INVAL);

    /* Priorities 1, 3, 3, 5: pop order 5, 3 (first pushed), 3, 1. */
    CHECK_EQ_INT(rq_push(&rq, &it[1].link, 1), 0);
    CHECK_EQ_INT(rq_push(&rq, &it[3].link, 3), 0);
    CHECK_EQ_INT(rq_push(&rq, &it[11].link, 3), 0);
    CHECK_EQ_INT(rq_push(&rq, &it[5].link, 5), 0);
    CHECK_EQ_INT(rq_push(&rq, &it[5].link, 5), KE_INVAL); /* already queued: unchanged */
    CHECK_EQ_INT(rq_highest(&rq), 5);
    unsigned p = 99;
    CHECK(rq_pop(&rq, &p) == &it[5].link && p == 5);
    CHECK(rq_pop(&rq, &p) == &it[3].link && p == 3);
    CHECK(rq_pop(&rq, &p) == &it[11].link && p == 3);
    CHECK(rq_pop(&rq, &p) == &it[1].link && p == 1);
    CHECK(rq_pop(&rq, &p) == NULL);
    CHECK_EQ_INT(rq.nonempty, 0);

    /* Removal from the head, middle and tail; a removed link can be pushed again. */
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(rq_push(&rq, &it[8 * i + 2].link, 2), 0);
    CHECK_EQ_INT(rq_remove(&rq, &it[10].link, 2), 0);
    CHECK_EQ_INT(rq_remove(&rq, &it[10].link, 2), KE_NOENT);
    CHECK_EQ_INT(rq_remove(&rq, &it[2].link, 2), 0);
    CHECK_EQ_INT(rq_remove(&rq, &it[26].link, 2), 0);
    CHECK(rq_pop(&rq, &p) == &it[18].link);
    CHECK_EQ_INT(rq_highest(&rq), -1);
    CHECK_EQ_INT(rq_push(&rq, &it[26].link, 2), 0);
    CHECK_EQ_INT(rq_remove(&rq, &it[26].link, 2), 0);
    CHECK_EQ_INT(rq.nonempty, 0);

    /* rq_find_if: the highest priority first, FIFO within it, only what it accepts; nothing
     * is removed. */
    CHECK(rq_find_if(&rq, is_odd, NULL, &p) == NULL);
    CHECK_EQ_INT(rq_push(&rq, &it[4].link, 6), 0);
    CHECK_EQ_INT(rq_push(&rq, &it[12].link, 6), 0);
    CHECK_EQ_INT(rq_push(&rq, &it[9].link, 2), 0);
    CHECK_EQ_INT(rq_push(&rq, &it[15].link, 6), 0);
    CHECK_EQ_INT(rq_push(&rq, &it[7].link, 6), 0);
    p = 99;
    CHECK(rq_find_if(&rq, is_odd, NULL, &p) == &it[15].link && p == 6);
    CHECK(rq_find_if(&rq, never, NULL, &p) == NULL);
    CHECK_EQ_INT(rq_remove(&rq, &it[15].link, 6), 0);
    CHECK(rq_find_if(&rq, is_odd, NULL, &p) == &it[7].link && p == 6);
    CHECK_EQ_INT(rq_remove(&rq, &it[7].link, 6), 0);
    CHECK(rq_find_if(&rq, is_odd, NULL, &p) == &it[9].link && p == 2);
    CHECK(rq_pop(&rq, &p) == &it[4].link && p == 6);
    CHECK(rq_pop(&rq, &p) == &it[12].link && p == 6);
    CHECK(rq_pop(&rq, &p) == &it[9].link && p == 2);
    CHECK_EQ_INT(rq.nonempty, 0);

    /* Randomized against a model: per priority FIFO arrays. */
    int model[RQ_PRIORITIES][N], mhead[RQ_PRIORITIES] = {0}, mtail[RQ_PRIORITIES] = {0};
    srand(42);
    for (int step = 0; step < 200000; step++) {
        int i = rand() % N;
        if (rand() % 2 && !it[i].link.queued) {
            unsigned pr = (unsigned)(rand() % RQ_PRIORITIES);
            CHECK_EQ_INT(rq_push(&rq, &it[i].link, pr), 0);
            it[i].prio = pr;
            model[pr][mtail[pr]++ % N] = i;
        } else {
            int best = -1;
            for (int q = RQ_PRIORITIES - 1; q >= 0 && best < 0; q--)
                if (mhead[q] != mtail[q])
                    best = q;
            struct rq_link *l = rq_pop(&rq, &p);
            if (best < 0) {
                CHECK(l == NULL);
                continue;
            }
            int want = model[best][mhead[best]++ % N];
            CHECK(l == &it[want].link);
            CHECK_EQ_INT(p, best);
        }
        if (check_failed_count)
            break;
    }
    return check_report("runqueue_test");
}
