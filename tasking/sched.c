/* The scheduler's mechanism: each CPU's ready queue, the switch, preemption from each CPU's APIC
 * timer, an idle task per CPU, and the list of timed waits. What goes where and what runs next
 * is the policy's (sched_policy.c: a cell's, or the core's copy of the priority policy);
 * docs/smp.md tells the whole story.
 *
 * One lock (sched_lock: a spinlock that also keeps interrupts off) protects every run queue,
 * wait queue and task state, on every CPU. A switch happens with the lock held and the lock
 * passes to the task switched to, which releases it (tasks resume inside sched_switch, new tasks
 * in task_start). So a task is never picked by one CPU while another is still saving it: the
 * one switching away holds the lock until its registers are saved.
 *
 * A task that becomes ready goes to the queue and level the policy names; a CPU told of a task
 * it should run now gets a reschedule IPI. At each tick the policy says whether what it would
 * run next takes the CPU from the running task. */
#include <stddef.h>
#include <keel/clock.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/spinlock.h>
#include <keel/core/cpu_local.h>
#include <keel/core/trap.h>
#include <keel/core/x86.h>
#include "sched_internal.h"

void arch_context_switch(uint64_t *save_rsp, uint64_t new_rsp);
void arch_context_park(uint64_t *save_rsp, void (*wait)(void *), void *arg);

static struct spinlock sched_spin = SPINLOCK_INIT;
struct cpu_sched sched_cpus[CPU_MAX];
uint32_t sched_mask = 1;
unsigned sched_span = 1;
static struct task *sleepers; /* sorted by deadline_ns */

static struct cpu_sched *here(void)
{
    return &sched_cpus[cpu_self()];
}

int sched_lock(void)
{
    int irq = spin_lock(&sched_spin);
    /* Under this lock a CPU reads other tasks' records and stacks (a wait queue on a blocked
     * task's stack, its saved context). A stack range another CPU freed, mapped again and
     * handed to a task that then blocked was all done before the lock was ours, the unmap's
     * TLB generation too: drop any stale translation now, not at the next tick (one read of
     * the generation when nothing changed). */
    tlb_catch_up();
    return irq;
}

void sched_unlock(int irq_state)
{
    /* In task context (interrupts were on), act on a pending preemption right away: a task
     * woken with a higher priority runs before the waker continues. */
    if (irq_state && here()->need_resched && task_current())
        sched_switch();
    spin_unlock(&sched_spin, irq_state);
    if (irq_state && sched_policy_dropped_pending())
        sched_policy_say_dropped();
}

/* Switches into tasks other than idle tasks, on every CPU (task_foreign_switches, stack_scan.c). */
static uint64_t switch_ins;

uint64_t sched_switch_ins(void)
{
    return switch_ins;
}

struct task *task_current(void)
{
    return cpu_local_current();
}

void sched_set_current(struct task *t)
{
    cpu_local()->current_task = t;
}

void sched_set_idle(struct task *t)
{
    t->idle = true;
    t->cpu = cpu_self();
    here()->idle = t;
    here()->on = true;
    sched_mask |= 1u << cpu_self();
    if (cpu_self() + 1 > sched_span)
        sched_span = cpu_self() + 1;
}

bool task_is_idle(const struct task *t)
{
    return t && t->idle;
}

struct task *sched_running_on(unsigned cpu)
{
    struct cpu_local *c = cpu_local_of(cpu);
    return c ? c->current_task : 0;
}

uint32_t sched_allowed(const struct task *t)
{
    uint32_t m = t->affinity & sched_mask;
    return m ? m : sched_mask;
}

void sched_make_ready(struct task *t)
{
    t->state = TASK_READY;
    if (t->idle)
        return; /* an idle task runs when nothing else can: never queued */
    unsigned target, level;
    policy_place(t, &target, &level);
    struct cpu_sched *cs = &sched_cpus[target];
    t->cpu = target;
    t->level = level;
    rq_push(&cs->ready, &t->rq, level);
    cs->queued++;
    struct task *cur = sched_running_on(target);
    if (!cur || cur == t || cs->need_resched)
        return; /* a yield or a preemption: the switch under way picks */
    if (cur == cs->idle || policy_preempt(target, cur, t, false)) {
        cs->need_resched = true;
        if (target != cpu_self())
            cpu_kick(target);
    }
}

/* What this CPU runs next, taken off its queue (its idle task when the policy gives none). */
static struct task *pick_next(void)
{
    unsigned self = cpu_self();
    struct task *t = policy_pick(self);
    if (!t)
        return here()->idle;
    rq_remove(&sched_cpus[t->cpu].ready, &t->rq, t->level);
    sched_cpus[t->cpu].queued--;
    t->cpu = self;
    return t;
}

