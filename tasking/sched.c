/* The scheduler: strict priorities (TASK_PRIO_MIN..MAX, higher first) with round robin inside a
 * priority, preemption from the APIC timer, an idle task, and the list of timed waits.
 *
 * One lock (sched_lock: a spinlock that also keeps interrupts off) protects every run queue,
 * wait queue and task state. A switch happens with the lock held and the lock passes to the task
 * switched to, which releases it (tasks resume inside sched_switch, new tasks in task_start).
 * The policy is in three places: the ready queues (runqueue.c: strict priority, FIFO within
 * one), pick_next() and sched_make_ready() (idle task aside), and the time slice in
 * sched_timer_tick() (preempt after one tick when a task of the same or a higher priority is
 * ready). */
#include <stddef.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/spinlock.h>
#include <keel/core/trap.h>
#include <keel/core/x86.h>
#include "task_internal.h"

#define TASK_OF(link) ((struct task *)((char *)(link)-offsetof(struct task, rq)))

void arch_context_switch(uint64_t *save_rsp, uint64_t new_rsp);

static struct spinlock sched_spin = SPINLOCK_INIT;
static struct task *current;
static struct task *idle_task;
static struct runqueue ready;
static struct task *sleepers; /* sorted by deadline_ns */
static struct task *pending_reap;
static bool need_resched;

int sched_lock(void)
{
    return spin_lock(&sched_spin);
}

void sched_unlock(int irq_state)
{
    /* In task context (interrupts were on), act on a pending preemption right away: a task
     * woken with a higher priority runs before the waker continues. */
    if (irq_state && need_resched && current)
        sched_switch();
    spin_unlock(&sched_spin, irq_state);
}

/* Switches into tasks other than the idle task (task_foreign_switches, stack_scan.c). */
static uint64_t switch_ins;

uint64_t sched_switch_ins(void)
{
    return switch_ins;
}

struct task *task_current(void)
{
    return current;
}

void sched_set_current(struct task *t)
{
    current = t;
}

void sched_set_idle(struct task *t)
{
    idle_task = t;
}

struct task *sched_idle_task(void)
{
    return idle_task;
}

void sched_make_ready(struct task *t)
{
    t->state = TASK_READY;
    if (t == idle_task)
        return; /* the idle task runs when nothing else can: never queued */
    rq_push(&ready, &t->rq, t->priority);
    if (current && (current == idle_task || t->priority > current->priority))
        need_resched = true;
}

static struct task *pick_next(void)
{
    struct rq_link *l = rq_pop(&ready, 0);
    return l ? TASK_OF(l) : idle_task;
}

static void reap_pending(void)
{
    struct task *dead = pending_reap;
    if (dead) {
        pending_reap = 0;
        task_reap_after_switch(dead);
    }
}

void sched_switch(void)
{
    struct task *prev = current;
    need_resched = false;
    if (prev->state == TASK_RUNNING)
        sched_make_ready(prev);
    struct task *next = pick_next();
    if (next == prev) {
        prev->state = TASK_RUNNING;
        return;
    }
    uint64_t now = clock_tsc();
    uint64_t slice = clock_tsc_to_ns(now - prev->switched_in_tsc);
    prev->cpu_ns += slice;
    /* The CPU budget counts from the last block: a yield or a preemption carries it on. */
    prev->run_ns = prev->state == TASK_READY ? prev->run_ns + slice : 0;
    if (prev->state == TASK_DEAD) {
        pending_reap = prev;
        watchdog_task_gone(prev);
    }
    next->state = TASK_RUNNING;
    next->switches++;
    if (next != idle_task)
        switch_ins++;
    next->switched_in_tsc = now;
    current = next;
    arch_context_switch(&prev->saved_rsp, next->saved_rsp);
    /* Running as prev again (or never, if prev died). */
    reap_pending();
}

/* First code of every new task (from task_trampoline), with the scheduler lock held. */
void sched_task_started(void)
{
    reap_pending();
}

void sched_sleep_insert(struct task *t)
{
    struct task **pp = &sleepers;
    while (*pp && (*pp)->deadline_ns <= t->deadline_ns)
        pp = &(*pp)->sleep_next;
    t->sleep_next = *pp;
    *pp = t;
}

void sched_sleep_remove(struct task *t)
{
    for (struct task **pp = &sleepers; *pp; pp = &(*pp)->sleep_next) {
        if (*pp == t) {
            *pp = t->sleep_next;
            t->sleep_next = 0;
            return;
        }
    }
}

static bool in_cell_code(uint64_t rip)
{
    return rip >= CELL_AREA_BASE && rip - CELL_AREA_BASE < CELL_AREA_SIZE;
}

void waitq_timeout(struct task *t); /* waitq.c */

void sched_timer_tick(struct trap_frame *f)
{
    int irq = sched_lock();
    if (!current) {
        sched_unlock(irq);
        return;
    }
    uint64_t now = clock_ns();
    while (sleepers && sleepers->deadline_ns <= now) {
        struct task *t = sleepers;
        sleepers = t->sleep_next;
        t->sleep_next = 0;
        waitq_timeout(t);
    }
    watchdog_tick(current, now); /* a hung task is asked to die, as by task_kill */
    /* A kill takes effect here only if the task was running cell code: the core may be in the
     * middle of something (it reaches a safe point at its next blocking call instead). */
    if (current->kill_requested && current != idle_task && in_cell_code(f->rip)) {
        if (current->hang)
            watchdog_stopped_at(current, f->rip);
        sched_unlock(irq);
        task_finish(TASK_KILLED, KE_KILLED, 0);
    }
    /* Time slice: one tick, then round robin within the priority. */
    if (current != idle_task && rq_highest(&ready) >= (int)current->priority)
        need_resched = true;
    if (need_resched) {
        current->preempted = f; /* for a live swap's quiescence check (swap_tasks.c) */
        struct task *me = current;
        sched_switch();
        me->preempted = 0;
    }
    sched_unlock(irq);
}
