/* Producers and consumers: a bounded buffer of a few items behind a mutex and two condition
 * variables (not full, not empty), so that tasks on different CPUs block on wait queues and wake
 * each other all the time. A producer is pinned to each CPU and a consumer to the next; each
 * item is a value drawn from the producer's seed. The sums of the values put and taken, and
 * their counts, must be equal. When the last producer is done it wakes every consumer, which
 * take what is left and stop at an empty buffer. */
#include <keel/errno.h>
#include <keel/sync.h>
#include "commands/smpstress/ss.h"

#define RING 8

static struct mutex lock = MUTEX_INIT;
static struct condvar not_full = CONDVAR_INIT, not_empty = CONDVAR_INIT;
static uint64_t ring[RING];
static unsigned head, count, producers, producers_done; /* under lock */

void smpstress_buffer_reset(unsigned nproducers)
{
    mutex_init(&lock);
    condvar_init(&not_full);
    condvar_init(&not_empty);
    head = count = producers_done = 0;
    producers = nproducers;
}

void smpstress_buffer_producer_done(void)
{
    if (mutex_lock(&lock) == 0 || mutex_held(&lock)) {
        producers_done++;
        condvar_broadcast(&not_empty);
        mutex_unlock(&lock);
    }
}

/* mutex_lock for these workers: 0, or an error after recording it. */
static int lock_buffer(struct ss_ret *r)
{
    int e = mutex_lock(&lock);
    if (e == KE_OWNERDEAD) {
        r->c.ownerdead++;
        return ss_fail(r, SS_WRONG, "the buffer's mutex says its owner died");
    }
    return e ? ss_fail(r, e, "mutex_lock: %s", keel_strerror(e)) : 0;
}

/* condvar_wait: 0 (lock held), or an error after recording it (lock held or not: see
 * docs/sync-and-channels.md; the caller checks mutex_held before unlocking). */
static int wait_on(struct ss_ret *r, struct condvar *c)
{
    int e = condvar_wait(c, &lock);
    if (e == KE_OWNERDEAD) {
        r->c.ownerdead++;
        return ss_fail(r, SS_WRONG, "the buffer's mutex says its owner died");
    }
    return e ? ss_fail(r, e, "condvar_wait: %s", keel_strerror(e)) : 0;
}

static void unlock_buffer(void)
{
    if (mutex_held(&lock))
        mutex_unlock(&lock);
}

int smpstress_producer(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    struct ss_rng rng = ss_rng_of(job);
    for (r->rounds = 0; ss_more(job, r->rounds) && !r->status; r->rounds++) {
        for (unsigned i = 0; i < SS_ITEMS_PER_ROUND; i++) {
            uint64_t v = ss_next(&rng);
            if (lock_buffer(r))
                break;
            while (count == RING && !r->status)
                wait_on(r, &not_full);
            if (r->status) {
                unlock_buffer();
                break;
            }
            ring[(head + count++) % RING] = v;
            condvar_signal(&not_empty);
            unlock_buffer();
            r->c.put++;
            r->c.put_sum += v;
        }
    }
    smpstress_buffer_producer_done(); /* also after a failure */
    return r->status;
}

int smpstress_consumer(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    for (;;) {
        if (lock_buffer(r))
            break;
        while (count == 0 && producers_done < producers && !r->status)
            wait_on(r, &not_empty);
        if (r->status || count == 0) { /* a failure, or every producer is done */
            unlock_buffer();
            break;
        }
        uint64_t v = ring[head];
        head = (head + 1) % RING;
        count--;
        condvar_signal(&not_full);
        unlock_buffer();
        r->c.got++;
        r->c.got_sum += v;
    }
    (void)job;
    r->rounds = r->c.got;
    return r->status;
}
