/* Stop the world (keel/core/world.h): an IPI rendezvous. The stopper sends VECTOR_STOP to every
 * other CPU and waits until each one has arrived in its handler, where it spins with interrupts
 * off until released; then it takes the scheduler lock. A CPU can only take the IPI with
 * interrupts on, that is holding no spinlock, so once all have arrived none holds one and the
 * scheduler lock is free to take. A CPU that keeps interrupts off past the deadline makes the
 * stop fail cleanly: the ones that arrived are released, a late one returns at once when it
 * arrives (its round is over), and nothing was changed.
 *
 * Rounds are numbered: a handler waits for the release of its own round, so a late arrival
 * from a failed round never holds up or confuses the next one. Two stoppers take turns through
 * `stopper`, waiting with interrupts on so that each can still answer the other's IPI. */
#include <keel/clock.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/core/cpu_local.h>
#include <keel/waitq.h>
#include <keel/core/tasking.h>
#include <keel/core/world.h>
#include <keel/core/x86.h>
#include "arch/apic.h"
#include "arch/trap.h"

static atomic_u32 stopper;  /* 1 while a stop is in progress (or being set up) */
static atomic_u64 round_no; /* the current round (odd: stopping; its release makes it even) */
static atomic_u64 released; /* the last round released */
static atomic_u32 arrived;  /* CPUs parked in the current round */

/* Parked: counted in (after the task's context is saved), then spinning until released. */
static void wait_release(void *arg)
{
    uint64_t round = *(const uint64_t *)arg;
    atomic_fetch_add_u32(&arrived, 1, MO_ACQ_REL);
    while (atomic_load_u64(&released, MO_ACQUIRE) < round)
        cpu_relax();
}

static void stop_irq(struct trap_frame *f)
{
    struct cpu_local *c = cpu_local();
    apic_eoi();
    uint64_t round = atomic_load_u64(&round_no, MO_ACQUIRE);
    if (atomic_load_u64(&released, MO_ACQUIRE) >= round)
        return; /* a late arrival: that round is over */
    c->stopped_frame = f;
    sched_park_here(f, wait_release, &round);
    c->stopped_frame = 0;
}

int world_init(void)
{
    return irq_register(VECTOR_STOP, stop_irq);
}

static void take_turn(void)
{
    uint32_t free_ = 0;
    while (!atomic_cas_u32(&stopper, &free_, 1, MO_ACQUIRE, MO_RELAXED)) {
        free_ = 0;
        cpu_relax(); /* interrupts on: this CPU answers the current stopper's IPI meanwhile */
    }
}

static void end_round(uint64_t round)
{
    atomic_store_u64(&released, round, MO_RELEASE);
}

int world_stop(uint64_t timeout_ns, int *irq_state, unsigned *late_cpu)
{
    take_turn();
    unsigned n = cpu_count(), self;
    int irq = irq_save();
    self = cpu_self();
    uint64_t round = atomic_load_u64(&round_no, MO_RELAXED) + 1;
    atomic_store_u32(&arrived, 0, MO_RELAXED);
    atomic_store_u64(&round_no, round, MO_RELEASE);
    uint64_t start = clock_ns();
    for (unsigned i = 0; i < n; i++)
        if (i != self)
            apic_send_ipi(cpu_apic_id(i), VECTOR_STOP);
    while (atomic_load_u32(&arrived, MO_ACQUIRE) < n - 1) {
        if (clock_ns() - start >= timeout_ns) {
            /* Name a CPU that has not arrived (no frame parked), before anyone is released. */
            for (unsigned i = 0; i < n; i++) {
                struct cpu_local *c = cpu_local_of(i);
                if (i != self && c && !c->stopped_frame) {
                    *late_cpu = i;
                    break;
                }
            }
            end_round(round);
            irq_restore(irq);
            atomic_store_u32(&stopper, 0, MO_RELEASE);
            return KE_TIMEDOUT;
        }
        cpu_relax();
    }
    /* Everyone else is parked with interrupts off, so the scheduler lock is free. Interrupts
     * stay off here until world_resume; its unlock restores them as they were at the call. */
    (void)sched_lock();
    *irq_state = irq;
    return 0;
}

void world_resume(int irq_state)
{
    end_round(atomic_load_u64(&round_no, MO_RELAXED));
    /* The turn is given up before the unlock, which may switch this task away for a while. */
    atomic_store_u32(&stopper, 0, MO_RELEASE);
    sched_unlock(irq_state);
}
