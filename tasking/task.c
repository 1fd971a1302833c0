/* The task API (keel/task.h): spawn with owned argument and return blocks, run-once entries,
 * join/detach/kill/exit, restartable tasks. */
#include <keel/atomic.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/loader.h>
#include <keel/log.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/export.h>
#include "backoff.h"
#include <keel/core/recovery.h>
#include <keel/cells.h>
#include "sync_internal.h"
#include "task_internal.h"

/* A notice on the console, or only in the kernel log while fault reports are off. */
#define klog_maybe_quiet(level, ...)                                                               \
    (task_fault_console_on() ? klog(level, __VA_ARGS__) : klog_quiet(level, __VA_ARGS__))

#define DEFAULT_STACK_PAGES  4
#define MAX_STACK_PAGES      64
#define DEFAULT_MAX_RESTARTS 5
#define DEFAULT_BACKOFF_NS   (1000ull * 1000)

void task_trampoline(void);
void sched_task_started(void);
void waitq_interrupt(struct task *t);

static atomic_u64 next_id = {1};

task_id_t task_new_id(void)
{
    return atomic_fetch_add_u64(&next_id, 1, MO_RELAXED);
}
static struct task *all_tasks; /* every task not yet reaped; under the scheduler lock */
static size_t ntasks;

void task_list_add(struct task *t)
{
    t->all_next = all_tasks;
    all_tasks = t;
    ntasks++;
}

static void task_list_remove(struct task *t)
{
    for (struct task **pp = &all_tasks; *pp; pp = &(*pp)->all_next) {
        if (*pp == t) {
            *pp = t->all_next;
            ntasks--;
            return;
        }
    }
}

struct task *task_by_id_locked(task_id_t id)
{
    for (struct task *t = all_tasks; t; t = t->all_next)
        if (t->id == id)
            return t;
    return 0;
}

/* The task with the smallest id greater than `after` (for ordered listings). */
struct task *task_next_by_id_locked(task_id_t after)
{
    struct task *best = 0;
    for (struct task *t = all_tasks; t; t = t->all_next)
        if (t->id > after && (!best || t->id < best->id))
            best = t;
    return best;
}

size_t task_count(void)
{
    return ntasks;
}

task_id_t task_self(void)
{
    struct task *t = task_current();
    return t ? t->id : 0;
}

const char *task_current_name(void)
{
    struct task *t = task_current();
    return t ? t->name : "";
}

struct mutex **task_held_mutexes(void)
{
    struct task *t = task_current();
    return t ? &t->held : 0;
}

