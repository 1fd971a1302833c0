/* Wait queues: FIFO lists of blocked tasks, the building block of every blocking primitive. */
#ifndef KEEL_WAITQ_H
#define KEEL_WAITQ_H
#include <stdint.h>

struct task;
struct waitq {
    struct task *head, *tail;
};
#define WAITQ_INIT {0, 0}

/* Block the running task on wq until woken, or until deadline_ns (clock_ns(); 0 = none).
 * Returns 0 when woken, KE_TIMEDOUT, or KE_KILLED. Call with interrupts off (sched_lock held):
 * the check of the condition and the sleep are then atomic; the lock is held again on return. */
int waitq_wait(struct waitq *wq, uint64_t deadline_ns);
/* Wake the first waiter (returns 1) or nobody (0); wake_all returns the number woken.
 * Call with the scheduler lock held. */
int waitq_wake_one(struct waitq *wq);
int waitq_wake_all(struct waitq *wq);

/* The scheduler lock: one lock (interrupts off) protects every task and wait-queue list. */
int sched_lock(void);
void sched_unlock(int irq_state);

#endif
