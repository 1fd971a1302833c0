/* The round-robin policy (sched@2): every task alike, whatever its priority — one level, a time
 * slice of one tick for each in turn — and the load balanced as tasks become ready: a task waits
 * on the CPU it may use with the fewest tasks (an idle one first, its last one among equals).
 * A task that yields or is preempted stays where it is; an idle CPU takes work from the others. */
#include <keel/sched_policy.h>

#ifdef ROUND_ROBIN_BROKEN /* broken.c, a test fixture */
#define POLICY_NAME  "broken"
#define POLICY_LEVEL 99
#else
#define POLICY_NAME  "round-robin"
#define POLICY_LEVEL 0
#endif

static unsigned level(const struct sched_task_info *t)
{
    (void)t;
    return POLICY_LEVEL;
}

/* Tasks on cpu: those queued there, and the one running (not its idle task). */
static unsigned load(unsigned cpu)
{
    struct sched_task_info running;
    return sched_q_length(cpu) + (sched_q_running(cpu, &running) ? 1 : 0);
}

static unsigned place(const struct sched_task_info *t)
{
    bool on_last = (t->cpus >> t->cpu) & 1;
    if (t->running && on_last)
        return t->cpu;
    unsigned best = on_last ? t->cpu : (unsigned)__builtin_ctz(t->cpus);
    unsigned best_load = load(best);
    for (unsigned i = 0; i < sched_q_span() && best_load; i++) {
        if (!((t->cpus >> i) & 1))
            continue;
        unsigned l = load(i);
        if (l < best_load) {
            best = i;
            best_load = l;
        }
    }
    return best;
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
    return tick; /* everyone gets a turn at the tick; nobody jumps the queue */
}

const struct sched_policy sched_cell_policy = {
    .name = POLICY_NAME,
    .level = level,
    .place = place,
    .pick = pick,
    .preempt = preempt,
};
