/* A pending live swap, the tasks' part (keel/core/swap_pending.h): the hold that parks the tasks
 * a pending swap stops at its gate and its return barriers, and the barriers themselves.
 *
 * A barrier replaces the return address of a task's outermost frame inside an old version by
 * swap_barrier_return (barrier.S), so the task is caught the moment it leaves the old code. That
 * frame is found on the frame-pointer chain, as the quiescence check finds it (swap_tasks.c), and
 * only where the chain is sure to be right: the return address must follow a call instruction,
 * and a task interrupted at the start or the end of a function (its frame not yet built, or
 * already taken down) is left for the next round. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/cells.h>
#include <keel/loader.h>
#include <keel/noscan.h>
#include <keel/log.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/waitq.h>
#include <keel/core/swap_pending.h>
#include <keel/core/trap.h>
#include "task_internal.h"

extern const char swap_barrier_return[];

#define BARRIERS_MAX 64

/* Scheduler lock. A slot is taken from placement to the moment the task reaches the barrier,
 * drops it (ends) or the swap takes it away. */
static struct barrier {
    struct task *task;                /* NULL: free */
    uint64_t slot;                    /* the stack word that held the return address */
    uint64_t ret;                     /* the return address it held */
} barriers[BARRIERS_MAX] KEEL_NOSCAN; /* a return address is the task's, seen on its stack */
static unsigned live;

static bool held;
static unsigned parked;
static struct waitq hold_wq = WAITQ_INIT;
static struct waitq swapper_wq = WAITQ_INIT; /* the swapping task, waiting for a barrier */

void swap_hold_begin(void)
{
    held = true;
}

void swap_hold_end(void)
{
    int irq = sched_lock();
    held = false;
    waitq_wake_all(&hold_wq);
    sched_unlock(irq);
}

unsigned swap_hold_parked(void)
{
    return __atomic_load_n(&parked, __ATOMIC_RELAXED);
}

int swap_hold_wait(void)
{
    int irq = sched_lock();
    int r = 0;
    while (held && r != KE_KILLED) {
        parked++;
        r = waitq_wait(&hold_wq, 0);
        parked--;
    }
    sched_unlock(irq);
    return r == KE_KILLED ? KE_KILLED : 0;
}

/* Called by swap_barrier_return once the barrier is gone: park while the swap is pending. A kill
 * ends the task here (it has left the old code; nothing of the swap is left on its stack). */
void swap_barrier_park(void);
void swap_barrier_park(void)
{
    if (swap_hold_wait() == KE_KILLED)
        task_exit(KE_KILLED);
}

static unsigned events; /* barriers reached or dropped, tasks held at the gate */

static void barrier_gone(struct barrier *b)
{
    b->task->barrier = 0;
    b->task = NULL;
    live--;
    events++;
    waitq_wake_all(&swapper_wq);
}

/* Called by swap_barrier_return, outside the old code: the original return address. */
uint64_t swap_barrier_leave(void);
uint64_t swap_barrier_leave(void)
{
    int irq = sched_lock();
    struct task *t = task_current();
    uint64_t ret = 0;
    if (t) {
        ret = t->barrier_ret; /* the same as the table's, kept in case the record went */
        t->barrier_ret = 0;
        if (t->barrier) {
            ret = barriers[t->barrier - 1].ret;
            barrier_gone(&barriers[t->barrier - 1]);
        }
        log_debug("swap: task %llu reached its barrier", (unsigned long long)t->id);
    }
    sched_unlock(irq);
    if (!ret) /* a barrier nobody set: the core's invariant is broken */
        panic("swap_barrier_return reached by task %llu without a barrier",
              (unsigned long long)(t ? t->id : 0));
    return ret;
}

void swap_barrier_drop(struct task *t)
{
    t->barrier_ret = 0;
    if (t->barrier)
        barrier_gone(&barriers[t->barrier - 1]);
}

void swap_pending_event(void)
{
    int irq = sched_lock();
    events++;
    waitq_wake_all(&swapper_wq);
    sched_unlock(irq);
}

