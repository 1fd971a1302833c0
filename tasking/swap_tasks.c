/* Live swap, the tasks' part: is any task inside an old version (quiescence), and moving the
 * tasks of swapped cells to the new versions. Everything here runs with the world stopped
 * (world_stop: the scheduler lock held here, every other CPU parked with its task's context
 * saved, so a task running elsewhere reads like one the timer preempted).
 *
 * "Inside" is decided exactly, from each task's saved state: the return address of its saved
 * context and the frame-pointer chain from its saved rbp (everything is built with frame
 * pointers), plus, for a task preempted by the timer, the interrupted rip and the two words at
 * the interrupted rsp (a function interrupted in its prologue or epilogue has its return address
 * there rather than in the chain). Those two words make the check conservative, never unsafe: a
 * false "inside" only retries. */
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/loader.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/core/trap.h>
#include <keel/cells.h>
#include <keel/swap.h>
#include <keel/core/swap_participant.h>
#include "task_internal.h"

#define WALK_BROKEN UINT64_MAX /* first_inside: the frame chain cannot be followed */

/* Does a wait queue or mutex at addr lie in an old version? A task waiting on it, or holding
 * it, would leave the core pointing into freed memory (the object itself is carried). */
static bool object_in_old(const struct loader_swap *sw, const void *addr)
{
    return addr && loader_swap_in_old(sw, (uint64_t)(uintptr_t)addr);
}

static bool holds_old_mutex(const struct task *t, const struct loader_swap *sw)
{
    for (const struct mutex *m = t->held; m; m = m->next_held)
        if (object_in_old(sw, m))
            return true;
    return false;
}

static bool on_stack(const struct task *t, uint64_t addr, uint64_t len)
{
    return t->stack.top && addr >= t->stack.base && addr + len <= t->stack.top && addr + len > addr;
}

/* The first address of t's stack that lies in an old version, or 0. */
static uint64_t first_inside(const struct task *t, const struct loader_swap *sw, uint64_t rip,
                             uint64_t rbp)
{
    if (loader_swap_in_old(sw, rip))
        return rip;
    const struct trap_frame *f = t->preempted;
    if (f) {
        /* The chain below reaches the interrupted rip too (isr.S leaves a frame record), but
         * only after these words: checked first, the refusal names the instruction itself. */
        if (loader_swap_in_old(sw, f->rip))
            return f->rip;
        for (int i = 0; i < 2; i++) {
            uint64_t a = f->rsp + 8u * (unsigned)i;
            if (on_stack(t, a, 8) && loader_swap_in_old(sw, *(const uint64_t *)(uintptr_t)a))
                return *(const uint64_t *)(uintptr_t)a;
        }
    }
    /* Every task's chain ends at rbp 0 (task_prepare_stack starts it so). A chain that leaves
     * the stack, is misaligned or goes down instead does not say where the task is: busy. */
    while (rbp) {
        if ((rbp & 7) || !on_stack(t, rbp, 16))
            return WALK_BROKEN;
        const uint64_t *fp = (const uint64_t *)(uintptr_t)rbp;
        if (loader_swap_in_old(sw, fp[1]))
            return fp[1];
        if (fp[0] && fp[0] <= rbp)
            return WALK_BROKEN; /* frames go up the stack */
        rbp = fp[0];
    }
    return 0;
}

static bool is_old_cell(const struct loader_swap *sw, const struct loaded_cell *c, size_t *k)
{
    for (size_t i = 0; c && i < loader_swap_count(sw); i++)
        if (loader_swap_old(sw, i) == c) {
            if (k)
                *k = i;
            return true;
        }
    return false;
}

/* A service task of a swapped cell, parked at a blocking point where it can be ended. */
static bool resettable(const struct task *t, const struct loader_swap *sw)
{
    return (t->flags & TASK_SERVICE) && is_old_cell(sw, t->cell, NULL) &&
           t->state == TASK_BLOCKED && !t->preempted && !t->held && t->channel_depth == 0 &&
           !t->guard;
}

