/* The tasking layer's private view of a task. Which lock protects a field is said per group:
 * "scheduler lock" is sched_lock() (interrupts off, on every CPU); "own" fields only the running
 * task itself changes (others read them with the scheduler lock held, when the task is switched
 * away, or with the world stopped, when it is parked on another CPU). */
#ifndef KEEL_TASKING_TASK_INTERNAL_H
#define KEEL_TASKING_TASK_INTERNAL_H
#include <stdbool.h>
#include <keel/heap.h>
#include <keel/paging.h>
#include <keel/sync.h>
#include <keel/task.h>
#include <keel/waitq.h>
#include <keel/core/tasking.h>
#include "runqueue.h"

struct loaded_cell;

struct task {
    /* Identity, fixed at creation (read without a lock). cell_name outlives the cell. */
    task_id_t id;
    char name[TASK_NAME_MAX];
    unsigned flags;
    owner_t owner;         /* heap owner of its allocations */
    char cell_name[32];    /* the cell holding its entry ("" for the core) */
    uint32_t cell_version; /* that cell's version (0 for the core) */
    struct kstack stack;

    /* Scheduling (sched.c, waitq.c) — scheduler lock. */
    enum task_state state;
    unsigned priority;
    uint64_t saved_rsp;       /* while not running */
    struct rq_link rq;        /* the ready queue */
    unsigned level;           /* its level there (the policy's) */
    struct task *next;        /* a wait queue */
    struct waitq *waiting_on; /* while blocked */
    uint64_t deadline_ns;     /* timed wait / sleep; 0 = none */
    struct task *sleep_next;  /* the timed-wait list */
    int wake_result;          /* what waitq_wait returns */
    bool sleeping;            /* blocked in task_sleep_ns (reported as TASK_SLEEPING) */
    bool idle;                /* a CPU's idle task (never queued) */
    unsigned cpu;             /* where it runs, or ran last, or is queued */
    uint32_t affinity;        /* CPUs it may run on (bit n: CPU n); 0: any */
    bool parked;              /* running, but parked by a stop of the world: saved_rsp holds */
    bool kill_requested;
    uint64_t cpu_ns, switches, switched_in_tsc;
    struct task *all_next; /* every task not yet reaped (task.c) */

    /* What it runs (task.c): entry and cell change only at a live swap's commit (world stopped);
     * the blocks are the task's own. */
    task_entry_fn entry;
    const struct loaded_cell *cell; /* holds its entry (pinned while it runs) */
    void *arg;                      /* the task's own copy of the argument block */
    void *pristine_arg;             /* restartable tasks: an untouched copy for the next run */
    size_t arg_size;
    void *ret; /* the return block */
    size_t ret_size;

    /* Ending and joining (task.c) — scheduler lock. */
    enum task_end end;
    int status;
    struct waitq joiners;
    bool detached, joined;
    bool joining; /* a joiner is looking at this record: nobody frees it */

    /* Restarts (task.c, backoff.c) — scheduler lock. */
    task_id_t successor; /* the next incarnation (0: none, this is final) */
    unsigned restarts, max_restarts;
    uint64_t backoff_ns;
    uint64_t not_before_ns; /* a respawned task starts after its back-off */
    bool recovery_held;     /* a respawn waiting for the recovery ladder (recovery_queue.c) */

    /* Faults (fault.c, guard.c, sync.c) — own; read by others with the scheduler lock held. */
    struct task_fault fault;   /* how it died, once it has */
    struct mutex *held;        /* mutexes it holds (released and marked owner-dead if it dies) */
    struct fault_guard *guard; /* a guarded call in progress */

    /* Live swap (swap_tasks.c), read by a swap with the world stopped. */
    const struct trap_frame *preempted; /* the timer's frame while switched away by it (sched) */
    unsigned channel_depth;             /* own: inside channel send/recv (not resettable there) */
    unsigned swaps;   /* service task: re-spawns by live swaps (the swap's commit) */
    unsigned barrier; /* a pending swap's return barrier it carries: index + 1 (0: none) */
    /* The return address that barrier took the place of, also kept with the task: a task
     * stopped between returning into swap_barrier_return and swap_barrier_leave is outside the
     * old code, and a commit then must not take its record (swap_pending.c); should one ever
     * go, the task still returns where it should. */
    uint64_t barrier_ret;

