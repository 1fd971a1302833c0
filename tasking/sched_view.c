/* The ready queues as a scheduler policy reads them (keel/sched_policy.h): only from inside a
 * policy callback, where the scheduler lock is held. Handles are the tasks themselves. */
#include <keel/export.h>
#include "sched_internal.h"

#define HANDLE(t) ((struct sched_task *)(t))
#define TASK(h)   ((struct task *)(h))

uint32_t sched_q_cpus(void)
{
    return sched_mask;
}

unsigned sched_q_span(void)
{
    return sched_span;
}

int sched_q_top(unsigned cpu)
{
    return cpu < sched_span ? rq_highest(&sched_cpus[cpu].ready) : -1;
}

unsigned sched_q_length(unsigned cpu)
{
    return cpu < sched_span ? sched_cpus[cpu].queued : 0;
}

struct sched_task *sched_q_head(unsigned cpu, unsigned level)
{
    if (cpu >= sched_span || level >= SCHED_LEVELS || !sched_cpus[cpu].ready.head[level])
        return 0;
    return HANDLE(TASK_OF(sched_cpus[cpu].ready.head[level]));
}

struct sched_task *sched_q_next(const struct sched_task *h)
{
    const struct rq_link *next = h ? TASK(h)->rq.next : 0;
    return next ? HANDLE(TASK_OF(next)) : 0;
}

void sched_info_of(const struct task *t, struct sched_task_info *out)
{
    *out = (struct sched_task_info){
        .id = t->id,
        .priority = t->priority,
        .cpus = sched_allowed(t),
        .cpu = t->cpu,
        .level = t->level,
        .running = t->state == TASK_RUNNING || t == task_current(),
    };
}

void sched_q_info(const struct sched_task *h, struct sched_task_info *out)
{
    sched_info_of(TASK(h), out);
}

bool sched_q_idle(unsigned cpu)
{
    if (cpu >= sched_span)
        return false;
    struct task *cur = sched_running_on(cpu);
    return sched_cpus[cpu].queued == 0 && (!cur || cur == sched_cpus[cpu].idle);
}

bool sched_q_running(unsigned cpu, struct sched_task_info *out)
{
    struct task *cur = cpu < sched_span ? sched_running_on(cpu) : 0;
    if (!cur || cur->idle)
        return false;
    sched_info_of(cur, out);
    return true;
}

/* The first task at cpu's queue's highest level that may run on `on`, or NULL. */
static struct task *first_runnable(unsigned cpu, unsigned on, int min_level)
{
    const struct runqueue *rq = &sched_cpus[cpu].ready;
    for (int p = rq_highest(rq); p >= min_level; p--)
        for (const struct rq_link *l = rq->head[p]; l; l = l->next)
            if ((sched_allowed(TASK_OF(l)) >> on) & 1)
                return TASK_OF(l);
    return 0;
}

struct sched_task *sched_q_best(unsigned cpu)
{
    if (cpu >= sched_span)
        return 0;
    struct task *best = first_runnable(cpu, cpu, 0);
    int best_level = best ? (int)best->level : -1;
    for (unsigned k = 1, i = cpu + 1; k < sched_span; k++, i++) {
        if (i == sched_span)
            i = 0;
        if (!sched_cpus[i].queued || rq_highest(&sched_cpus[i].ready) <= best_level)
            continue; /* ties go to the CPU's own queue */
        struct task *t = first_runnable(i, cpu, best_level + 1);
        if (t) {
            best = t;
            best_level = (int)t->level;
        }
    }
    return HANDLE(best);
}

bool sched_find_queued(const struct task *t, unsigned *cpu)
{
    for (unsigned i = 0; i < sched_span; i++) {
        const struct runqueue *rq = &sched_cpus[i].ready;
        for (unsigned p = 0; p < RQ_PRIORITIES; p++)
            for (const struct rq_link *l = rq->head[p]; l; l = l->next)
                if (l == &t->rq) {
                    *cpu = i;
                    return true;
                }
    }
    return false;
}

KEEL_EXPORT_FUNC(sched_q_cpus);
KEEL_EXPORT_FUNC(sched_q_span);
KEEL_EXPORT_FUNC(sched_q_top);
KEEL_EXPORT_FUNC(sched_q_length);
KEEL_EXPORT_FUNC(sched_q_head);
KEEL_EXPORT_FUNC(sched_q_next);
KEEL_EXPORT_FUNC(sched_q_info);
KEEL_EXPORT_FUNC(sched_q_idle);
KEEL_EXPORT_FUNC(sched_q_running);
KEEL_EXPORT_FUNC(sched_q_best);
