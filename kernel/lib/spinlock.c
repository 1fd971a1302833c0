#include <keel/spinlock.h>
#include <keel/core/x86.h>

/* Spinlocks held right now (one CPU): a fault taken while any is held belongs to the core,
 * never to a task that could be killed with the lock still taken. */
static unsigned held;

unsigned spin_held_count(void)
{
    return held;
}

int spin_lock(struct spinlock *l)
{
    int irq = irq_save();
    while (atomic_exchange_u32(&l->locked, 1, MO_ACQUIRE))
        cpu_relax();
    held++;
    return irq;
}

void spin_unlock(struct spinlock *l, int irq_state)
{
    held--;
    atomic_store_u32(&l->locked, 0, MO_RELEASE);
    irq_restore(irq_state);
}

int spin_trylock_bounded(struct spinlock *l, unsigned spins, int *irq_state)
{
    int irq = irq_save();
    for (unsigned i = 0; i <= spins; i++) {
        if (!atomic_exchange_u32(&l->locked, 1, MO_ACQUIRE)) {
            held++;
            *irq_state = irq;
            return 1;
        }
        cpu_relax();
    }
    irq_restore(irq);
    return 0;
}
