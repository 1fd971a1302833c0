/* The seam between the scheduler's mechanism and its policy (keel/sched_policy.h): which policy
 * is in place, every answer of it checked before the mechanism acts on it, and its live swap.
 *
 * A policy is a cell's (sched@1, priority; sched@2, round robin) or the core's own copy of the
 * priority policy, which runs the boot and takes over whenever no cell provides one. A wrong
 * answer takes a cell's policy out on the spot: the core's copy answers instead, the queued
 * tasks move to its levels, and the reason is logged once the scheduler lock is free (logging
 * may wake a task, which needs the lock). */
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/layout.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/swap.h>
#include <keel/core/cpu_local.h>
#include <keel/core/swap_participant.h>
#include "sched_internal.h"

static const struct sched_policy *policy = &sched_core_policy;
static char dropped_why[160]; /* a policy taken out, said once the lock is free */
static bool dropped_pending;

static bool complete(const struct sched_policy *p)
{
    return p && p->name && p->level && p->place && p->pick && p->preempt;
}

static void drop(const char *fmt, unsigned long long a, unsigned long long b)
{
    char what[96];
    ksnprintf(what, sizeof(what), fmt, a, b);
    ksnprintf(dropped_why, sizeof(dropped_why),
              "sched: the '%s' policy %s; the core's priority policy takes over", policy->name,
              what);
    dropped_pending = true;
    policy = &sched_core_policy;
    sched_requeue_all();
}

void sched_policy_say_dropped(void)
{
    int irq = sched_lock();
    bool say = dropped_pending;
    char why[sizeof(dropped_why)];
    if (say)
        memcpy(why, dropped_why, sizeof(why));
    dropped_pending = false;
    sched_unlock(irq);
    if (say)
        log_err("%s", why);
}

bool sched_policy_dropped_pending(void)
{
    return __atomic_load_n(&dropped_pending, __ATOMIC_RELAXED);
}

void policy_place(struct task *t, unsigned *cpu, unsigned *level)
{
    struct sched_task_info ti;
    sched_info_of(t, &ti);
    for (;;) {
        unsigned c = policy->place(&ti), l = policy->level(&ti);
        if (policy == &sched_core_policy ||
            (c < CPU_MAX && ((ti.cpus >> c) & 1) && l < SCHED_LEVELS)) {
            *cpu = c;
            *level = l;
            return;
        }
        if (l >= SCHED_LEVELS)
            drop("gave level %llu (of 0 to %llu)", l, SCHED_LEVELS - 1);
        else
            drop("placed task %llu on CPU %llu, which it may not use", ti.id, c);
    }
}

struct task *policy_pick(unsigned cpu)
{
    for (;;) {
        struct task *t = (struct task *)policy->pick(cpu);
        unsigned on;
        if (!t || policy == &sched_core_policy ||
            (sched_find_queued(t, &on) && ((sched_allowed(t) >> cpu) & 1)))
            return t;
        drop("picked %#llx for CPU %llu: not a queued task that may run there",
             (unsigned long long)(uintptr_t)t, cpu);
    }
}

bool policy_preempt(unsigned cpu, const struct task *running, const struct task *waiting, bool tick)
{
    struct sched_task_info r, w;
    sched_info_of(running, &r);
    sched_info_of(waiting, &w);
    return policy->preempt(cpu, &r, &w, tick);
}

void sched_requeue_all(void)
{
    for (unsigned i = 0; i < sched_span; i++) {
        struct runqueue *rq = &sched_cpus[i].ready;
        struct rq_link *order = 0, **tail = &order;
        unsigned prio;
        struct rq_link *l;
        while ((l = rq_pop(rq, &prio)) != 0) { /* highest level first, FIFO within one */
            *tail = l;
            tail = &l->next;
        }
        *tail = 0;
        while ((l = order) != 0) {
            order = l->next;
            struct task *t = TASK_OF(l);
            struct sched_task_info ti;
            sched_info_of(t, &ti);
            unsigned level = policy->level(&ti);
            t->level = level < SCHED_LEVELS ? level : 0;
            rq_push(rq, l, t->level);
        }
        /* A task may now rank above the running one: let the CPU ask its policy again. */
        if (sched_cpus[i].queued && sched_cpus[i].on && !sched_cpus[i].need_resched) {
            sched_cpus[i].need_resched = true;
            if (i != cpu_self())
                cpu_kick(i);
        }
    }
}

int sched_policy_set(const struct sched_policy *p)
{
    if (!complete(p))
        return KE_INVAL;
    int irq = sched_lock();
    int err = 0;
    if (policy != &sched_core_policy && policy != p) {
        err = KE_BUSY;
    } else {
        policy = p;
        sched_requeue_all();
    }
    sched_unlock(irq);
    return err;
}

int sched_policy_clear(const struct sched_policy *p)
{
    int irq = sched_lock();
    int err = KE_NOENT;
    if (p && policy == p && p != &sched_core_policy) {
        policy = &sched_core_policy;
        sched_requeue_all();
        err = 0;
    }
    sched_unlock(irq);
    return err;
}

void sched_policy_current(char *name, unsigned name_size, bool *from_cell)
{
    int irq = sched_lock();
    if (name && name_size)
        ksnprintf(name, name_size, "%s", policy->name);
    if (from_cell)
        *from_cell = policy != &sched_core_policy;
    sched_unlock(irq);
}

/* Live swap: a policy in a cell being swapped moves to the new version's counterpart (the same
 * symbol there), and the queued tasks to its levels. The world is stopped, so no CPU is inside
 * the scheduler, let alone the policy. */
static int policy_check(const struct loader_swap *sw, char *why, size_t why_size)
{
    uint64_t to;
    int r = swap_translate(sw, (uint64_t)(uintptr_t)policy, &to);
    if (r == KE_NOENT) {
        ksnprintf(why, why_size, "the scheduler policy '%s' has no counterpart in the new version",
                  policy->name);
        return KE_NOENT;
    }
    if (r == 0 && !complete((const struct sched_policy *)(uintptr_t)to)) {
        ksnprintf(why, why_size, "the new version's scheduler policy has a missing field");
        return KE_INVAL;
    }
    return 0;
}

static void policy_commit(const struct loader_swap *sw, struct swap_report *rep)
{
    (void)rep;
    uint64_t to;
    if (swap_translate(sw, (uint64_t)(uintptr_t)policy, &to) == 0) {
        policy = (const struct sched_policy *)(uintptr_t)to;
        sched_requeue_all();
    }
}

SWAP_PARTICIPANT(sched_policy, .name = "scheduler policy", .check = policy_check,
                 .commit = policy_commit);

KEEL_EXPORT_FUNC(sched_policy_set);
KEEL_EXPORT_FUNC(sched_policy_clear);
KEEL_EXPORT_FUNC(sched_policy_current);
