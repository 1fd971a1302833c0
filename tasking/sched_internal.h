/* The scheduler's private state, shared by its mechanism (sched.c), the policy seam
 * (sched_policy.c) and the queue view policies read (sched_view.c). Everything here is under the
 * scheduler lock. */
#ifndef KEEL_TASKING_SCHED_INTERNAL_H
#define KEEL_TASKING_SCHED_INTERNAL_H
#include <stddef.h>
#include <keel/cpu.h>
#include <keel/sched_policy.h>
#include "runqueue.h"
#include "task_internal.h"

#define TASK_OF(link) ((struct task *)((char *)(link)-offsetof(struct task, rq)))

_Static_assert(SCHED_LEVELS == RQ_PRIORITIES, "a policy's levels are the run queue's");

/* A CPU's part of the scheduler. */
struct cpu_sched {
    struct task *idle;
    struct runqueue ready;
    unsigned queued;           /* tasks in ready */
    struct task *pending_reap; /* a task that died here: freed after the switch away from it */
    bool need_resched;
    bool on; /* schedules tasks (its idle task is in place) */
};

extern struct cpu_sched sched_cpus[CPU_MAX];
extern uint32_t sched_mask; /* CPUs that schedule (only ever grows) */
extern unsigned sched_span; /* highest CPU that schedules, plus one: the loops' bound */

struct task *sched_running_on(unsigned cpu);
/* The CPUs t may run on: its affinity within those that schedule (all of them when its
 * affinity names none that does). */
uint32_t sched_allowed(const struct task *t);
void sched_info_of(const struct task *t, struct sched_task_info *out);
/* Is t on a ready queue? Its CPU in *cpu (sched_view.c; walks the queues, so that a handle a
 * policy returns is checked without trusting it). */
bool sched_find_queued(const struct task *t, unsigned *cpu);

/* The policy's answers, checked (sched_policy.c). A wrong one takes the policy out. */
void policy_place(struct task *t, unsigned *cpu, unsigned *level);
struct task *policy_pick(unsigned cpu);
bool policy_preempt(unsigned cpu, const struct task *running, const struct task *waiting,
                    bool tick);
/* A policy taken out since the last call is logged (the scheduler lock not held). */
bool sched_policy_dropped_pending(void);
void sched_policy_say_dropped(void);
/* Move every queued task to the level the policy in place gives it (same CPU, same order). */
void sched_requeue_all(void);

/* The core's copy of the priority policy (policy_priority.c). */
extern const struct sched_policy sched_core_policy;

#endif
