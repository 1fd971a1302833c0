/* Sleepers: each round a sleeper takes a unit of a semaphore that lets only a few in at a time,
 * sleeps a drawn time (20 us .. 1 ms) and gives the unit back. A sleep must last at least what
 * was asked (task_sleep_ns promises "at least"), and no more sleepers than the semaphore's units
 * may be inside at once. Sleepers wake through the timer of whichever CPU ticks first, and take
 * the semaphore's wait queue across CPUs. */
#include <keel/atomic.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/sync.h>
#include "commands/smpstress/ss.h"

static struct semaphore gate = SEMAPHORE_INIT(1);
static unsigned units;
static atomic_u32 inside;

void smpstress_sleep_reset(unsigned sleepers)
{
    units = sleepers > 2 ? sleepers / 2 : 1;
    semaphore_init(&gate, units);
    atomic_store_u32(&inside, 0, MO_RELAXED);
}

unsigned smpstress_sleep_gate(void)
{
    return units;
}

int smpstress_sleeper(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    struct ss_rng rng = ss_rng_of(job);
    for (r->rounds = 0; ss_more(job, r->rounds); r->rounds++) {
        uint64_t ns = 20000 + ss_next(&rng) % 980000;
        int e = semaphore_down(&gate);
        if (e)
            return ss_fail(r, e, "semaphore_down: %s", keel_strerror(e));
        uint32_t now = atomic_fetch_add_u32(&inside, 1, MO_ACQ_REL) + 1;
        if (now > r->c.gate_max)
            r->c.gate_max = now;
        if (now > units) {
            r->c.gate_bad++;
            ss_fail(r, SS_WRONG, "%u sleepers inside a semaphore of %u units", now, units);
        }
        uint64_t t0 = clock_ns();
        e = task_sleep_ns(ns);
        uint64_t slept = clock_ns() - t0;
        atomic_fetch_sub_u32(&inside, 1, MO_ACQ_REL);
        semaphore_up(&gate);
        if (e)
            return ss_fail(r, e, "task_sleep_ns: %s", keel_strerror(e));
        r->c.sleeps++;
        if (slept < ns) {
            r->c.early++;
            ss_fail(r, SS_WRONG, "a sleep of %llu ns returned after %llu ns",
                    (unsigned long long)ns, (unsigned long long)slept);
        }
    }
    return r->status;
}
