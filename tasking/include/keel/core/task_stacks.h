/* Kernel-facing (not for cells). What the reclaimer's conservative scan (kernel/swap/reclaim.c)
 * needs from tasking: the live part of every task's stack, and a way to tell whether any other task
 * ran during a scan. */
#ifndef KEEL_CORE_TASK_STACKS_H
#define KEEL_CORE_TASK_STACKS_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/task.h>

struct trap_frame;

struct task_stack_view {
    task_id_t id;
    const char *name;
    uint64_t lo, hi; /* the live stack [lo, hi): saved rsp (or, for the caller, its own frame)
                        up to the top; it holds the saved registers and any interrupt frame */
    const struct trap_frame *preempted; /* the timer's interrupt frame in [lo, hi), or NULL */
    bool running; /* running on another CPU now: [lo, hi) is its whole stack, changing under the
                     reader, and its registers are nowhere in view (a stopped world sees them) */
};

/* fn(ctx, view) for the first task that has not ended with an id greater than after, with the
 * scheduler lock held around the call (the stack cannot go away meanwhile): the id visited, or
 * 0 when there is none. fn must not block or allocate. */
task_id_t task_stack_visit_next(task_id_t after,
                                void (*fn)(void *ctx, const struct task_stack_view *v), void *ctx);
/* The same for every such task, the caller holding the scheduler lock (the world stopped). */
void task_stacks_visit_locked(void (*fn)(void *ctx, const struct task_stack_view *v), void *ctx);

/* Set the running task's priority (TASK_PRIO_MIN..TASK_PRIO_MAX); returns the one it had. The
 * reclaimer raises itself while it holds the cells lock (no priority inheritance there). */
unsigned task_set_own_priority(unsigned prio);

/* A counter that moves whenever a task other than the caller and the idle task is switched in.
 * Unchanged from the start to the end of a scan: no other task ran, so the scan saw one
 * consistent snapshot of every task's registers, stack and of the memory tasks write. */
uint64_t task_foreign_switches(void);

#endif
