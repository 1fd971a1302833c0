/* Task introspection for the shell's ps and for tests. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/string.h>
#include <keel/export.h>
#include "task_internal.h"

static void fill(const struct task *t, struct task_info *out)
{
    out->id = t->id;
    memcpy(out->name, t->name, sizeof(out->name));
    out->state = (t->state == TASK_BLOCKED && t->sleeping) ? TASK_SLEEPING : t->state;
    out->priority = t->priority;
    out->cpu_ns = t->cpu_ns;
    if (t->state == TASK_RUNNING) /* here or on another CPU: its slice so far */
        out->cpu_ns += clock_tsc_to_ns(clock_tsc() - t->switched_in_tsc);
    out->switches = t->switches;
    out->restarts = t->restarts;
    out->flags = t->flags;
    out->swaps = t->swaps;
    bool judged = !task_is_idle(t) && t != sched_boot_task() && !(t->flags & TASK_CORE);
    out->heartbeat_ns = t->heartbeat_ns;
    uint64_t now = clock_ns();
    out->since_beat_ns = t->heartbeat_ns && now > t->last_beat_ns ? now - t->last_beat_ns : 0;
    out->cpu_budget_ns = judged ? (t->cpu_budget_ns ? t->cpu_budget_ns : task_cpu_budget_ns()) : 0;
    out->run_ns = t->state == TASK_BLOCKED ? 0 : t->run_ns;
    if (t->state == TASK_RUNNING)
        out->run_ns += clock_tsc_to_ns(clock_tsc() - t->switched_in_tsc);
    out->cpu = t->cpu;
    out->cpus = t->affinity;
    const char *cell = t->cell_name[0] ? t->cell_name : "core";
    size_t n = strnlen(cell, sizeof(out->cell) - 1);
    memcpy(out->cell, cell, n);
    out->cell[n] = 0;
}

int task_info(task_id_t id, struct task_info *out)
{
    struct task_info ti; /* out is the caller's memory: written with no lock held */
    int irq = sched_lock();
    struct task *t = task_by_id_locked(id);
    if (t)
        fill(t, &ti);
    sched_unlock(irq);
    if (!t)
        return KE_NOENT;
    *out = ti;
    return 0;
}

int task_for_each(int (*fn)(void *ctx, const struct task_info *ti), void *ctx)
{
    /* Snapshot under the lock, call fn without it (fn may print, allocate, block). */
    enum { BATCH = 32 };
    struct task_info snap[BATCH];
    task_id_t after = 0;
    for (;;) {
        size_t n = 0;
        task_id_t next_after = after;
        int irq = sched_lock();
        /* Tasks in id order, BATCH at a time. */
        while (n < BATCH) {
            struct task *best = task_next_by_id_locked(next_after);
            if (!best)
                break;
            fill(best, &snap[n++]);
            next_after = best->id;
        }
        sched_unlock(irq);
        for (size_t i = 0; i < n; i++) {
            int r = fn(ctx, &snap[i]);
            if (r)
                return r;
        }
        if (n < BATCH)
            return 0;
        after = next_after;
    }
}

const char *task_state_name(enum task_state s)
{
    switch (s) {
    case TASK_READY:
        return "ready";
    case TASK_RUNNING:
        return "running";
    case TASK_BLOCKED:
        return "blocked";
    case TASK_SLEEPING:
        return "sleeping";
    case TASK_DEAD:
        return "dead";
    }
    return "?";
}

KEEL_EXPORT_FUNC(task_info);
KEEL_EXPORT_FUNC(task_state_name);
KEEL_EXPORT_FUNC(task_for_each);
