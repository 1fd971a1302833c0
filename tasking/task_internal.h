/* The tasking layer's private view of a task. Everything here is protected by the scheduler
 * lock (sched_lock()), except the fields only the running task itself touches. */
#ifndef KEEL_TASKING_TASK_INTERNAL_H
#define KEEL_TASKING_TASK_INTERNAL_H
#include <stdbool.h>
#include <keel/heap.h>
#include <keel/paging.h>
#include <keel/sync.h>
#include <keel/task.h>
#include <keel/waitq.h>
#include "runqueue.h"

struct loaded_cell;

struct task {
    task_id_t id;
    char name[TASK_NAME_MAX];
    enum task_state state;
    unsigned priority, flags;
    owner_t owner; /* heap owner of its allocations */

    uint64_t saved_rsp; /* while not running */
    struct kstack stack;

    task_entry_fn entry;
    void *arg;          /* the task's own copy of the argument block */
    void *pristine_arg; /* restartable tasks: an untouched copy for the next incarnation */
    size_t arg_size;
    void *ret; /* the return block */
    size_t ret_size;

    struct rq_link rq;        /* the ready queue */
    struct task *next;        /* a wait queue */
    struct waitq *waiting_on; /* while blocked */
    uint64_t deadline_ns;     /* timed wait / sleep; 0 = none */
    struct task *sleep_next;  /* the timed-wait list */
    int wake_result;          /* what waitq_wait returns */
    bool kill_requested;
    bool sleeping; /* blocked in task_sleep_ns (reported as TASK_SLEEPING) */

    struct task *all_next; /* every task not yet reaped */

    /* Ending and joining. */
    enum task_end end;
    int status;
    struct task_fault fault;
    struct waitq joiners;
    bool detached, joined;
    task_id_t successor; /* restartable: the next incarnation (0: none, this is final) */
    unsigned restarts, max_restarts;
    uint64_t backoff_ns;
    uint64_t not_before_ns; /* a respawned task starts after its back-off */

    struct mutex *held; /* mutexes it holds (released and marked owner-dead if it dies) */
    const struct loaded_cell *cell; /* the cell holding its entry (pinned while it runs) */
    char cell_name[32];             /* that cell's name ("" for the core), kept after death */
    bool joining;                   /* a joiner is looking at this record: nobody frees it */

    uint64_t cpu_ns, switches, switched_in_tsc;

    /* Live swap (swap_tasks.c). */
    const struct trap_frame *preempted; /* while switched away from the timer interrupt */
    unsigned channel_depth;             /* inside channel send/recv (not resettable there) */
    unsigned swaps;                     /* service task: re-spawns by live swaps */
    struct fault_guard *guard;          /* a guarded call in progress (guard.c) */
};

/* The running task (NULL before tasking_init). */
struct task *task_current(void);
/* The core's own tasks (sched.c, init.c), and the list of every task not yet reaped (task.c;
 * scheduler lock held). */
struct task *sched_idle_task(void);
struct task *sched_boot_task(void);
struct task *swap_all_tasks(void);
/* The list head of mutexes held by the running task (NULL outside tasks). */
struct mutex **task_held_mutexes(void);

/* Switches into tasks other than the idle task since boot (sched.c; scheduler lock held). */
uint64_t sched_switch_ins(void);
/* Scheduler internals (sched.c). All with the scheduler lock held. */
void sched_make_ready(struct task *t);
/* Give up the CPU: the caller has set current->state (BLOCKED, SLEEPING, DEAD) or left it
 * RUNNING (yield). Returns when the task runs again (never for DEAD). */
void sched_switch(void);
void sched_sleep_insert(struct task *t);
void sched_sleep_remove(struct task *t);
/* Take t off wq (waitq.c); nothing else changes. */
void waitq_remove(struct waitq *wq, struct task *t);
struct task *task_by_id_locked(task_id_t id);
struct task *task_next_by_id_locked(task_id_t after);
void task_list_add(struct task *t);

/* The end of a task (task.c): record how it ended, release what it holds, wake joiners,
 * restart it if it should be, and switch away for good. Called on the task's own stack. */
_Noreturn void task_finish(enum task_end how, int status, const struct task_fault *fault);
/* Free a dead task's stack and, if nobody will join, the whole record (called from the next
 * task's context after the switch). */
void task_reap_after_switch(struct task *dead);

/* Boot: turn the running boot context (on boot_stack) into task 1 and create the idle task. */
int tasking_init(const struct kstack *boot_stack);
task_id_t task_new_id(void);
int task_create(const char *name, task_entry_fn entry, const void *arg, size_t arg_size,
                size_t ret_size, unsigned prio, unsigned flags, unsigned stack_pages,
                struct task **out);
/* The timer interrupt's part (sched.c): wake sleepers, account time, preempt. */
struct trap_frame;
void sched_timer_tick(struct trap_frame *f);

/* Fault containment (fault.c): returns only if the fault is not a task's to die of (true: a
 * guarded call caught it; false: *why says why it is the core's). */
bool task_fault_contain(struct trap_frame *f, uint64_t cr2, const char **why);
void fault_log_add(const struct task *t, const struct task_fault *f);
/* The first mutex of the core's own (in the kernel image's data or bss) on t's held list before
 * `until` (NULL: the whole list), or NULL. */
const struct mutex *task_core_mutex_held(const struct task *t, const struct mutex *until);
/* "core mutex 'name'<suffix>", for a panic report (static storage, overwritten by each call). */
const char *fault_mutex_reason(const struct mutex *m, const char *suffix);

/* A call whose faults in cell code return an error instead of killing the task (guard.c). */
struct fault_guard {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp; /* rsp: at the call, pointing at its return */
    uint64_t rflags;                            /* at the call (DF, IF restored on a fault) */
    unsigned spins;                             /* spinlocks held at the call */
    const struct mutex *held;                   /* the task's held list at the call */
    struct task_fault fault;                    /* what happened, if it faulted */
    bool faulted;
};
/* Run fn(arg) under g: its value, or KE_FAULT (g->fault filled) if it raised a containable
 * exception, in cell code or in core code it called (see guard.c for when a fault in core code
 * is caught). Usable with the scheduler lock held (the world stopped). */
int guard_call(struct fault_guard *g, int (*fn)(void *), void *arg);
/* From task_fault_contain, for a fault inside a guarded call: resume the call at its landing
 * (true), or not (false, *why says why: the fault is then the core's). */
struct trap_frame;
bool guard_catch(struct trap_frame *f, const struct task_fault *tf, bool in_core, const char **why);
/* Reset the initial stack of a task for a start at its entry (task.c). */
void task_prepare_stack(struct task *t);

/* An object a caller handed over (mutex, semaphore, condvar, channel) is used with the scheduler
 * lock held, where a fault would be the core's: check first, under that lock (so nothing can
 * unmap it before the use), that it lies in mapped, writable memory. A wild pointer then gets
 * KE_FAULT; one into some other writable memory cannot be told apart. */
static inline bool caller_object_ok(const void *p, size_t size)
{
    return p && paging_range_mapped((uint64_t)(uintptr_t)p, size, true);
}

#define OWNER_TASK(id) (0x40000000u | (owner_t)((id)&0x3fffffffu))

#endif
