/* The scheduler's policy, as a cell may provide it (docs/smp.md, "Writing a scheduler policy").
 *
 * The core keeps the mechanism: the context switch, each CPU's ready queue (SCHED_LEVELS FIFO
 * levels, the highest non-empty one first), the lock, the IPIs. The policy decides: at which
 * level and on which CPU a task that becomes ready waits, which task a CPU runs next (from its
 * own queue or another's), and when a waiting task takes the CPU from the running one. The core
 * carries a copy of the priority policy for the boot and for when no cell provides one.
 *
 * Every callback runs inside the scheduler: its lock held, interrupts off, on any CPU. It must
 * be short and must not block, allocate, print or call anything but the sched_q_* functions
 * below (they read the queues and are valid only there). The core checks every answer; a wrong
 * one (a level out of range, a CPU the task may not use, a task that is not queued or may not
 * run there) takes the policy out: the core logs why and goes back to its own copy. A fault
 * inside a callback is the core's (a panic report), as for any code holding the lock. */
#ifndef KEEL_SCHED_POLICY_H
#define KEEL_SCHED_POLICY_H
#include <stdbool.h>
#include <stdint.h>

#define SCHED_LEVELS 8

/* A task as the scheduler queues it: a handle, read through sched_q_info. */
struct sched_task;

struct sched_task_info {
    uint64_t id;
    unsigned priority; /* TASK_PRIO_MIN..TASK_PRIO_MAX, as spawned */
    uint32_t cpus;     /* the CPUs it may run on now (never 0) */
    unsigned cpu;      /* where it ran last, or is queued */
    unsigned level;    /* where it is queued (for the running task: where it was) */
    bool running;      /* it holds a CPU: a yield or a preemption is asking where it goes */
};

struct sched_policy {
    const char *name; /* for `cpus` and messages: "priority", "round-robin" */
    /* The level (< SCHED_LEVELS) a task that becomes ready waits at. */
    unsigned (*level)(const struct sched_task_info *t);
    /* The CPU it waits on: one in t->cpus. */
    unsigned (*place)(const struct sched_task_info *t);
    /* What `cpu` runs next: a queued task that may run there (any CPU's queue), or NULL for
     * its idle task. Nothing is taken off a queue: the core does that, and also asks at a tick
     * what would run, to decide on preemption. */
    struct sched_task *(*pick)(unsigned cpu);
    /* Whether `waiting` (what pick would give) takes `cpu` from `running` now: at its time
     * slice's end (tick) or as it becomes ready (!tick). An idle CPU always takes work. */
    bool (*preempt)(unsigned cpu, const struct sched_task_info *running,
                    const struct sched_task_info *waiting, bool tick);
};

/* Put p in place (a cell's init): the queued tasks move to p's levels at once. 0, KE_INVAL for a
 * policy with a missing field, KE_BUSY while another cell's policy is in place. */
int sched_policy_set(const struct sched_policy *p);
/* Take p out (a cell's exit): the core's copy takes over. 0, or KE_NOENT when p is not in place. */
int sched_policy_clear(const struct sched_policy *p);
/* The policy in place: its name, and whether a cell provides it (false: the core's copy). */
void sched_policy_current(char *name, unsigned name_size, bool *from_cell);

/* --- Inside a callback only ---------------------------------------------------------------- */
/* The CPUs that schedule (bit n: CPU n), and one past the highest of them. */
uint32_t sched_q_cpus(void);
unsigned sched_q_span(void);
/* The highest non-empty level of cpu's queue (-1: empty), its length, its first task at a level
 * and the one after t at t's level (NULL at the end). */
int sched_q_top(unsigned cpu);
unsigned sched_q_length(unsigned cpu);
struct sched_task *sched_q_head(unsigned cpu, unsigned level);
struct sched_task *sched_q_next(const struct sched_task *t);
void sched_q_info(const struct sched_task *t, struct sched_task_info *out);
/* Is cpu running its idle task with nothing queued? */
bool sched_q_idle(unsigned cpu);
/* The task running on cpu: true and *out filled, or false for its idle task. */
bool sched_q_running(unsigned cpu, struct sched_task_info *out);
/* The first task, highest level first and FIFO within one, that may run on cpu, in cpu's own
 * queue or (only at a higher level than the best there) in another CPU's: work stealing.
 * NULL when none may. */
struct sched_task *sched_q_best(unsigned cpu);

#endif