static void copy_name(char *dst, const char *src)
{
    size_t n = src ? strnlen(src, TASK_NAME_MAX - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = 0;
}

/* Free a task record and what it still holds (its stack is freed separately). */
static void free_record(struct task *t)
{
    kfree(t->pristine_arg);
    kfree(t->ret);
    kfree(t);
}

/* The initial stack: arch_context_switch pops r15..rbp and returns into task_trampoline. */
void task_prepare_stack(struct task *t)
{
    /* A re-spawned task reuses its stack: clear it, so no stale word of the last incarnation
     * looks like a reference to the reclaimer's scan. */
    memset((void *)(uintptr_t)t->stack.base, 0, (size_t)(t->stack.top - t->stack.base));
    uint64_t *sp = (uint64_t *)(uintptr_t)t->stack.top;
    *--sp = (uint64_t)(uintptr_t)task_trampoline;
    *--sp = 0;                      /* rbp */
    *--sp = 0;                      /* rbx */
    *--sp = (uint64_t)(uintptr_t)t; /* r12: the task for task_start */
    *--sp = 0;                      /* r13 */
    *--sp = 0;                      /* r14 */
    *--sp = 0;                      /* r15 */
    t->saved_rsp = (uint64_t)(uintptr_t)sp;
}

/* Allocate a task with its blocks and stack; nothing is visible until the caller queues it. */
int task_create(const char *name, task_entry_fn entry, const void *arg, size_t arg_size,
                size_t ret_size, unsigned prio, unsigned flags, unsigned stack_pages,
                struct task **out)
{
    struct task *t = kmalloc_owned(sizeof(*t), 0, OWNER_CORE);
    if (!t)
        return KE_NOMEM;
    memset(t, 0, sizeof(*t));
    t->id = task_new_id();
    t->owner = OWNER_TASK(t->id);
    copy_name(t->name, name);
    t->entry = entry;
    t->priority = prio;
    t->flags = flags;
    t->arg_size = arg_size;
    t->ret_size = ret_size;
    int err = KE_NOMEM;
    /* The argument copy belongs to the task (freed with everything it owns); the pristine copy
     * and the return block are the record's until the end (the return block then goes to the
     * joiner). */
    if (arg_size) {
        t->arg = kmalloc_owned(arg_size, 0, t->owner);
        if (!t->arg)
            goto fail;
        memcpy(t->arg, arg, arg_size);
        if (flags & (TASK_RESTARTABLE | TASK_SERVICE)) {
            t->pristine_arg = kmalloc_owned(arg_size, 0, OWNER_CORE);
            if (!t->pristine_arg)
                goto fail;
            memcpy(t->pristine_arg, arg, arg_size);
        }
    }
    if (ret_size) {
        t->ret = kmalloc_owned(ret_size, 0, OWNER_CORE);
        if (!t->ret)
            goto fail;
        memset(t->ret, 0, ret_size);
    }
    err = kstack_alloc(stack_pages, &t->stack);
    if (err)
        goto fail;
    task_prepare_stack(t);
    *out = t;
    return 0;
fail:
    kheap_free_owner(t->owner);
    free_record(t);
    return err;
}

static const struct loaded_cell *cell_of(task_entry_fn entry)
{
    struct loader *ld = cells_loader();
    const struct loaded_cell *cell = 0;
    const char *sym;
    uint64_t off;
    if (ld && loader_addr_lookup(ld, (uint64_t)(uintptr_t)entry, &cell, &sym, &off) == 0) {
        struct loader_cell_info ci;
        loader_cell_info(cell, &ci);
        return ci.retired ? 0 : cell; /* a retired version's entry is a stale one */
    }
    return 0;
}

static bool cell_failed(const struct loaded_cell *cell)
{
    struct loader_cell_info ci;
    if (!cell)
        return false;
    loader_cell_info(cell, &ci);
    return ci.failed;
}

/* Pin the cell that holds the task's entry, and remember its name for listings. */
static void pin_cell(struct task *t, const struct loaded_cell *cell)
{
    struct loader_cell_info ci;
    loader_cell_info(cell, &ci);
    size_t n = strnlen(ci.name, sizeof(t->cell_name) - 1);
    memcpy(t->cell_name, ci.name, n);
    t->cell_name[n] = 0;
    t->cell_version = ci.version;
    loader_cell_pin(cells_loader(), (struct loaded_cell *)cell);
}

int task_spawn(const struct task_spec *spec, task_id_t *id_out)
{
    if (!spec || !spec->entry)
        return KE_INVAL;
    if (spec->arg_size > TASK_ARG_MAX || spec->ret_size > TASK_RET_MAX ||
        (spec->arg_size && !spec->arg))
        return KE_INVAL;
    unsigned prio = spec->priority ? spec->priority : TASK_PRIO_DEFAULT;
    if (prio < TASK_PRIO_MIN || prio > TASK_PRIO_MAX)
        return KE_RANGE;
    if (spec->flags & ~(unsigned)(TASK_RESTARTABLE | TASK_DETACHED | TASK_SERVICE | TASK_CORE))
        return KE_INVAL;
    uint64_t entry = (uint64_t)(uintptr_t)spec->entry;
    if ((spec->flags & TASK_CORE) && entry - CELL_AREA_BASE < CELL_AREA_SIZE)
        return KE_PERM; /* a cell cannot make itself unkillable */
    unsigned pages = spec->stack_pages ? spec->stack_pages : DEFAULT_STACK_PAGES;
    if (pages > MAX_STACK_PAGES)
        return KE_RANGE;
    if (!task_current())
        return KE_BUSY; /* tasking has not started */
    if (spec->cpus && !sched_cpus_valid(spec->cpus))
        return KE_RANGE;
    /* Read the caller's name and argument block before anything is allocated: a bad pointer
     * faults the caller (tasking/fault.c) with nothing to leak. */
    if (spec->name)
        (void)strnlen(spec->name, TASK_NAME_MAX);
    for (size_t i = 0; i < spec->arg_size; i += PAGE_SIZE)
        (void)((const volatile char *)spec->arg)[i];
    if (spec->arg_size)
        (void)((const volatile char *)spec->arg)[spec->arg_size - 1];

    struct task *t;
    int err = task_create(spec->name, spec->entry, spec->arg, spec->arg_size, spec->ret_size, prio,
                          spec->flags, pages, &t);
    if (err)
        return err;
    t->detached = (spec->flags & TASK_DETACHED) != 0;
    t->max_restarts = spec->max_restarts ? spec->max_restarts : DEFAULT_MAX_RESTARTS;
    t->backoff_ns = spec->backoff_ns ? spec->backoff_ns : DEFAULT_BACKOFF_NS;
    t->heartbeat_ns = spec->heartbeat_ns;
    t->cpu_budget_ns = spec->cpu_budget_ns;
    t->affinity = spec->cpus;
    t->last_beat_ns = clock_ns();
    task_id_t id = t->id;
    /* The cell lookup, its pin and the task's appearance are one step for a live swap, which
     * moves pins and entries with the scheduler lock held. */
    int irq = sched_lock();
    t->cell = cell_of(spec->entry);
    int refused = 0;
    if (!t->cell && entry >= CELL_AREA_BASE && entry - CELL_AREA_BASE < CELL_AREA_SIZE)
        refused = KE_NOENT; /* in the cell area but no loaded cell's: a stale entry */
    else if (cell_failed(t->cell))
        refused = KE_FAILED; /* the recovery ladder gave the cell up */
    if (refused) {
        sched_unlock(irq);
        kheap_free_owner(t->owner);
        kstack_free(&t->stack);
        free_record(t);
        return refused;
    }
    if (t->cell)
        pin_cell(t, t->cell);
    task_list_add(t);
    watchdog_task_added(t);
    sched_make_ready(t);
    sched_unlock(irq);
    if (id_out)
        *id_out = id;
    return 0;
}

/* Every task starts here (from task_trampoline) with the scheduler lock held. */
_Noreturn void task_start(struct task *t)
{
    sched_task_started();
    sched_unlock(1);
    if (t->kill_requested)
        task_finish(TASK_KILLED, KE_KILLED, 0); /* killed while held for recovery */
    if (t->not_before_ns) {
        uint64_t now = clock_ns();
        if (now < t->not_before_ns)
            task_sleep_ns(t->not_before_ns - now); /* restart back-off */
    }
    int status = t->entry(t->arg, t->ret);
    task_finish(TASK_RETURNED, status, 0);
}

/* A restartable task that faulted: a new task from a pristine copy of the argument block.
 * Called with the scheduler lock held; returns the new task or NULL (then no restart). */
static struct task *respawn(struct task *old)
{
    struct task *t;
    if (task_create(old->name, old->entry, old->pristine_arg, old->arg_size, old->ret_size,
                    old->priority, old->flags,
                    (unsigned)((old->stack.top - old->stack.base) / PAGE_SIZE), &t))
        return 0;
    t->detached = old->detached;
    t->max_restarts = old->max_restarts;
    t->backoff_ns = old->backoff_ns;
    t->restarts = old->restarts + 1;
    t->not_before_ns = clock_ns() + backoff_delay_ns(old->backoff_ns, t->restarts, BACKOFF_CAP_NS);
    t->heartbeat_ns = old->heartbeat_ns;
    t->cpu_budget_ns = old->cpu_budget_ns;
    t->affinity = old->affinity;
    t->last_beat_ns = t->not_before_ns; /* its heartbeat counts from its start */
    t->cell = old->cell;
    if (t->cell)
        pin_cell(t, t->cell);
    task_list_add(t);
    watchdog_task_added(t);
    /* Held for the recovery ladder (it may reload the cell first), or started as it is. */
    if (!recovery_post_locked(old, t))
        sched_make_ready(t);
    return t;
}

_Noreturn void task_finish(enum task_end how, int status, const struct task_fault *fault)
{
    struct task *t = task_current();
    int irq = sched_lock();
    (void)irq; /* never released here: the lock passes to the next task */
    if (!t || task_is_idle(t))
        panic("task_finish outside a task");
    /* A kill that a blocking call reported (KE_KILLED) ends the task as killed, however it then
     * left its entry: the joiner learns that its kill took effect. */
    if (t->kill_requested && (how == TASK_RETURNED || how == TASK_EXITED)) {
        how = TASK_KILLED;
        status = KE_KILLED;
    }
    /* Hang detection (watchdog.c): the kill it asked for ends the task as a hang fault — also
     * when the task faulted on its way out (a fail-stop workload traps on the KE_KILLED its
     * blocked call returned): the hang is the cause, and when it began counts for the ladder. */
    if (t->hang) {
        how = TASK_FAULTED;
        status = KE_TIMEDOUT;
        fault = watchdog_hang_ended(t);
    }
    /* Evicted by a reload of its cell (task_evict_cell): a fault of its own, so that a
     * restartable task starts again — in the new instance, which the reload swaps in while the
     * new incarnation is held for the recovery task. */
    struct task_fault evicted;
    if (t->evicted && how != TASK_FAULTED) {
        evicted = (struct task_fault){.time_ns = clock_ns(), .kind = FAULT_KIND_EVICTED};
        ksnprintf(evicted.cell, sizeof(evicted.cell), "%s",
                  t->cell_name[0] ? t->cell_name : "core");
        evicted.cell_version = t->cell_version;
        fault_log_add(t, &evicted, FAULT_STEP_ENDED, 0, 0);
        how = TASK_FAULTED;
        status = KE_KILLED;
        fault = &evicted;
    }
    t->end = how;
    t->status = status;
    if (fault)
        t->fault = *fault;
    swap_barrier_drop(t);
    mutex_release_all_of_dead_task(&t->held);
    /* The return block survives the task; everything else it owns goes now. */
    /* The boot task charges its allocations to the core (they outlive it): never free those. */
    size_t freed = t->owner == OWNER_CORE ? 0 : kheap_free_owner(t->owner);
    t->arg = 0;
    if (freed > (t->arg_size ? 1u : 0u))
        log_debug("task %llu '%s': freed %zu blocks it still held", (unsigned long long)t->id,
                  t->name, freed);
    if ((t->flags & TASK_RESTARTABLE) && how == TASK_FAULTED && t->restarts < t->max_restarts &&
        !cell_failed(t->cell)) {
        struct task *n = respawn(t);
        fault_log_add(t, &t->fault, FAULT_STEP_RESTART, n ? 0 : KE_NOMEM, n ? n->id : 0);
        if (n) {
            t->successor = n->id;
            klog_maybe_quiet(
                LOG_NOTICE, "task %llu '%s' restarted as task %llu (restart %u, back-off %llu us)",
                (unsigned long long)t->id, t->name, (unsigned long long)n->id, n->restarts,
                (unsigned long long)(backoff_delay_ns(t->backoff_ns, n->restarts, BACKOFF_CAP_NS) /
                                     1000));
        } else {
            log_err("task %llu '%s': could not restart (out of memory)", (unsigned long long)t->id,
                    t->name);
        }
    }
    /* After a respawn (which pins the cell for the new incarnation): the record may outlive the
     * cell, so it keeps only the name. */
    if (t->cell)
        loader_cell_unpin(cells_loader(), (struct loaded_cell *)t->cell);
    t->cell = 0;
    waitq_wake_all(&t->joiners);
    t->state = TASK_DEAD;
    sched_switch();
    panic("a dead task was scheduled");
}

_Noreturn void task_exit(int status)
{
    task_finish(TASK_EXITED, status, 0);
}

void task_reap_after_switch(struct task *dead)
{
    kstack_free(&dead->stack);
    /* Detached: nobody will ever look at the record again (a successor carries on alone). */
    if (dead->detached) {
        if (dead == sched_boot_task())
            sched_boot_task_reaped();
        task_list_remove(dead);
        free_record(dead);
    }
}

/* The incarnation after t in a restart chain, or NULL when t is the last one (or its successor
 * is gone: detached and reaped by its own id — then t's own result is the answer). */
static struct task *next_incarnation(struct task *t)
{
    if (t->state != TASK_DEAD || !t->successor)
        return 0;
    struct task *n = task_by_id_locked(t->successor);
    return (n && !n->joined) ? n : 0;
}

/* Clear the "being joined" marks along the chain starting at id. */
static void unmark_chain(task_id_t id)
{
    for (struct task *t = task_by_id_locked(id); t; t = next_incarnation(t))
        t->joining = false;
}

static int join_common(task_id_t id, uint64_t deadline_ns, bool wait, struct task_result *out)
{
    if (!out)
        return KE_INVAL;
    struct task *self = task_current();
    int irq = sched_lock();
    struct task *t = task_by_id_locked(id);
    int err = 0;
    if (!t || t->joined)
        err = KE_NOENT;
    else if (t == self)
        err = KE_BUSY;
    else if (t->detached)
        err = KE_INVAL;
    else if (t->joining)
        err = KE_BUSY; /* somebody is already joining it */
    if (err) {
        sched_unlock(irq);
        return err;
    }
    /* Every record of the chain is marked while we look at it, so no other join or detach can
     * free it under us; they are freed only once the final result is taken. */
    for (;;) {
        struct task *n;
        t = task_by_id_locked(id);
        if (!t) { /* the chain's record went while we waited (seen once under fault injection) */
            sched_unlock(irq);
            log_err("task_join: task %llu's record vanished while joined", (unsigned long long)id);
            return KE_NOENT;
        }
        t->joining = true;
        while ((n = next_incarnation(t)) != 0) {
            n->joining = true;
            t = n;
        }
        if (t->state == TASK_DEAD)
            break;
        err = wait ? waitq_wait(&t->joiners, deadline_ns) : KE_AGAIN;
        if (err) {
            unmark_chain(id);
            sched_unlock(irq);
            return err;
        }
    }
    /* The result goes to out only after the lock is released: out is the caller's memory. */
    struct task_result res = {
        .id = t->id,
        .how = t->end,
        .status = t->status,
        .restarts = t->restarts,
        .ret = t->ret,
        .ret_size = t->ret_size,
        .fault = t->fault,
    };
    t->ret = 0;
    if (res.ret)
        kheap_transfer(res.ret, kheap_current_owner());
    /* Drop the whole chain: the earlier incarnations and the final one. */
    struct task *r = task_by_id_locked(id);
    while (r) {
        struct task *n = r == t ? 0 : next_incarnation(r);
        r->joined = true;
        task_list_remove(r);
        free_record(r);
        r = n;
    }
    sched_unlock(irq);
    *out = res;
    return 0;
}

/* now + ns, saturating (a huge timeout must not wrap into "already expired" or "none"). */
static uint64_t deadline_after(uint64_t ns)
{
    uint64_t now = clock_ns();
    if (ns == 0)
        ns = 1;
    return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

int task_join(task_id_t id, struct task_result *out)
{
    return join_common(id, 0, true, out);
}

int task_try_join(task_id_t id, struct task_result *out)
{
    return join_common(id, 0, false, out);
}

int task_join_timeout(task_id_t id, uint64_t timeout_ns, struct task_result *out)
{
    return join_common(id, deadline_after(timeout_ns), true, out);
}

int task_detach(task_id_t id)
{
    int irq = sched_lock();
    struct task *t = task_by_id_locked(id);
    int err = 0;
    if (!t || t->joined)
        err = KE_NOENT;
    else if (t->detached)
        err = KE_INVAL;
    else if (t->joining)
        err = KE_BUSY; /* a joiner holds it */
    if (!err) {
        t->detached = true;
        /* Already dead (its stack is gone): reap the record, and any restart chain behind it. */
        while (t && t->state == TASK_DEAD) {
            struct task *n = t->successor ? task_by_id_locked(t->successor) : 0;
            task_list_remove(t);
            free_record(t);
            t = n;
            if (t)
                t->detached = true;
        }
    }
    sched_unlock(irq);
    return err;
}

int task_kill(task_id_t id)
{
    struct task *self = task_current();
    int irq = sched_lock();
    struct task *t = task_by_id_locked(id);
    /* A restarted task lives on in its latest incarnation: kill that one. */
    while (t && t->state == TASK_DEAD && t->successor)
        t = task_by_id_locked(t->successor);
    if (!t || t->state == TASK_DEAD) {
        sched_unlock(irq);
        return KE_NOENT;
    }
    if (task_is_idle(t) || t == sched_boot_task() || (t->flags & TASK_CORE)) {
        sched_unlock(irq);
        return KE_PERM; /* the core's own tasks */
    }
    t->kill_requested = true;
    waitq_interrupt(t);
    sched_unlock(irq);
    if (t == self)
        task_finish(TASK_KILLED, KE_KILLED, 0);
    return 0;
}

size_t task_evict_cell(const char *cell)
{
    size_t n = 0;
    int irq = sched_lock();
    for (struct task *t = swap_all_tasks(); t; t = t->all_next) {
        /* Service tasks are the swap's to park and re-spawn (swap_tasks.c), not evicted. */
        if (t->state == TASK_DEAD || t->recovery_held || t->kill_requested ||
            (t->flags & (TASK_CORE | TASK_SERVICE)) || task_is_idle(t) || t == sched_boot_task() ||
            strcmp(t->cell_name, cell) != 0)
            continue;
        t->evicted = true;
        t->kill_requested = true; /* a blocked call returns KE_KILLED; cell code ends at a tick */
        waitq_interrupt(t);
        n++;
    }
    sched_unlock(irq);
    return n;
}

size_t task_evicted_alive(void)
{
    size_t n = 0;
    int irq = sched_lock();
    for (struct task *t = swap_all_tasks(); t; t = t->all_next)
        if (t->evicted && t->state != TASK_DEAD)
            n++;
    sched_unlock(irq);
    return n;
}

void task_yield(void)
{
    struct task *self = task_current();
    if (!self)
        return;
    if (self->kill_requested && !task_is_idle(self))
        task_finish(TASK_KILLED, KE_KILLED, 0); /* a yield is a safe point */
    int irq = sched_lock();
    sched_switch();
    sched_unlock(irq);
}

int task_sleep_ns(uint64_t ns)
{
    struct waitq wq = WAITQ_INIT;
    struct task *self = task_current();
    if (!self)
        return KE_INVAL;
    int irq = sched_lock();
    self->sleeping = true;
    int r = waitq_wait(&wq, deadline_after(ns));
    self->sleeping = false;
    sched_unlock(irq);
    return r == KE_TIMEDOUT ? 0 : r;
}

KEEL_EXPORT_FUNC(task_spawn);
KEEL_EXPORT_FUNC(task_join);
KEEL_EXPORT_FUNC(task_try_join);
KEEL_EXPORT_FUNC(task_join_timeout);
KEEL_EXPORT_FUNC(task_detach);
KEEL_EXPORT_FUNC(task_exit);
KEEL_EXPORT_FUNC(task_kill);
KEEL_EXPORT_FUNC(task_self);
KEEL_EXPORT_FUNC(task_yield);
KEEL_EXPORT_FUNC(task_sleep_ns);
KEEL_EXPORT_FUNC(task_count);

/* For a live swap's walk over every task (swap_tasks.c), scheduler lock held. */
struct task *swap_all_tasks(void)
{
    return all_tasks;
}

/* Has the running task been asked to die (for core code that must clean up before its next
 * safe point, e.g. a live swap waiting for quiescence)? */
bool task_kill_pending(void)
{
    struct task *t = task_current();
    return t && t->kill_requested;
}
