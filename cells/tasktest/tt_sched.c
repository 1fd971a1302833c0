/* tasktest: scheduling — strict priorities, round robin within a priority, sleep bounds. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/string.h>
#include "tt.h"

static volatile int order[8];
static volatile int norder;

static int entry_tag(const void *arg, void *ret)
{
    int n = norder;
    if (n < 8)
        order[n] = *(const int *)arg;
    norder = n + 1;
    return 0;
}

void tasktest_t_priority_order(void)
{
    unsigned me = tasktest_self_priority();
    REQUIRE(me >= TASK_PRIO_MIN + 2, "the suite runs at priority %u; need 3 or more", me);
    norder = 0;
    int low = 1, high = 2;
    task_id_t lid, hid;
    struct task_result r;
    /* Both below the suite: neither runs until the suite blocks; then the higher one must run
     * first although it was spawned second. */
    int e = tasktest_spawn("tt_low", entry_tag, &low, sizeof(low), 0, me - 2, 0, &lid);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_spawn("tt_high", entry_tag, &high, sizeof(high), 0, me - 1, 0, &hid);
    if (e) {
        tasktest_join(lid, &r);
        REQUIRE(0, "spawn: %s", tasktest_err(e));
    }
    CHECK(norder == 0, "a lower-priority task ran while the suite was runnable");
    e = tasktest_join(lid, &r);
    CHECK(e == 0, "join: %s", tasktest_err(e));
    e = tasktest_join(hid, &r);
    CHECK(e == 0, "join: %s", tasktest_err(e));
    CHECK(norder == 2 && order[0] == high && order[1] == low,
          "ran in the order %d, %d (%d tasks): the higher priority must run first", order[0],
          order[1], norder);
}

void tasktest_t_priority_preempt(void)
{
    unsigned me = tasktest_self_priority();
    REQUIRE(me < TASK_PRIO_MAX, "the suite runs at the top priority");
    norder = 0;
    int tag = 3;
    task_id_t id;
    struct task_result r;
    int e = tasktest_spawn("tt_urgent", entry_tag, &tag, sizeof(tag), 0, me + 1, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    int seen = norder; /* a higher-priority task runs before task_spawn returns */
    e = tasktest_join(id, &r);
    CHECK(e == 0, "join: %s", tasktest_err(e));
    CHECK(seen == 1 && order[0] == tag,
          "a task spawned with a higher priority had not run when task_spawn returned");
}

/* Two busy tasks of one priority: with round robin each sees the other make progress between
 * its own slices. They run until both have seen it RR_SEEN times, or for at most RR_TICKS timer
 * ticks: a slice is one tick, so the bound counts chances to switch, not time, and a slow host
 * changes nothing. */
#define RR_SEEN  3
#define RR_TICKS 50
static volatile uint64_t rr_count[2];
static volatile unsigned rr_seen_other[2];
static volatile uint64_t rr_ticks[2];

static int entry_rr(const void *arg, void *ret)
{
    int me = *(const int *)arg, other = 1 - me;
    uint64_t start = timer_ticks();
    uint64_t last = rr_count[other];
    while ((rr_seen_other[0] < RR_SEEN || rr_seen_other[1] < RR_SEEN) &&
           timer_ticks() - start < RR_TICKS) {
        rr_count[me]++;
        uint64_t o = rr_count[other];
        if (o != last) {
            rr_seen_other[me]++;
            last = o;
        }
    }
    rr_ticks[me] = timer_ticks() - start;
    return 0;
}

void tasktest_t_round_robin(void)
{
    unsigned me = tasktest_self_priority();
    REQUIRE(me > TASK_PRIO_MIN, "the suite runs at the lowest priority");
    memset((void *)rr_count, 0, sizeof(rr_count));
    memset((void *)rr_seen_other, 0, sizeof(rr_seen_other));
    memset((void *)rr_ticks, 0, sizeof(rr_ticks));
    int a = 0, b = 1;
    task_id_t ia, ib;
    struct task_result r;
    int e = tasktest_spawn("tt_rr_a", entry_rr, &a, sizeof(a), 0, me - 1, 0, &ia);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_spawn("tt_rr_b", entry_rr, &b, sizeof(b), 0, me - 1, 0, &ib);
    if (e) {
        tasktest_join(ia, &r);
        REQUIRE(0, "spawn: %s", tasktest_err(e));
    }
    e = tasktest_join(ia, &r);
    CHECK(e == 0, "join: %s", tasktest_err(e));
    e = tasktest_join(ib, &r);
    CHECK(e == 0, "join: %s", tasktest_err(e));
    CHECK(rr_count[0] && rr_count[1], "a task never ran (%llu, %llu iterations)",
          (unsigned long long)rr_count[0], (unsigned long long)rr_count[1]);
    CHECK(rr_seen_other[0] >= RR_SEEN && rr_seen_other[1] >= RR_SEEN,
          "no round robin: in %llu and %llu timer ticks (one-tick slices), A saw B progress %u "
          "times, B saw A %u times (want %d)",
          (unsigned long long)rr_ticks[0], (unsigned long long)rr_ticks[1], rr_seen_other[0],
          rr_seen_other[1], RR_SEEN);
}

void tasktest_t_sleep_bounds(void)
{
    static const uint64_t ms[] = {1, 5, 20, 20};
    for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        uint64_t t0 = clock_ns();
        int e = task_sleep_ns(TT_MS(ms[i]));
        uint64_t dt = clock_ns() - t0;
        CHECK(e == 0, "task_sleep_ns: %s", tasktest_err(e));
        CHECK(dt >= TT_MS(ms[i]), "sleep(%llu ms) returned after %llu us",
              (unsigned long long)ms[i], (unsigned long long)(dt / 1000));
    }
    int e = task_sleep_ns(0);
    CHECK(e == 0, "task_sleep_ns(0): %s", tasktest_err(e));
    /* Sleeping does not burn CPU: the suite's cpu time grows by much less than the sleep. */
    struct task_info a, b;
    task_info(task_self(), &a);
    uint64_t t0 = clock_ns();
    task_sleep_ns(TT_MS(40));
    uint64_t dt = clock_ns() - t0;
    task_info(task_self(), &b);
    CHECK(b.cpu_ns - a.cpu_ns < dt / 2, "sleeping %llu us cost %llu us of CPU time",
          (unsigned long long)(dt / 1000), (unsigned long long)((b.cpu_ns - a.cpu_ns) / 1000));
}
