/* Starting the tasking layer: the boot context becomes task 1 ("boot") and the idle task is
 * created; from then on the heap charges allocations to the running task and the timer
 * preempts. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/panic.h>
#include <keel/core/swap_pending.h>
#include <keel/core/x86.h>
#include "task_internal.h"

void sched_set_current(struct task *t);
void sched_set_idle(struct task *t);
void timer_set_tick_hook(void (*hook)(struct trap_frame *f));

static struct task *boot_task;

struct task *sched_boot_task(void)
{
    return boot_task;
}

/* The boot task's record is freed once it has ended (kernel/main.c exits it): forget it, or a
 * later task whose record the heap puts at the same address would pass for the core's own
 * (its faults not contained, task_kill refused, never judged by the watchdog). */
void sched_boot_task_reaped(void)
{
    boot_task = 0;
}

static owner_t current_owner(void)
{
    struct task *t = task_current();
    /* The boot and idle tasks run the core: what they allocate is the core's. */
    return (!t || t == boot_task || task_is_idle(t)) ? OWNER_CORE : t->owner;
}

static int idle_entry(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    for (;;)
        hlt();
}

int tasking_init(const struct kstack *boot_stack)
{
    struct task *boot = kmalloc_owned(sizeof(*boot), 0, OWNER_CORE), *idle;
    if (!boot)
        return KE_NOMEM;
    backtrace_set_fixup(swap_barrier_fixup); /* a pending swap's barriers read as what they hid */
    memset(boot, 0, sizeof(*boot));
    boot->id = task_new_id(); /* 1 */
    boot->owner = OWNER_CORE;
    memcpy(boot->name, "boot", 5);
    boot->priority = TASK_PRIO_DEFAULT;
    boot->state = TASK_RUNNING;
    boot->stack = *boot_stack;
    boot->detached = true;
    boot->switched_in_tsc = clock_tsc();
    int err = task_create("idle", idle_entry, 0, 0, 0, TASK_PRIO_IDLE, 0, 1, &idle); /* 2 */
    if (err) {
        kfree(boot);
        return err;
    }
    idle->detached = true;
    idle->state = TASK_READY; /* it may not run for a while on a busy system: never "no state" */
    int irq = sched_lock();
    task_list_add(boot);
    task_list_add(idle);
    sched_set_idle(idle);
    sched_set_current(boot);
    boot_task = boot;
    sched_unlock(irq);
    kheap_set_owner_hook(current_owner);
    timer_set_tick_hook(sched_timer_tick);
    return 0;
}

/* An application processor's idle task: the record for the context it starts in (on its idle
 * stack); sched_cpu_enter, on that CPU, makes it the running task there. Not in the task list
 * until then. */
int tasking_cpu_prepare(unsigned cpu, const struct kstack *stack, struct task **out)
{
    struct task *t = kmalloc_owned(sizeof(*t), 0, OWNER_CORE);
    if (!t)
        return KE_NOMEM;
    memset(t, 0, sizeof(*t));
    t->id = task_new_id();
    t->owner = OWNER_CORE;
    ksnprintf(t->name, sizeof(t->name), "idle%u", cpu);
    t->priority = TASK_PRIO_IDLE;
    t->state = TASK_READY;
    t->stack = *stack;
    t->detached = true;
    t->idle = true;
    t->cpu = cpu;
    *out = t;
    return 0;
}

void tasking_cpu_enter(struct task *idle)
{
    int irq = sched_lock();
    task_list_add(idle);
    sched_unlock(irq);
    sched_cpu_enter(idle);
}
