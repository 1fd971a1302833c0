/* Hang detection (docs/fault-injection.md, "Hangs"): a heartbeat for tasks that declare one and
 * a CPU budget for every task. Both are judged from the timer tick (sched_timer_tick, scheduler
 * lock held), cheaply: the running task's time since it last blocked is its run_ns (kept by
 * sched_switch) plus its current stint, and the heartbeat scan over all tasks runs only while
 * some task has a heartbeat.
 *
 * A hung task is not ended on the spot (it may be in the middle of core code): it is marked and
 * asked to die like task_kill — at a preemption in cell code, a yield, or a blocking call that
 * returns KE_KILLED — and task_finish then ends it as TASK_FAULTED with the hang as its fault,
 * so that a restartable task is restarted (the same ladder as an exception). The core's own
 * tasks (boot, idle, TASK_CORE) are never judged. */
#include <keel/atomic.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/log.h>
#include <keel/panic.h>
#include <keel/core/tasking.h>
#include "hang_calc.h"
#include "task_internal.h"

void waitq_interrupt(struct task *t); /* waitq.c */

static atomic_u64 global_budget_ns; /* 0: off */
static unsigned watched;            /* tasks with a heartbeat that have not ended */

static bool judged(const struct task *t)
{
    return !task_is_idle(t) && t != sched_boot_task() && !(t->flags & TASK_CORE);
}

void watchdog_task_added(const struct task *t)
{
    if (t->heartbeat_ns)
        watched++;
}

void watchdog_task_gone(const struct task *t)
{
    if (t->heartbeat_ns && watched)
        watched--;
}

static void declare_hung(struct task *t, enum hang_detector by, uint64_t limit, uint64_t now)
{
    t->hang = true;
    t->hang_fault = (struct task_fault){
        .time_ns = now,
        .kind = FAULT_KIND_HANG,
        .hang_by = by,
        .hang_limit_ns = limit,
    };
    t->kill_requested = true;
    waitq_interrupt(t); /* a blocked task wakes with KE_KILLED */
}

void watchdog_tick(struct task *cur, uint64_t now_ns)
{
    if (!cur->hang && judged(cur)) {
        uint64_t budget =
            hang_budget(cur->cpu_budget_ns, atomic_load_u64(&global_budget_ns, MO_RELAXED));
        if (budget) {
            uint64_t run = cur->run_ns + clock_tsc_to_ns(clock_tsc() - cur->switched_in_tsc);
            if (hang_budget_spent(run, budget))
                declare_hung(cur, HANG_CPU_BUDGET, budget, now_ns);
        }
    }
    if (!watched)
        return;
    for (struct task *t = swap_all_tasks(); t; t = t->all_next) {
        if (t->heartbeat_ns && !t->hang && t->state != TASK_DEAD && judged(t) &&
            hang_heartbeat_overdue(now_ns, t->last_beat_ns, t->heartbeat_ns))
            declare_hung(t, HANG_HEARTBEAT, t->heartbeat_ns, now_ns);
    }
}

void watchdog_stopped_at(struct task *t, uint64_t rip)
{
    struct task_fault *f = &t->hang_fault;
    f->rip = rip;
    if (addr_describe(rip, f->where, sizeof(f->where)))
        ksnprintf(f->where, sizeof(f->where), "0x%llx", (unsigned long long)rip);
    if (addr_cell(rip, f->cell, sizeof(f->cell), &f->cell_version))
        f->cell[0] = 0; /* no cell's: charged to the entry cell below */
}

const struct task_fault *watchdog_hang_ended(struct task *t)
{
    struct task_fault *f = &t->hang_fault;
    if (!f->cell[0]) {
        /* Stopped outside cell code (blocked, or at a yield): its entry cell's hang. */
        ksnprintf(f->cell, sizeof(f->cell), "%s", t->cell_name[0] ? t->cell_name : "core");
        f->cell_version = t->cell_name[0] ? t->cell_version : 0;
    }
    char at[112] = "";
    if (f->where[0])
        ksnprintf(at, sizeof(at), " at %s", f->where);
    const char *why = f->hang_by == HANG_HEARTBEAT ? "no heartbeat for more than"
                                                   : "ran without blocking for more than";
    if (task_fault_console_on()) /* kept off the console during a fault campaign */
        kprintf("%skeel: task %llu '%s' hung: %s %llu us%s; ended as a fault of cell %s\n",
                console_mid_line() ? "\n" : "", (unsigned long long)t->id, t->name, why,
                (unsigned long long)(f->hang_limit_ns / 1000), at, f->cell);
    klog_quiet(LOG_ERR, "task %llu '%s' hung (%s, limit %llu us)%s", (unsigned long long)t->id,
               t->name, fault_hang_name(f->hang_by), (unsigned long long)(f->hang_limit_ns / 1000),
               at);
    fault_log_add(t, f, FAULT_STEP_ENDED, 0, 0);
    return f;
}

void task_heartbeat(void)
{
    struct task *t = task_current();
    if (t && t->heartbeat_ns)
        t->last_beat_ns = clock_ns(); /* one aligned store: the tick sees old or new */
}

uint64_t task_cpu_budget_ns(void)
{
    return atomic_load_u64(&global_budget_ns, MO_RELAXED);
}

int task_set_cpu_budget_ns(uint64_t ns)
{
    if (ns && (ns < TASK_CPU_BUDGET_MIN_NS || ns > TASK_CPU_BUDGET_MAX_NS))
        return KE_RANGE;
    atomic_store_u64(&global_budget_ns, ns, MO_RELAXED);
    return 0;
}

KEEL_EXPORT_FUNC(task_heartbeat);
KEEL_EXPORT_FUNC(task_cpu_budget_ns);
KEEL_EXPORT_FUNC(task_set_cpu_budget_ns);
