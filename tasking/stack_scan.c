/* Task stacks for the reclaimer's conservative scan (keel/core/task_stacks.h). */
#include <keel/core/task_stacks.h>
#include <keel/core/trap.h>
#include "task_internal.h"

static void visit(struct task *t, void (*fn)(void *ctx, const struct task_stack_view *v), void *ctx)
{
    struct task_stack_view v = {
        .id = t->id,
        .name = t->name,
        .hi = t->stack.top,
        .preempted = t->preempted,
    };
    /* The caller's own live frames start here; everything below is this function's. */
    v.lo = t == task_current() ? (uint64_t)(uintptr_t)__builtin_frame_address(0) : t->saved_rsp;
    v.running = task_running_elsewhere(t);
    if (v.running)
        v.lo = t->stack.base; /* running on another CPU: all of it may be live */
    else if (v.lo < t->stack.base || v.lo > v.hi)
        v.lo = v.hi; /* not on its own stack (not started on it yet): nothing live there */
    if (v.preempted &&
        ((uint64_t)(uintptr_t)v.preempted < v.lo || (uint64_t)(uintptr_t)v.preempted >= v.hi))
        v.preempted = 0;
    fn(ctx, &v);
}

task_id_t task_stack_visit_next(task_id_t after,
                                void (*fn)(void *ctx, const struct task_stack_view *v), void *ctx)
{
    int irq = sched_lock();
    struct task *t = task_next_by_id_locked(after);
    while (t && t->state == TASK_DEAD)
        t = task_next_by_id_locked(t->id);
    task_id_t id = 0;
    if (t) {
        visit(t, fn, ctx);
        id = t->id;
    }
    sched_unlock(irq);
    return id;
}

void task_stacks_visit_locked(void (*fn)(void *ctx, const struct task_stack_view *v), void *ctx)
{
    for (struct task *t = swap_all_tasks(); t; t = t->all_next)
        if (t->state != TASK_DEAD)
            visit(t, fn, ctx);
}

unsigned task_set_own_priority(unsigned prio)
{
    int irq = sched_lock();
    struct task *self = task_current();
    unsigned old = self ? self->priority : 0;
    if (self && prio >= TASK_PRIO_MIN && prio <= TASK_PRIO_MAX)
        self->priority = prio; /* running: not on a ready queue, nothing to re-sort */
    sched_unlock(irq);
    return old;
}

uint64_t task_foreign_switches(void)
{
    static uint64_t busy_seen;
    int irq = sched_lock();
    struct task *self = task_current();
    uint64_t n = sched_switch_ins() - (self ? self->switches : 0);
    /* Another CPU runs a task right now: it may run all through a pass without a switch, so
     * no two answers may be equal (the pass that asked is not valid). */
    if (sched_others_running())
        n = UINT64_MAX - ++busy_seen;
    sched_unlock(irq);
    return n;
}
