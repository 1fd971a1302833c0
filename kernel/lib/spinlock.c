#include <keel/spinlock.h>
#include <keel/core/cpu_local.h>
#include <keel/core/x86.h>

/* Spinlocks held right now on this CPU (struct cpu_local): a fault taken while any is held
 * belongs to the core, never to a task that could be killed with the lock still taken. A
 * spinlock keeps interrupts off, so the holder cannot move to another CPU while it counts. */
unsigned spin_held_count(void)
{
    int irq = irq_save(); /* one CPU's count: no move to another between finding it and reading */
    unsigned n = cpu_local()->spins_held;
    irq_restore(irq);
    return n;
}

int spin_lock(struct spinlock *l)
{
    int irq = irq_save();
    while (atomic_exchange_u32(&l->locked, 1, MO_ACQUIRE))
        cpu_relax();
    cpu_local()->spins_held++;
    return irq;
}

void spin_unlock(struct spinlock *l, int irq_state)
{
    cpu_local()->spins_held--;
    atomic_store_u32(&l->locked, 0, MO_RELEASE);
    irq_restore(irq_state);
}

int spin_trylock_bounded(struct spinlock *l, unsigned spins, int *irq_state)
{
    int irq = irq_save();
    for (unsigned i = 0; i <= spins; i++) {
        if (!atomic_exchange_u32(&l->locked, 1, MO_ACQUIRE)) {
            cpu_local()->spins_held++;
            *irq_state = irq;
            return 1;
        }
        cpu_relax();
    }
    irq_restore(irq);
    return 0;
}
