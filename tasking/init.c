/* Starting the tasking layer: the boot context becomes task 1 ("boot") and the idle task is
 * created; from then on the heap charges allocations to the running task and the timer
 * preempts. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
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
    return (!t || t == boot_task || t == sched_idle_task()) ? OWNER_CORE : t->owner;
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
