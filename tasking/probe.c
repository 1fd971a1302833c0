/* The fault injector's view of a task (keel/task.h: task_heap_owner, task_with_stack): what it
 * needs to corrupt a block a task owns or a word of its stack, and nothing more. */
#include <keel/errno.h>
#include "task_internal.h"

int task_heap_owner(task_id_t id, uint32_t *owner)
{
    int irq = sched_lock();
    struct task *t = task_by_id_locked(id);
    if (t)
        *owner = t->owner;
    sched_unlock(irq);
    return t ? 0 : KE_NOENT;
}

int task_with_stack(task_id_t id, int (*fn)(void *ctx, uint64_t rsp, uint64_t top), void *ctx)
{
    int irq = sched_lock();
    struct task *t = task_by_id_locked(id);
    int rc;
    if (!t || t->state == TASK_DEAD)
        rc = KE_NOENT;
    else if (t == task_current() || task_running_elsewhere(t))
        rc = KE_BUSY; /* its stack is changing under us */
    else if (t->saved_rsp < t->stack.base || t->saved_rsp >= t->stack.top)
        rc = KE_NOENT; /* never ran, or no stack of its own: nothing live to corrupt */
    else
        rc = fn(ctx, t->saved_rsp, t->stack.top);
    sched_unlock(irq);
    return rc;
}
