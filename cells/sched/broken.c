/* A test fixture (sched@3): a policy that answers a level out of range, so the core takes it out
 * and its own copy of the priority policy takes over (tests/qemu/sched_policy_tests.py). */
#include <keel/sched_policy.h>

static unsigned level(const struct sched_task_info *t)
{
    (void)t;
    return 99;
}

static unsigned place(const struct sched_task_info *t)
{
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
    (void)running;
    (void)waiting;
    return tick;
}

const struct sched_policy sched_cell_policy = {
    .name = "broken",
    .level = level,
    .place = place,
    .pick = pick,
    .preempt = preempt,
};