unsigned swap_barriers_live(void)
{
    return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

static bool on_stack(const struct task *t, uint64_t addr, uint64_t len)
{
    return t->stack.top && addr >= t->stack.base && addr + len <= t->stack.top && addr + len > addr;
}

static bool readable(uint64_t addr, uint64_t len)
{
    return addr + len > addr && paging_range_mapped(addr, len, false);
}

/* Does ret follow a call instruction? e8 rel32, or ff /2 with any of its operand forms (2 to 7
 * bytes with a REX prefix). A false yes only places a barrier that is reached later. */
static bool follows_call(uint64_t ret)
{
    if (!readable(ret - 7, 7))
        return false;
    const uint8_t *p = (const uint8_t *)(uintptr_t)ret;
    if (p[-5] == 0xe8)
        return true;
    for (int len = 2; len <= 7; len++) {
        uint8_t op = p[-len], modrm = p[1 - len];
        if (op == 0xff && (modrm & 0x38) == 0x10)
            return true;
    }
    return false;
}

/* Is the frame of the function interrupted at rip built: does the function build one at all
 * (it starts with push rbp; mov rbp, rsp — a leaf may have none), is that done, and not yet
 * taken down? A false no only waits: the task is caught at the gate if it calls in again. */
static bool frame_built(uint64_t rip)
{
    const uint8_t *start;
    uint64_t off;
    if (loader_addr_lookup(cells_loader(), rip, NULL, NULL, &off) != 0 || off < 4 ||
        !readable(rip - off, 4) || !readable(rip - 1, 4))
        return false;
    start = (const uint8_t *)(uintptr_t)(rip - off);
    if (start[0] != 0x55 || start[1] != 0x48 || start[2] != 0x89 || start[3] != 0xe5)
        return false; /* no frame of its own: the chain would name its caller's return */
    const uint8_t *p = (const uint8_t *)(uintptr_t)rip;
    if (p[0] == 0x55 || p[0] == 0xc3) /* push rbp; ret */
        return false;
    if (p[0] == 0x48 && p[1] == 0x89 && p[2] == 0xe5) /* mov rbp, rsp */
        return false;
    if (p[-1] == 0x5d || p[-1] == 0xc9) /* right after pop rbp or leave */
        return false;
    return true;
}

/* The stack word holding the return address out of t's outermost frame in an old version:
 * 0 if t is not inside, UINT64_MAX if it cannot be told now. */
static uint64_t exit_slot(const struct task *t, const struct loader_swap *sw)
{
    const uint64_t *ctx = (const uint64_t *)(uintptr_t)t->saved_rsp;
    if (!on_stack(t, t->saved_rsp, 7 * 8))
        return UINT64_MAX;
    /* Interrupted in an old function whose frame is not (or not yet, or no longer) there: the
     * chain skips it, and names its caller's return address instead. That is still the right
     * slot if the caller is old too (the function's own return address, at the interrupted
     * rsp, then points into the old version); else it cannot be told now. */
    const struct trap_frame *f = t->preempted;
    if (f && loader_swap_in_old(sw, f->rip) && !frame_built(f->rip)) {
        bool caller_old = false;
        for (int i = 0; i < 2 && !caller_old; i++) {
            uint64_t a = f->rsp + 8u * (unsigned)i;
            caller_old =
                on_stack(t, a, 8) && loader_swap_in_old(sw, *(const uint64_t *)(uintptr_t)a);
        }
        if (!caller_old)
            return UINT64_MAX;
    }
    bool in_old = loader_swap_in_old(sw, ctx[6]);
    uint64_t slot = 0, rbp = ctx[5];
    while (rbp) {
        if ((rbp & 7) || !on_stack(t, rbp, 16))
            return UINT64_MAX;
        const uint64_t *fp = (const uint64_t *)(uintptr_t)rbp;
        bool next_old = loader_swap_in_old(sw, fp[1]);
        if (in_old && !next_old)
            slot = rbp + 8; /* this frame's function is old; it returns out of the old code */
        in_old = next_old;
        if (fp[0] && fp[0] <= rbp)
            return UINT64_MAX;
        rbp = fp[0];
    }
    if (in_old)
        return UINT64_MAX; /* the chain ends inside (cannot happen: task_start is the core's) */
    return slot;
}

static bool waits_in_old(const struct task *t, const struct loader_swap *sw)
{
    if (t->waiting_on && loader_swap_in_old(sw, (uint64_t)(uintptr_t)t->waiting_on))
        return true;
    for (const struct mutex *m = t->held; m; m = m->next_held)
        if (loader_swap_in_old(sw, (uint64_t)(uintptr_t)m))
            return true;
    return false;
}

unsigned swap_barriers_place(const struct loader_swap *sw, unsigned *placed)
{
    unsigned n = 0, unbarred = 0;
    struct task *self = task_current();
    for (struct task *t = swap_all_tasks(); t; t = t->all_next) {
        if (t == self || t->state == TASK_DEAD || t->barrier || task_is_idle(t))
            continue;
        if ((t->flags & TASK_SERVICE) && t->state == TASK_BLOCKED)
            continue; /* today's protocol: the commit re-spawns it where it blocks */
        if (waits_in_old(t, sw))
            continue;
        uint64_t slot = exit_slot(t, sw);
        if (!slot)
            continue; /* not inside */
        uint64_t ret = slot == UINT64_MAX ? 0 : *(const uint64_t *)(uintptr_t)slot;
        unsigned i = 0;
        while (i < BARRIERS_MAX && barriers[i].task)
            i++;
        if (!ret || !follows_call(ret) || i == BARRIERS_MAX) {
            unbarred++;
            continue;
        }
        barriers[i] = (struct barrier){t, slot, ret};
        t->barrier = i + 1;
        t->barrier_ret = ret;
        *(uint64_t *)(uintptr_t)slot = (uint64_t)(uintptr_t)swap_barrier_return;
        live++;
        n++;
    }
    *placed = n;
    return unbarred;
}

extern const char swap_barrier_left[];

/* World stopped: has b's task already returned into swap_barrier_return, and not yet taken its
 * record in swap_barrier_leave? It is outside the old code then (a check lets the swap commit),
 * and needs the record on its way: stopped in the trampoline before the call, or somewhere in
 * the call (its return address sits 32 bytes below the slot, swap_barrier_return's layout). */
static bool on_its_way_out(const struct barrier *b)
{
    const struct task *t = b->task;
    const struct trap_frame *f = t->preempted;
    if (!f)
        return false; /* switched away: not from the trampoline, which blocks only after */
    uint64_t lo = (uint64_t)(uintptr_t)swap_barrier_return;
    uint64_t hi = (uint64_t)(uintptr_t)swap_barrier_left;
    if (f->rip >= lo && f->rip < hi)
        return true;
    uint64_t at = b->slot - 32;
    return f->rsp <= at && on_stack(t, at, 8) && *(const uint64_t *)(uintptr_t)at == hi;
}

void swap_barriers_remove(void)
{
    for (unsigned i = 0; i < BARRIERS_MAX; i++) {
        struct barrier *b = &barriers[i];
        if (!b->task || on_its_way_out(b))
            continue; /* its swap_barrier_leave takes the record (or its end drops it) */
        uint64_t *slot = (uint64_t *)(uintptr_t)b->slot;
        if (*slot == (uint64_t)(uintptr_t)swap_barrier_return)
            *slot = b->ret;
        barrier_gone(b);
    }
}

unsigned swap_pending_events(void)
{
    return __atomic_load_n(&events, __ATOMIC_RELAXED);
}

int swap_pending_wait(unsigned seen, uint64_t deadline_ns)
{
    int irq = sched_lock();
    int r = 0;
    if (events == seen) /* else something happened since the caller looked */
        r = waitq_wait(&swapper_wq, deadline_ns);
    sched_unlock(irq);
    return r == KE_KILLED ? KE_KILLED : 0;
}

bool swap_tasks_stopped_in(uint64_t lo, uint64_t hi)
{
    struct task *self = task_current();
    for (struct task *t = swap_all_tasks(); t; t = t->all_next) {
        if (t == self || t->state == TASK_DEAD)
            continue;
        if (t->preempted && t->preempted->rip >= lo && t->preempted->rip < hi)
            return true;
    }
    return false;
}

uint64_t swap_barrier_fixup(uint64_t slot, uint64_t ret)
{
    if (ret != (uint64_t)(uintptr_t)swap_barrier_return)
        return ret;
    for (unsigned i = 0; i < BARRIERS_MAX; i++)
        if (barriers[i].task && barriers[i].slot == slot)
            return barriers[i].ret;
    return ret;
}