static void describe(char *out, size_t size, const struct task *t, uint64_t addr, bool self)
{
    char where[96];
    addr_describe(addr, where, sizeof(where));
    const char *state = self                       ? "the task swapping"
                        : t->state == TASK_BLOCKED ? (t->sleeping ? "sleeping" : "blocked")
                        : t->preempted             ? "preempted"
                                                   : "ready";
    ksnprintf(out, size, "task %llu '%s' (%s) is inside the old version: <%s>",
              (unsigned long long)t->id, t->name, state, where);
}

/* Append "; " and a task's reason to why (as much as fits). */
static void add_why(char *why, size_t size, unsigned *n, const char *one)
{
    size_t at = strnlen(why, size);
    if (at + 1 < size)
        ksnprintf(why + at, size - at, "%s%s", (*n)++ ? "; " : "", one);
}

/* 0: quiescent. KE_BUSY: tasks are inside an old version (retry later); why names each one, as
 * many as fit. KE_NOENT: a task of an old version runs a function the new version lacks (a
 * refusal). */
static int tasks_check(const struct loader_swap *sw, char *why_out, size_t why_size)
{
    struct task *self = task_current();
    unsigned busy = 0;
    char one[160];
    why_out[0] = 0;
    for (struct task *t = swap_all_tasks(); t; t = t->all_next) {
        if (t->state == TASK_DEAD)
            continue;
        /* Whatever is inside, its entry must exist in the new version (restart, re-spawn, or a
         * start that has not happened yet). A missing one is a refusal, not a wait. */
        if (is_old_cell(sw, t->cell, NULL)) {
            uint64_t to;
            char why[96];
            if (loader_swap_translate(sw, (uint64_t)(uintptr_t)t->entry, &to, why, sizeof(why))) {
                ksnprintf(why_out, why_size,
                          "task %llu '%s' runs %s, which the new version does not have",
                          (unsigned long long)t->id, t->name, why);
                return KE_NOENT;
            }
        }
        if (object_in_old(sw, t->waiting_on) || holds_old_mutex(t, sw)) {
            ksnprintf(one, sizeof(one),
                      "task %llu '%s' waits on or holds a lock or queue inside the old version",
                      (unsigned long long)t->id, t->name);
            add_why(why_out, why_size, &busy, one);
            continue;
        }
        uint64_t hit;
        if (t == self) {
            hit = first_inside(t, sw, 0, (uint64_t)(uintptr_t)__builtin_frame_address(0));
        } else {
            const uint64_t *ctx = (const uint64_t *)(uintptr_t)t->saved_rsp;
            if (!on_stack(t, t->saved_rsp, 7 * 8))
                continue; /* no saved context on a stack we know (cannot happen) */
            hit = first_inside(t, sw, ctx[6], ctx[5]); /* return address, rbp */
        }
        if (!hit)
            continue;
        if (hit == WALK_BROKEN) {
            if (task_is_idle(t) || t == sched_boot_task())
                continue; /* the core's own tasks never run cell code */
            ksnprintf(one, sizeof(one),
                      "task %llu '%s': its frame chain cannot be followed (no frame pointers?)",
                      (unsigned long long)t->id, t->name);
            add_why(why_out, why_size, &busy, one);
            continue;
        }
        if (t != self && resettable(t, sw))
            continue; /* the commit ends it where it blocks and re-spawns it */
        describe(one, sizeof(one), t, hit, t == self);
        add_why(why_out, why_size, &busy, one);
    }
    return busy ? KE_BUSY : 0;
}

/* The task whose joiners wait queue wq is (a joiner being ended), or NULL. */
static struct task *joined_by(const struct waitq *wq)
{
    for (struct task *t = swap_all_tasks(); t; t = t->all_next)
        if (&t->joiners == wq)
            return t;
    return NULL;
}

