/* Lockers: a plain counter in the cell's data, incremented by a read, a pause and a write under
 * one mutex, by two tasks pinned to each CPU and two that roam. Only mutual exclusion keeps every
 * increment: a lost one shows as a total below the exact expected one. The pause is sometimes a
 * yield while holding the mutex, so that the others queue on it and it is handed over between
 * CPUs; now and then the lock is taken with trylock and a yield between tries. Each locker counts
 * its own increments: their sum is what the counter must read at the end. */
#include <keel/atomic.h>
#include <keel/errno.h>
#include <keel/sync.h>
#include "commands/smpstress/ss.h"

static struct mutex lock = MUTEX_INIT;
static volatile uint64_t counter; /* only under lock */

void smpstress_lock_reset(void)
{
    mutex_init(&lock);
    counter = 0;
}

uint64_t smpstress_lock_counter(void)
{
    return counter;
}

/* Take the lock, by mutex_lock or by trylock and yields: 0 (held) or an error to stop at. */
static int take(struct ss_ret *r, bool try_first)
{
    for (;;) {
        int e = try_first ? mutex_trylock(&lock) : mutex_lock(&lock);
        if (e == KE_AGAIN) {
            task_yield();
            continue;
        }
        if (e == KE_OWNERDEAD) { /* held, but its last holder died: nothing of ours does */
            r->c.ownerdead++;
            ss_fail(r, SS_WRONG, "the counter's mutex says its owner died");
            return 0;
        }
        return e;
    }
}

int smpstress_locker(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    struct ss_rng rng = ss_rng_of(job);
    for (r->rounds = 0; ss_more(job, r->rounds); r->rounds++) {
        for (unsigned i = 0; i < SS_INCS_PER_ROUND; i++) {
            uint64_t x = ss_next(&rng);
            int e = take(r, x % 4 == 0);
            if (e)
                return ss_fail(r, e, "mutex_lock: %s", keel_strerror(e));
            uint64_t v = counter;
            if ((x >> 8) % 8 == 0)
                task_yield(); /* hold it across a switch: the others must wait for us */
            else
                for (unsigned spin = (unsigned)(x >> 16) % 64; spin; spin--)
                    atomic_signal_fence(MO_SEQ_CST);
            counter = v + 1;
            e = mutex_unlock(&lock);
            if (e)
                return ss_fail(r, e, "mutex_unlock: %s", keel_strerror(e));
            r->c.incs++;
        }
    }
    return r->status;
}
