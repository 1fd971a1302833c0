/* The recovery task: takes the faults of restartable tasks from the recovery queue
 * (keel/core/recovery.h), climbs the charged cell's ladder (ladder.c) and takes the rung:
 * restart (the held incarnation just starts), reload (reload.c), reload with dependents, or
 * give up. Then it lets the incarnation start — or, after giving up, ends it. A rung that fails
 * (a reload refused because the cell is busy, no object to reload from) is recorded with its
 * error and the incarnation starts anyway: a fault of it climbs on. */
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/log.h>
#include <keel/recovery.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/task.h>
#include <keel/core/recovery.h>
#include <keel/core/tasking.h>
#include "recovery/ladder.h"
#include "recovery/reload.h"

static struct ladder ladder;
static struct spinlock lock = SPINLOCK_INIT; /* ladder and default */
static struct recovery_policy default_policy = {
    .top = RECOVERY_RESTART, .state = RECOVERY_RESET, .quiet_ms = 1000};

static bool policy_valid(const struct recovery_policy *p)
{
    return p->top >= RECOVERY_RESTART && p->top <= RECOVERY_GIVE_UP &&
           (p->state == RECOVERY_CARRY || p->state == RECOVERY_RESET) && p->quiet_ms >= 1 &&
           p->quiet_ms <= 3600000;
}

void recovery_default_get(struct recovery_policy *out)
{
    int irq = spin_lock(&lock);
    *out = default_policy;
    spin_unlock(&lock, irq);
}

int recovery_default_set(const struct recovery_policy *p)
{
    struct recovery_policy copy = *p;
    if (!policy_valid(&copy))
        return KE_RANGE;
    int irq = spin_lock(&lock);
    default_policy = copy;
    spin_unlock(&lock, irq);
    return 0;
}

/* The policy for a cell: its descriptor's fields over the default. Cells lock held. */
static void policy_of(const struct loaded_cell *c, struct recovery_policy *out)
{
    recovery_default_get(out);
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    const struct keel_cell_descriptor *d = ci.descriptor;
    if (!d)
        return;
    if (d->recovery_top)
        out->top = d->recovery_top;
    if (d->recovery_state)
        out->state = d->recovery_state;
    if (d->recovery_quiet_ms)
        out->quiet_ms = d->recovery_quiet_ms;
}

const char *recovery_rung_name(unsigned rung)
{
    static const char *const names[] = {"?", "restart", "reload", "dependents", "give_up"};
    return rung <= RECOVERY_GIVE_UP ? names[rung] : "?";
}

unsigned recovery_rung_by_name(const char *name)
{
    for (unsigned r = RECOVERY_RESTART; r <= RECOVERY_GIVE_UP; r++)
        if (strcmp(name, recovery_rung_name(r)) == 0)
            return r;
    return 0;
}

size_t recovery_cells(struct recovery_cell_info *out, size_t max)
{
    size_t n = 0;
    struct recovery_policy def;
    recovery_default_get(&def);
    for (unsigned i = 0; i < LADDER_CELLS && n < max; i++) {
        int irq = spin_lock(&lock);
        struct ladder_entry e = ladder.e[i];
        spin_unlock(&lock, irq);
        if (!e.cell[0])
            continue;
        struct recovery_cell_info ri = {.rung = e.rung,
                                        .faults = e.faults,
                                        .last_ns = e.last_ns,
                                        .failed = e.failed,
                                        .policy = def};
        memcpy(ri.cell, e.cell, sizeof(ri.cell));
        cells_lock();
        struct loader *ld = cells_loader();
        struct loaded_cell *c = ld ? loader_find(ld, e.cell) : NULL;
        if (c)
            policy_of(c, &ri.policy);
        cells_unlock();
        out[n++] = ri; /* the caller's memory, written with no lock held */
    }
    return n;
}

int recovery_reset(const char *cell)
{
    char name[RECOVERY_CELL_MAX];
    size_t len = strnlen(cell, sizeof(name));
    if (len == 0 || len == sizeof(name))
        return KE_INVAL;
    memcpy(name, cell, len + 1);
    int irq = spin_lock(&lock);
    bool had = ladder_forget(&ladder, name);
    spin_unlock(&lock, irq);
    cells_lock();
    struct loader *ld = cells_loader();
    struct loaded_cell *c = ld ? loader_find(ld, name) : NULL;
    if (c) {
        struct loader_cell_info ci;
        loader_cell_info(c, &ci);
        had |= ci.failed;
        loader_cell_set_failed(c, false);
    }
    cells_unlock();
    return had ? 0 : KE_NOENT;
}