/* End a parked service task where it is and start it again from entry. */
static void reset(struct task *t, task_entry_fn entry)
{
    if (t->waiting_on) {
        struct waitq *wq = t->waiting_on;
        waitq_remove(wq, t);
        t->waiting_on = NULL;
        /* It was joining a task: nobody will take that result now, so it reaps itself. */
        struct task *target = joined_by(wq);
        if (target) {
            target->joining = false;
            target->detached = true;
        }
    }
    if (t->deadline_ns) {
        sched_sleep_remove(t);
        t->deadline_ns = 0;
    }
    t->sleeping = false;
    t->wake_result = 0;
    t->entry = entry;
    if (t->arg_size && t->arg && t->pristine_arg)
        memcpy(t->arg, t->pristine_arg, t->arg_size);
    if (t->ret_size && t->ret)
        memset(t->ret, 0, t->ret_size);
    t->swaps++;
    task_prepare_stack(t);
    sched_make_ready(t);
}

/* Move the tasks of the old versions to the new ones: re-spawn the parked service tasks,
 * re-point the entries of the others (it uses the old versions' symbols: before the loader's
 * commit). */
static void tasks_commit(const struct loader_swap *sw, struct swap_report *rep)
{
    size_t respawned = 0;
    struct task *self = task_current();
    for (struct task *t = swap_all_tasks(); t; t = t->all_next) {
        size_t k;
        if (t->state == TASK_DEAD || !is_old_cell(sw, t->cell, &k))
            continue;
        uint64_t to = 0;
        (void)loader_swap_translate(sw, (uint64_t)(uintptr_t)t->entry, &to, NULL, 0); /* checked */
        bool inside = false;
        if (t != self) {
            const uint64_t *ctx = (const uint64_t *)(uintptr_t)t->saved_rsp;
            inside = on_stack(t, t->saved_rsp, 7 * 8) && first_inside(t, sw, ctx[6], ctx[5]) != 0;
        }
        t->cell = loader_swap_new(sw, k); /* the loader moved the pins along */
        if (inside) {
            reset(t, (task_entry_fn)(uintptr_t)to);
            respawned++;
        } else {
            t->entry = (task_entry_fn)(uintptr_t)to; /* not started yet, or between restarts */
        }
    }
    rep->tasks_respawned += respawned;
}

/* For a dry run: the tasks of the old versions and what the swap would do with them. */
static void tasks_describe(const struct loader_swap *sw, void (*emit)(void *ctx, const char *line),
                           void *ctx)
{
    enum { MAX_LINES = 8 };
    char lines[MAX_LINES][128];
    size_t n = 0, more = 0;
    int irq = sched_lock();
    struct task *self = task_current();
    for (struct task *t = swap_all_tasks(); t; t = t->all_next) {
        if (t->state == TASK_DEAD || !is_old_cell(sw, t->cell, NULL))
            continue;
        if (n == MAX_LINES) {
            more++;
            continue;
        }
        if (t->flags & TASK_SERVICE)
            ksnprintf(lines[n++], sizeof(lines[0]),
                      "service task %llu '%s': ended where it blocks, re-spawned from the new "
                      "version",
                      (unsigned long long)t->id, t->name);
        else
            ksnprintf(lines[n++], sizeof(lines[0]),
                      "task %llu '%s' runs the old version: the swap waits for it%s",
                      (unsigned long long)t->id, t->name, t == self ? " (this task!)" : "");
    }
    sched_unlock(irq);
    for (size_t i = 0; i < n; i++)
        emit(ctx, lines[i]); /* may print: not with the lock held */
    if (more) {
        ksnprintf(lines[0], sizeof(lines[0]), "... and %zu more tasks", more);
        emit(ctx, lines[0]);
    }
}

SWAP_PARTICIPANT(tasks, .name = "tasks", .check = tasks_check, .commit = tasks_commit,
                 .describe = tasks_describe);