static void reap_pending(void)
{
    struct task *dead = here()->pending_reap;
    if (dead) {
        here()->pending_reap = 0;
        task_reap_after_switch(dead);
    }
}

void sched_switch(void)
{
    struct cpu_sched *cs = here();
    struct task *prev = task_current();
    cs->need_resched = false;
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
        cs->pending_reap = prev;
        watchdog_task_gone(prev);
    }
    next->state = TASK_RUNNING;
    next->switches++;
    if (!next->idle)
        switch_ins++;
    next->switched_in_tsc = now;
    sched_set_current(next);
    tlb_catch_up(); /* next may use a range another CPU unmapped and mapped again */
    arch_context_switch(&prev->saved_rsp, next->saved_rsp);
    /* Running as prev again, maybe on another CPU (or never, if prev died). */
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

/* Switch away from the interrupted task now, recording where it was interrupted (for a live
 * swap's quiescence check, swap_tasks.c, and backtraces). */
static void preempt(struct trap_frame *f)
{
    struct task *me = task_current();
    me->preempted = f;
    sched_switch();
    me->preempted = 0;
}

void sched_timer_tick(struct trap_frame *f)
{
    int irq = sched_lock();
    struct task *cur = task_current();
    struct cpu_sched *cs = here();
    if (!cur || !cs->on) {
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
    watchdog_tick(cur, now); /* a hung task is asked to die, as by task_kill */
    /* A kill takes effect here only if the task was running cell code: the core may be in the
     * middle of something (it reaches a safe point at its next blocking call instead). */
    if (cur->kill_requested && !cur->idle && in_cell_code(f->rip)) {
        if (cur->hang)
            watchdog_stopped_at(cur, f->rip);
        sched_unlock(irq);
        task_finish(TASK_KILLED, KE_KILLED, 0);
    }
    /* The time slice: the policy says whether what would run next takes over (a task queued
     * anywhere that may run here counts: this is also how an idle CPU finds work another one
     * queued). */
    struct task *next = policy_pick(cpu_self());
    if (next && (cur->idle || policy_preempt(cpu_self(), cur, next, true)))
        cs->need_resched = true;
    if (cs->need_resched)
        preempt(f);
    sched_unlock(irq);
}

/* The reschedule IPI: another CPU queued a task this one should run now. */
void sched_kick_irq(struct trap_frame *f)
{
    int irq = sched_lock();
    if (task_current() && here()->on && here()->need_resched)
        preempt(f);
    sched_unlock(irq);
}

/* An application processor joins: its start-up context becomes its idle task. */
void sched_cpu_enter(struct task *idle)
{
    int irq = sched_lock();
    idle->state = TASK_RUNNING;
    idle->switched_in_tsc = clock_tsc();
    sched_set_current(idle);
    sched_set_idle(idle);
    sched_unlock(irq);
}

/* This CPU is parked by a stop of the world (interrupts off, not holding the scheduler lock):
 * its task's registers are saved as for a switch, with the interrupted frame, so that the
 * stopper reads it like any task switched away (swap_tasks.c, stack_scan.c, backtrace.c). */
void sched_park_here(struct trap_frame *f, void (*wait)(void *), void *arg)
{
    struct task *t = task_current();
    if (!t) {
        wait(arg);
        return;
    }
    const struct trap_frame *was = t->preempted;
    t->preempted = f;
    t->parked = true;
    arch_context_park(&t->saved_rsp, wait, arg);
    t->parked = false;
    t->preempted = was;
}

bool sched_cpus_valid(uint32_t mask)
{
    return (mask & __atomic_load_n(&sched_mask, __ATOMIC_RELAXED)) != 0;
}

int task_set_cpus(uint32_t mask)
{
    struct task *t = task_current();
    if (!t || t->idle)
        return KE_PERM;
    if (mask && !sched_cpus_valid(mask))
        return KE_RANGE;
    int irq = sched_lock();
    t->affinity = mask;
    if (!((sched_allowed(t) >> cpu_self()) & 1))
        here()->need_resched = true; /* the switch below requeues it where it may run */
    sched_unlock(irq);
    return 0;
}
KEEL_EXPORT_FUNC(task_set_cpus);

bool sched_others_running(void)
{
    unsigned self = cpu_self();
    for (unsigned i = 0; i < sched_span; i++) {
        struct task *t = i == self ? 0 : sched_running_on(i);
        if (t && !t->idle)
            return true;
    }
    return false;
}
