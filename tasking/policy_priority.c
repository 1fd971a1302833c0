/* The priority policy: strict priorities (a task's level is its priority, the highest runs
 * first), round robin within one priority with a time slice of one tick, and tasks spread over
 * the CPUs: a task that becomes ready waits on an idle CPU it may use (its last one first), else
 * on its last CPU; a task that yields or is preempted stays where it is, and an idle CPU takes
 * work from the others (sched_q_best). A task that becomes ready takes the CPU from a running
 * one of a lower priority at once.
 *
 * Built twice from this one file: into the core (its copy, sched_core_policy, for the boot and
 * whenever no cell provides a policy) and into the cell sched@1 (cells/sched). It uses only
 * keel/sched_policy.h. */
#include <keel/sched_policy.h>

#ifndef PRIORITY_POLICY_NAME
#define PRIORITY_POLICY_NAME sched_core_policy
#endif

static unsigned level(const struct sched_task_info *t)
{
    return t->priority < SCHED_LEVELS ? t->priority : SCHED_LEVELS - 1;
}

static unsigned place(const struct sched_task_info *t)
{
    if (t->running && ((t->cpus >> t->cpu) & 1))
        return t->cpu; /* a yield or a preemption: stay, the others steal if they are idle */
    if (((t->cpus >> t->cpu) & 1) && sched_q_idle(t->cpu))
        return t->cpu;
    for (unsigned i = 0; i < sched_q_span(); i++)
        if (((t->cpus >> i) & 1) && sched_q_idle(i))
            return i;
    if ((t->cpus >> t->cpu) & 1)
        return t->cpu;
    return (unsigned)__builtin_ctz(t->cpus);
}

static struct sched_task *pick(unsigned cpu)
{
    return sched_q_best(cpu);
}

static bool preempt(unsigned cpu, const struct sched_task_info *running,
                    const struct sched_task_info *waiting, bool tick)
{
    (void)cpu;
    /* At a tick, the same priority gets its turn (round robin); on a wake-up only a higher one
     * comes first. */
    return tick ? waiting->level >= level(running) : waiting->level > level(running);
}

const struct sched_policy PRIORITY_POLICY_NAME = {
    .name = "priority",
    .level = level,
    .place = place,
    .pick = pick,
    .preempt = preempt,
};
