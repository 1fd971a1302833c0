/* Spinlocks that also keep interrupts off while held, so an interrupt handler on the same CPU
 * can never deadlock against the code it interrupted. */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H
#include <keel/atomic.h>

struct spinlock {
    atomic_u32 locked;
};
#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Returns the interrupt state to pass to spin_unlock. */
int spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l, int irq_state);
/* For panic paths: take the lock if it is free within a bounded wait; returns 1 if taken. */
int spin_trylock_bounded(struct spinlock *l, unsigned spins, int *irq_state);

/* How many spinlocks are held now (fault containment refuses to kill a task holding one). */
unsigned spin_held_count(void);

#endif