/* The rung for rq's fault; 0 when there is no ladder to climb (a fault charged to the core, or
 * to a cell no longer loaded): the incarnation just starts. */
static unsigned climb(const struct recovery_request *rq, struct recovery_policy *pol)
{
    const char *cell = rq->fault.cell;
    if (!cell[0] || strcmp(cell, "core") == 0 || rq->fault.kind == FAULT_KIND_EVICTED)
        return 0; /* an eviction is the reload's doing: its restart just runs, in the new cell */
    cells_lock();
    struct loader *ld = cells_loader();
    struct loaded_cell *c = ld ? loader_find(ld, cell) : NULL;
    if (c)
        policy_of(c, pol);
    cells_unlock();
    if (!c)
        return 0;
    int irq = spin_lock(&lock);
    /* A hang began hang_limit_ns before it was taken (no heartbeat, or no blocking, since). */
    uint64_t now = rq->fault.time_ns, began = now;
    if (rq->fault.kind == FAULT_KIND_HANG && rq->fault.hang_limit_ns < now)
        began = now - rq->fault.hang_limit_ns;
    unsigned rung = ladder_climb_since(&ladder, cell, pol, began, now);
    spin_unlock(&lock, irq);
    return rung;
}

/* Not inlined: its frames lie below recovery_main's, where scrub_stack clears them. */
static __attribute__((noinline)) void handle(const struct recovery_request *rq)
{
    struct recovery_policy pol;
    unsigned rung = climb(rq, &pol);
    int rc = 0;
    switch (rung) {
    case RECOVERY_RELOAD:
    case RECOVERY_DEPENDENTS:
        rc = reload_cells(rq->fault.cell, rung == RECOVERY_DEPENDENTS, pol.state == RECOVERY_RESET);
        recovery_log_step(
            rq, rung == RECOVERY_RELOAD ? FAULT_STEP_RELOAD_CELL : FAULT_STEP_RELOAD_DEPENDENTS,
            rc);
        if (rc)
            log_err("recovery: %s of cell '%s' after the fault of task %llu failed: %s",
                    recovery_rung_name(rung), rq->fault.cell, (unsigned long long)rq->task,
                    keel_errname(rc));
        if (!rc) {
            int irq = spin_lock(&lock);
            ladder_reloaded(&ladder, rq->fault.cell, clock_ns());
            spin_unlock(&lock, irq);
        }
        if (!rc)
            (task_fault_console_on() ? klog : klog_quiet)(
                LOG_NOTICE, "recovery: cell '%s' reloaded%s after the fault of task %llu",
                rq->fault.cell, rung == RECOVERY_DEPENDENTS ? " with its dependents" : "",
                (unsigned long long)rq->task);
        break;
    case RECOVERY_GIVE_UP:
        give_up_cell(rq->fault.cell, rq->incarnation);
        recovery_log_step(rq, FAULT_STEP_GIVE_UP, 0);
        log_err("recovery: gave up on cell '%s' after the fault of task %llu: it is failed",
                rq->fault.cell, (unsigned long long)rq->task);
        (void)recovery_release(rq->incarnation, false);
        return;
    default:
        break;
    }
    (void)recovery_release(rq->incarnation, true);
}

/* Zero the stack below the caller's frame, where handling a fault left copies of its addresses. */
static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char below[6 * 1024];
    for (size_t i = 0; i < sizeof(below); i++)
        below[i] = 0;
}

static int recovery_main(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    for (;;) {
        struct recovery_request rq;
        if (recovery_wait(&rq) == 0)
            handle(&rq);
        /* The fault's addresses must not look like references into a version the reclaimer
         * could free: this stack is scanned, and the slots the next wait's frames leave
         * unwritten would still hold what handling this fault put there. */
        memset(&rq, 0, sizeof(rq));
        __asm__ volatile("" : : "r"(&rq) : "memory"); /* not a dead store: it must happen */
        scrub_stack();
    }
    return 0;
}

int recovery_start(void)
{
    struct task_spec spec = {
        .name = "recovery",
        .entry = recovery_main,
        .priority = TASK_PRIO_MAX,
        .flags = TASK_DETACHED | TASK_CORE, /* a kill could catch it holding the cells lock */
    };
    task_id_t id;
    return task_spawn(&spec, &id);
}

KEEL_EXPORT_FUNC(recovery_default_get);
KEEL_EXPORT_FUNC(recovery_default_set);
KEEL_EXPORT_FUNC(recovery_cells);
KEEL_EXPORT_FUNC(recovery_reset);
KEEL_EXPORT_FUNC(recovery_rung_name);
KEEL_EXPORT_FUNC(recovery_rung_by_name);