    /* Hang detection (watchdog.c) — scheduler lock (last_beat_ns: own, one aligned store). */
    uint64_t heartbeat_ns;  /* 0: none */
    uint64_t last_beat_ns;  /* its start (a restart: after its back-off) or its last beat */
    uint64_t cpu_budget_ns; /* 0: the global budget */
    uint64_t run_ns;        /* CPU time up to its last switch-out since it last blocked */
    bool hang;              /* found hung: it ends as TASK_FAULTED with hang_fault */
    bool evicted;           /* task_evict_cell: it ends as TASK_FAULTED, kind FAULT_KIND_EVICTED */
    struct task_fault hang_fault;
};

/* The running task (NULL before tasking_init). */
struct task *task_current(void);
/* The core's own tasks (sched.c, init.c), and the list of every task not yet reaped (task.c;
 * scheduler lock held). */
bool task_is_idle(const struct task *t);
/* Does the mask name a CPU that schedules? (Read without the lock: CPUs only join.) */
bool sched_cpus_valid(uint32_t mask);
/* Is a task other than an idle one running on another CPU? (Scheduler lock held.) */
bool sched_others_running(void);
struct task *sched_boot_task(void);
void sched_boot_task_reaped(void); /* its record is being freed (scheduler lock held) */
struct task *swap_all_tasks(void);
/* The list head of mutexes held by the running task (NULL outside tasks). */
struct mutex **task_held_mutexes(void);

/* A task ends (task_finish, scheduler lock held): a return barrier it carries goes with it. */
void swap_barrier_drop(struct task *t);

/* An application processor joins the scheduler: its start-up context becomes idle, its idle
 * task (tasking_cpu_prepare made it). */
void sched_cpu_enter(struct task *idle);

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

task_id_t task_new_id(void);
int task_create(const char *name, task_entry_fn entry, const void *arg, size_t arg_size,
                size_t ret_size, unsigned prio, unsigned flags, unsigned stack_pages,
                struct task **out);

/* Record a step taken about fault f of task t in the fault log: outcome 0 or a negative KE_*
 * code, new_task for a restart. Never fails; callable with the scheduler lock held. */
void fault_log_add(const struct task *t, const struct task_fault *f, enum fault_step step,
                   int outcome, task_id_t new_task);
/* The first mutex of the core's own (in the kernel image's data or bss) on t's held list before
 * `until` (NULL: the whole list), or NULL. */
const struct mutex *task_core_mutex_held(const struct task *t, const struct mutex *until);
/* "core mutex 'name'<suffix>", for a panic report (static storage, overwritten by each call). */
const char *fault_mutex_reason(const struct mutex *m, const char *suffix);

/* Hang detection (watchdog.c), scheduler lock held. A task with a heartbeat appears / ends
 * (the tick scans only while some exist); the tick judges the running task's CPU budget and
 * every heartbeat, and marks a hung task for its end (a kill, at its next safe point);
 * watchdog_stopped_at records where a hung task was stopped in cell code. */
void watchdog_task_added(const struct task *t);
void watchdog_task_gone(const struct task *t);
void watchdog_tick(struct task *cur, uint64_t now_ns);
void watchdog_stopped_at(struct task *t, uint64_t rip);
/* task_finish of a hung task: charge, report and log the hang; returns the fault to end with. */
const struct task_fault *watchdog_hang_ended(struct task *t);

/* From task_fault_contain, for a fault inside a guarded call: resume the call at its landing
 * (true), or not (false, *why says why: the fault is then the core's). */
struct trap_frame;
bool guard_catch(struct trap_frame *f, const struct task_fault *tf, bool in_core, const char **why);
/* Reset the initial stack of a task for a start at its entry (task.c). */
void task_prepare_stack(struct task *t);

/* Is t running on another CPU right now (not parked by a stop of the world)? Then its saved
 * context is stale and its stack changes under a reader. Scheduler lock held. */
static inline bool task_running_elsewhere(const struct task *t)
{
    return t->state == TASK_RUNNING && t != task_current() && !t->parked;
}

/* An object a caller handed over (mutex, semaphore, condvar, channel) is used with the scheduler
 * lock held, where a fault would be the core's: check first, under that lock (so nothing can
 * unmap it before the use), that it lies in mapped, writable memory. A wild pointer then gets
 * KE_FAULT; one into some other writable memory cannot be told apart. */
static inline bool caller_object_ok(const void *p, size_t size)
{
    return p && paging_range_mapped((uint64_t)(uintptr_t)p, size, true);
}

#endif
