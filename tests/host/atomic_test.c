/* keel/atomic.h: every width and operation, and a multi-threaded counter that would lose updates
 * without atomic read-modify-write. */
#include <pthread.h>
#include <keel/atomic.h>
#include "check.h"

#define THREADS 4
#define ITERS   200000

static atomic_u64 counter;
static atomic_u32 lock_word;
static uint64_t guarded; /* protected by lock_word, a test-and-set lock built from exchange */

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        atomic_fetch_add_u64(&counter, 1, MO_RELAXED);
        while (atomic_exchange_u32(&lock_word, 1, MO_ACQUIRE))
            ;
        guarded++;
        atomic_store_u32(&lock_word, 0, MO_RELEASE);
    }
    return NULL;
}

int main(void)
{
    atomic_u8 a8 = {0};
    atomic_u16 a16 = {0};
    atomic_u32 a32 = {0};
    atomic_u64 a64 = {0};

    atomic_store_u8(&a8, 250, MO_RELAXED);
    CHECK_EQ_INT(atomic_fetch_add_u8(&a8, 10, MO_SEQ_CST), 250);
    CHECK_EQ_INT(atomic_load_u8(&a8, MO_ACQUIRE), 4); /* wraps at 8 bits */
    atomic_store_u16(&a16, 0xff00, MO_RELEASE);
    CHECK_EQ_INT(atomic_fetch_or_u16(&a16, 0x00ff, MO_ACQ_REL), 0xff00);
    CHECK_EQ_INT(atomic_fetch_and_u16(&a16, 0x0ff0, MO_ACQ_REL), 0xffff);
    CHECK_EQ_INT(atomic_fetch_xor_u16(&a16, 0x0ff0, MO_ACQ_REL), 0x0ff0);
    CHECK_EQ_INT(atomic_load_u16(&a16, MO_SEQ_CST), 0);

    atomic_store_u32(&a32, 5, MO_SEQ_CST);
    uint32_t expected = 4;
    CHECK(!atomic_cas_u32(&a32, &expected, 9, MO_ACQ_REL, MO_ACQUIRE));
    CHECK_EQ_INT(expected, 5); /* failure reports the current value */
    CHECK(atomic_cas_u32(&a32, &expected, 9, MO_ACQ_REL, MO_ACQUIRE));
    CHECK_EQ_INT(atomic_load_u32(&a32, MO_RELAXED), 9);
    CHECK_EQ_INT(atomic_exchange_u32(&a32, 1, MO_SEQ_CST), 9);
    CHECK_EQ_INT(atomic_fetch_sub_u32(&a32, 2, MO_RELEASE), 1);
    CHECK_EQ_U64(atomic_load_u32(&a32, MO_RELAXED), 0xffffffffu);

    atomic_store_u64(&a64, UINT64_MAX - 1, MO_RELAXED);
    CHECK_EQ_U64(atomic_fetch_add_u64(&a64, 3, MO_RELAXED), UINT64_MAX - 1);
    CHECK_EQ_U64(atomic_load_u64(&a64, MO_RELAXED), 1);

    int x = 0, y = 0;
    atomic_ptr p = {&x};
    void *old = &y;
    CHECK(!atomic_cas_ptr(&p, &old, &y, MO_SEQ_CST, MO_SEQ_CST));
    CHECK(old == &x);
    CHECK(atomic_exchange_ptr(&p, &y, MO_ACQ_REL) == &x);
    CHECK(atomic_load_ptr(&p, MO_ACQUIRE) == &y);
    atomic_fence(MO_SEQ_CST);
    atomic_signal_fence(MO_SEQ_CST);

    CHECK(sizeof(atomic_u16) == 2 && _Alignof(atomic_u64) == 8);

    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_U64(atomic_load_u64(&counter, MO_SEQ_CST), (uint64_t)THREADS * ITERS);
    CHECK_EQ_U64(guarded, (uint64_t)THREADS * ITERS);
    return check_report("atomic_test");
}
