/* What the nano-core may call in the tasking layer, beside the public keel/task.h: booting it,
 * the timer's and the exception handler's parts, and guarded calls. Kernel-facing: cells never
 * include a keel/core/ header (tests/layers.txt). */
#ifndef KEEL_CORE_TASKING_H
#define KEEL_CORE_TASKING_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/paging.h>
#include <keel/task.h>

struct trap_frame;
struct mutex;
struct task;

/* Boot: turn the running boot context (on boot_stack) into task 1, create the idle task, and
 * make the tasks a participant of every live swap. */
int tasking_init(const struct kstack *boot_stack);
/* The timer interrupt's part (on every CPU): wake sleepers, account time, preempt. */
void sched_timer_tick(struct trap_frame *f);
/* The reschedule IPI's part: switch if a task was queued here that should run now. */
void sched_kick_irq(struct trap_frame *f);
/* A stop of the world parks this CPU: save its task's context (as a switch would, with the
 * interrupted frame), run wait(arg) until released, and resume the task. */
void sched_park_here(struct trap_frame *f, void (*wait)(void *), void *arg);
/* SMP: an application processor's idle task, made on the boot CPU before the CPU is started
 * (on the stack it starts on), then entered by that CPU itself once it is up. */
int tasking_cpu_prepare(unsigned cpu, const struct kstack *stack, struct task **out);
void tasking_cpu_enter(struct task *idle);

/* An exception: kill the running task if the fault is its own (never returns then); true if a
 * guarded call caught it (resume with the frame as modified), false if it is the core's, with
 * *why saying why it could not be contained (static text). */
bool task_fault_contain(struct trap_frame *f, uint64_t cr2, const char **why);

/* A call whose faults in cell code return an error instead of killing the task (guard.c). */
struct fault_guard {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp; /* rsp: at the call, pointing at its return */
    uint64_t rflags;                            /* at the call (DF, IF restored on a fault) */
    unsigned spins;                             /* spinlocks held at the call */
    const struct mutex *held;                   /* the task's held list at the call */
    struct task_fault fault;                    /* what happened, if it faulted */
    bool faulted;
    /* The cell whose hook runs ("" if none): a fault in the call that address lookups cannot
     * place (a version a swap is linking) is charged to it. */
    char cell[32];
    uint32_t cell_version;
};
/* Run fn(arg) under g: its value, or KE_FAULT (g->fault filled) if it raised a containable
 * exception, in cell code or in core code it called (see guard.c for when a fault in core code
 * is caught). Usable with the scheduler lock held (the world stopped). */
int guard_call(struct fault_guard *g, int (*fn)(void *), void *arg);

/* Has the running task been killed? A live swap then stops waiting and undoes itself before it
 * reaches a safe point where the kill would end it with the swap half done. */
bool task_kill_pending(void);

/* Are fault reports (and the recovery steps' notices) printed on the console (task_fault_console)?
 */
/* The recovery ladder's reload of a cell evicts the tasks whose entry is in it (they are blocked
 * or running inside the version it replaces): each ends as a fault of kind FAULT_KIND_EVICTED —
 * a restartable one starts again, held for the recovery task like any restart — except the core's
 * own, service tasks (the swap parks and re-spawns them), those held for recovery and those
 * already being killed. Returns how many were asked to
 * end; they end within a tick or when their blocking call returns. */
size_t task_evict_cell(const char *cell);
/* How many evicted tasks have not ended yet. */
size_t task_evicted_alive(void);
bool task_fault_console_on(void);

/* The running task's name, read without a lock (a task's identity is fixed at creation and the
 * running task cannot be freed under itself): for handlers that run with any lock possibly held,
 * like the injector's #DB handler. "" with no task (the boot context). */
const char *task_current_name(void);

#endif
