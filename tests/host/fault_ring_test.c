/* Host tests of the fault log's ring (tasking/fault_ring.c): sequence numbers from 1, the newest
 * FAULT_RING_SIZE kept across wrap-around with the count of dropped records, clearing (the
 * numbers go on; nothing before the clear is returned or counted as dropped), and records kept
 * whole. */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "fault_ring.h"

static struct task_fault_record rec(uint64_t task)
{
    struct task_fault_record r;
    memset(&r, 0, sizeof(r));
    r.task = task;
    r.time_ns = task * 1000;
    r.step = FAULT_STEP_ENDED;
    r.fault.vector = 14;
    r.fault.cr2 = task * 8;
    strcpy(r.fault.cell, "faulty");
    r.fault.cell_version = 1;
    return r;
}

static void test_empty(void)
{
    static struct fault_ring r;
    struct task_fault_log_stats st;
    struct task_fault_record out;
    fault_ring_stats(&r, &st);
    CHECK_EQ_U64(st.written, 0);
    CHECK_EQ_U64(st.held, 0);
    CHECK_EQ_U64(st.dropped, 0);
    CHECK_EQ_U64(st.capacity, FAULT_RING_SIZE);
    CHECK_EQ_U64(fault_ring_first(&r), 1);
    CHECK(!fault_ring_get(&r, 0, &out));
    CHECK(!fault_ring_get(&r, 1, &out));
}

static void test_put_get(void)
{
    static struct fault_ring r;
    struct task_fault_record in = rec(7), out;
    in.seq = 99; /* the ring numbers records itself */
    CHECK_EQ_U64(fault_ring_put(&r, &in), 1);
    CHECK(fault_ring_get(&r, 1, &out));
    CHECK_EQ_U64(out.seq, 1);
    CHECK_EQ_U64(out.task, 7);
    CHECK_EQ_U64(out.fault.cr2, 56);
    CHECK_EQ_STR(out.fault.cell, "faulty");
    CHECK(!fault_ring_get(&r, 2, &out));
}

static void test_wrap(void)
{
    static struct fault_ring r;
    const uint64_t total = 3 * FAULT_RING_SIZE + 5;
    for (uint64_t i = 1; i <= total; i++) {
        struct task_fault_record in = rec(i);
        CHECK_EQ_U64(fault_ring_put(&r, &in), i);
    }
    struct task_fault_log_stats st;
    fault_ring_stats(&r, &st);
    CHECK_EQ_U64(st.written, total);
    CHECK_EQ_U64(st.held, FAULT_RING_SIZE);
    CHECK_EQ_U64(st.dropped, total - FAULT_RING_SIZE);
    CHECK_EQ_U64(fault_ring_first(&r), total - FAULT_RING_SIZE + 1);
    struct task_fault_record out;
    CHECK(!fault_ring_get(&r, total - FAULT_RING_SIZE, &out)); /* overwritten */
    for (uint64_t s = total - FAULT_RING_SIZE + 1; s <= total; s++) {
        CHECK(fault_ring_get(&r, s, &out));
        CHECK_EQ_U64(out.seq, s);
        CHECK_EQ_U64(out.task, s); /* the record put as number s, whole */
    }
    CHECK(!fault_ring_get(&r, total + 1, &out));
}

static void test_clear(void)
{
    static struct fault_ring r;
    for (uint64_t i = 1; i <= FAULT_RING_SIZE + 3; i++) {
        struct task_fault_record in = rec(i);
        fault_ring_put(&r, &in);
    }
    fault_ring_clear(&r);
    struct task_fault_log_stats st;
    fault_ring_stats(&r, &st);
    CHECK_EQ_U64(st.held, 0);
    CHECK_EQ_U64(st.dropped, 0);
    CHECK_EQ_U64(st.cleared, FAULT_RING_SIZE + 3);
    struct task_fault_record out;
    CHECK(!fault_ring_get(&r, FAULT_RING_SIZE + 3, &out));
    /* After the clear: numbers go on; a few are held, none dropped until the ring wraps. */
    for (uint64_t i = 1; i <= 4; i++) {
        struct task_fault_record in = rec(100 + i);
        CHECK_EQ_U64(fault_ring_put(&r, &in), FAULT_RING_SIZE + 3 + i);
    }
    fault_ring_stats(&r, &st);
    CHECK_EQ_U64(st.held, 4);
    CHECK_EQ_U64(st.dropped, 0);
    CHECK_EQ_U64(fault_ring_first(&r), FAULT_RING_SIZE + 4);
    CHECK(fault_ring_get(&r, FAULT_RING_SIZE + 4, &out) && out.task == 101);
    for (uint64_t i = 5; i <= FAULT_RING_SIZE + 2; i++) {
        struct task_fault_record in = rec(100 + i);
        fault_ring_put(&r, &in);
    }
    fault_ring_stats(&r, &st);
    CHECK_EQ_U64(st.held, FAULT_RING_SIZE);
    CHECK_EQ_U64(st.dropped, 2);
}

int main(void)
{
    test_empty();
    test_put_get();
    test_wrap();
    test_clear();
    return check_report("fault_ring_test");
}
