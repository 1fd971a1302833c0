/* Wait queues. A blocked task is on exactly one wait queue (FIFO) and, for a timed wait, also on
 * the scheduler's deadline list; whichever happens first — a wake-up, the deadline, a kill —
 * takes it off both. Everything here runs with the scheduler lock held. */
#include <keel/errno.h>
#include "task_internal.h"

void waitq_remove(struct waitq *wq, struct task *t)
{
    struct task *prev = 0;
    for (struct task *p = wq->head; p; prev = p, p = p->next) {
        if (p != t)
            continue;
        if (prev)
            prev->next = t->next;
        else
            wq->head = t->next;
        if (wq->tail == t)
            wq->tail = prev;
        t->next = 0;
        return;
    }
}

/* Take a blocked task off its queue and deadline, and make it ready with `result`. */
static void wake(struct task *t, int result)
{
    if (t->waiting_on) {
        waitq_remove(t->waiting_on, t);
        t->waiting_on = 0;
    }
    if (t->deadline_ns) {
        sched_sleep_remove(t);
        t->deadline_ns = 0;
    }
    t->wake_result = result;
    t->recovery_held =
        false; /* a held respawn that is killed starts, and ends at once (task_start) */
    sched_make_ready(t);
}

int waitq_wait(struct waitq *wq, uint64_t deadline_ns)
{
    struct task *t = task_current();
    if (!t)
        return KE_INVAL; /* before tasking starts nothing can wake us */
    if (t->kill_requested)
        return KE_KILLED;
    t->next = 0;
    if (wq->tail)
        wq->tail->next = t;
    else
        wq->head = t;
    wq->tail = t;
    t->waiting_on = wq;
    t->wake_result = 0;
    t->state = TASK_BLOCKED;
    t->deadline_ns = deadline_ns;
    if (deadline_ns)
        sched_sleep_insert(t);
    sched_switch();
    return t->wake_result;
}

int waitq_wake_one(struct waitq *wq)
{
    if (!wq->head)
        return 0;
    wake(wq->head, 0);
    return 1;
}

int waitq_wake_all(struct waitq *wq)
{
    int n = 0;
    while (wq->head) {
        wake(wq->head, 0);
        n++;
    }
    return n;
}

/* The deadline passed (called by the timer tick, already off the deadline list). */
void waitq_timeout(struct task *t)
{
    t->deadline_ns = 0;
    wake(t, KE_TIMEDOUT);
}

/* task_kill of a blocked task: it wakes with KE_KILLED. */
void waitq_interrupt(struct task *t)
{
    if (t->state == TASK_BLOCKED)
        wake(t, KE_KILLED);
}
