/* Tasks: the unit of execution. The API keeps state from spilling between cells:
 *   - the entry runs ONCE per task: int entry(const void *arg, void *ret);
 *   - the argument block is COPIED into storage the task owns at spawn; the spawner's memory is
 *     never referenced afterwards;
 *   - the return block (ret_size bytes, zeroed) is owned by the task and handed to exactly one
 *     joiner, once;
 *   - a restartable task that dies is respawned as a NEW task from a pristine copy of the
 *     original argument block (restart counter, exponential back-off);
 *   - a task pins the cell that holds its entry;
 *   - everything a task allocated is freed when it ends, except what it handed over (the return
 *     block to its joiner, channel messages to their receivers).
 * All calls return 0 or a negative KE_* code unless stated otherwise. */
#ifndef KEEL_TASK_H
#define KEEL_TASK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t task_id_t; /* never reused within a boot; 0 is "no task" */

typedef int (*task_entry_fn)(const void *arg, void *ret);

/* The heap owner (keel/heap.h) of everything a task allocates, and the task an owner names. */
#define OWNER_TASK_BIT     0x40000000u
#define OWNER_TASK_ID_MASK 0x3fffffffu
#define OWNER_TASK(id)     (OWNER_TASK_BIT | ((uint32_t)(id)&OWNER_TASK_ID_MASK))

#define TASK_NAME_MAX     24
#define TASK_PRIO_IDLE    0 /* only the idle task */
#define TASK_PRIO_MIN     1
#define TASK_PRIO_DEFAULT 4
#define TASK_PRIO_MAX     7 /* higher runs first; round robin within a priority */
#define TASK_ARG_MAX      (64 * 1024)
#define TASK_RET_MAX      (64 * 1024)

enum task_flags {
    TASK_RESTARTABLE = 1u << 0, /* respawn after a fault (up to max_restarts); a kill is final */
    TASK_DETACHED = 1u << 1,    /* nobody will join: reaped automatically when it ends */
    /* A long-running task of the cell holding its entry (e.g. the shell's console loop): when
     * that cell is live-swapped while this task is parked at a blocking point, the task is ended
     * there and re-spawned (same id) from the new version's function of the same name, with a
     * pristine copy of its argument block. It must keep what should survive in the cell's state
     * block or variables, and hold no mutex while it blocks. */
    TASK_SERVICE = 1u << 2,
    /* A task of the nano-core itself (e.g. the reclaimer): it cannot be killed (KE_PERM). Only
     * for entries in the core's code; task_spawn refuses it for a cell's entry (KE_PERM). */
    TASK_CORE = 1u << 3,
};

struct task_spec {
    const char *name; /* copied; truncated to TASK_NAME_MAX - 1 */
    task_entry_fn entry;
    const void *arg;       /* copied at spawn (may be NULL when arg_size is 0) */
    size_t arg_size;       /* <= TASK_ARG_MAX */
    size_t ret_size;       /* <= TASK_RET_MAX; the joiner receives this block */
    unsigned priority;     /* TASK_PRIO_MIN..TASK_PRIO_MAX; 0 means TASK_PRIO_DEFAULT */
    unsigned flags;        /* enum task_flags */
    unsigned stack_pages;  /* 0 = default (4 pages = 16 KiB), at most 64 */
    unsigned max_restarts; /* restartable tasks: 0 = default (5) */
    uint64_t backoff_ns;   /* restartable tasks: first back-off, doubled each time; 0 = 1 ms */
    /* Hang detection (docs/fault-injection.md, "Hangs"). heartbeat_ns: the task promises to call
     * task_heartbeat() at least this often (from its start, then from each beat); 0 = no
     * heartbeat. cpu_budget_ns: the longest it may run without blocking (CPU time; a yield or a
     * preemption is not blocking); 0 = the global budget (task_cpu_budget_ns). A task that breaks
     * either is hung: it ends as TASK_FAULTED with a fault of kind FAULT_KIND_HANG (restarted if
     * restartable), at its next safe point, as a kill does. */
    uint64_t heartbeat_ns;
    uint64_t cpu_budget_ns;
    /* The CPUs it may run on, bit n for CPU n (keel/cpu.h); 0 = any. A mask that names no CPU
     * that is online is refused (KE_RANGE). Restarts keep it. */
    uint32_t cpus;
};

enum task_end {
    TASK_RETURNED = 1, /* entry returned; status is its value */
    TASK_EXITED,       /* task_exit(status) */
    TASK_KILLED,       /* task_kill(); status is KE_KILLED */
    TASK_FAULTED,      /* a CPU exception contained in the task, or a hang; see fault */
};

/* The fault log (docs/fault-injection.md): a fixed ring of records, one per fault and one per
 * recovery step, each with a sequence number (1, 2, ... since boot) so that a reader can tell
 * how many were overwritten. */
enum fault_kind {
    FAULT_KIND_EXCEPTION = 1, /* a CPU exception: fault.vector, fault.cr2 */
    FAULT_KIND_HANG,          /* a hang: fault.hang_by, fault.hang_limit_ns */
    FAULT_KIND_EVICTED,       /* ended by the recovery ladder's reload of its entry cell */
};
/* Which detector found a hang. */
enum hang_detector {
    HANG_HEARTBEAT = 1, /* no task_heartbeat() within the task's heartbeat_ns */
    HANG_CPU_BUDGET,    /* ran without blocking longer than its CPU budget */
};

struct task_fault {
    uint64_t time_ns; /* guest clock when the fault was taken */
    unsigned vector;
    uint64_t error, rip, cr2, rsp;
    char where[96]; /* rip as "cell:symbol+0xoff" or "symbol+0xoff" */
    /* A fault in core code: the innermost cell call site on the way there ("cell:symbol+0xoff";
     * "" if rip is in a cell, or no cell called: a task of the core's own). */
    char caller[96];
    /* The cell the fault is charged to: the cell whose code faulted; for core code, the cell of
     * caller; for a stack overflow, the task's entry cell. "core" (version 0) when none. */
    char cell[32];
    uint32_t cell_version;
    /* What it was: an exception (vector, error, cr2) or a hang (hang_by, hang_limit_ns; rip and
     * where: where it was stopped in cell code, 0 and "" if it was stopped elsewhere). */
    enum fault_kind kind;
    enum hang_detector hang_by;
    uint64_t hang_limit_ns; /* the heartbeat interval or CPU budget it broke */
};

struct task_result {
    task_id_t id; /* the task that ended (for a restartable task: the last incarnation) */
    enum task_end how;
    int status;
    unsigned restarts; /* how many times it was respawned */
    void *ret;         /* the return block, now owned by the joiner: kfree() it (NULL if
                          ret_size was 0) */
    size_t ret_size;
    struct task_fault fault; /* how == TASK_FAULTED */
};

int task_spawn(const struct task_spec *spec, task_id_t *id_out);
/* Wait for the task to end and take its result; exactly one join succeeds: a second one gets
 * KE_NOENT ("no such task, or already joined"), joining a detached task KE_INVAL, joining
 * yourself KE_BUSY. Following restarts, the result is that of the final incarnation. */
int task_join(task_id_t id, struct task_result *out);
/* Like task_join, but KE_AGAIN instead of waiting (and KE_TIMEDOUT after timeout_ns). */
int task_try_join(task_id_t id, struct task_result *out);
int task_join_timeout(task_id_t id, uint64_t timeout_ns, struct task_result *out);
/* Nobody will join: the task is reaped when it ends (now, if it already has). */
int task_detach(task_id_t id);
_Noreturn void task_exit(int status);
/* Ask a task to die; it does at its next safe point: a yield, a preemption while it runs cell
 * code, or a blocking call — which returns KE_KILLED so the task can release what it holds;
 * however it then ends, it is reported as TASK_KILLED. KE_NOENT if no such live task, KE_PERM
 * for the idle task. */
int task_kill(task_id_t id);
task_id_t task_self(void);
void task_yield(void);
/* Restrict the running task to the CPUs in mask (bit n: CPU n; 0 = any): it moves at once if
 * the CPU it is on is not among them. KE_RANGE if the mask names no CPU that is online. */
int task_set_cpus(uint32_t mask);
/* Sleep at least ns nanoseconds; KE_KILLED if the task was killed meanwhile. */
int task_sleep_ns(uint64_t ns);

/* Introspection (for the shell's ps and for tests). */
enum task_state { TASK_READY = 1, TASK_RUNNING, TASK_BLOCKED, TASK_SLEEPING, TASK_DEAD };
struct task_info {
    task_id_t id;
    char name[TASK_NAME_MAX];
    enum task_state state;
    unsigned priority;
    uint64_t cpu_ns;   /* time on the CPU */
    uint64_t switches; /* times switched in */
    unsigned restarts;
    char cell[32];          /* the cell that holds its entry, or "core" */
    unsigned flags;         /* enum task_flags */
    unsigned swaps;         /* service tasks: times re-spawned by a live swap */
    uint64_t heartbeat_ns;  /* its spec's (0: none) */
    uint64_t since_beat_ns; /* heartbeat tasks: since its start or last beat */
    uint64_t cpu_budget_ns; /* the budget it is judged by now (0: none) */
    uint64_t run_ns;        /* CPU time since it last blocked */
    unsigned cpu;           /* the CPU it runs on, or ran on last */
    uint32_t cpus;          /* its affinity (0: any CPU) */
};
/* Calls fn for every task that exists (not yet reaped); stops if fn returns non-zero. */
int task_for_each(int (*fn)(void *ctx, const struct task_info *ti), void *ctx);
int task_info(task_id_t id, struct task_info *out);
/* "ready", "running", "blocked", "sleeping", "dead" (or "?"): the word ps and bt print. */
const char *task_state_name(enum task_state s);
size_t task_count(void);

/* What was done about a fault: the recovery ladder's rungs (keel/recovery.h) after the restart. */
enum fault_step {
    FAULT_STEP_ENDED = 1,         /* the task ended (TASK_FAULTED) */
    FAULT_STEP_CALL_FAILED,       /* a guarded call returned KE_FAULT; the task goes on */
    FAULT_STEP_RESTART,           /* a restartable task respawned as a new task */
    FAULT_STEP_RELOAD_CELL,       /* the charged cell reloaded from its pristine object */
    FAULT_STEP_RELOAD_DEPENDENTS, /* ... together with the cells that depend on it */
    FAULT_STEP_GIVE_UP,           /* the cell marked failed, its tasks ended */
};
struct task_fault_record {
    uint64_t seq;         /* 1, 2, ...: a gap tells records were overwritten */
    uint64_t time_ns;     /* guest clock when the fault was taken */
    uint64_t duration_ns; /* from the fault being taken to the step being done */
    task_id_t task;
    char task_name[TASK_NAME_MAX];
    enum fault_kind kind;
    enum fault_step step;
    int outcome;        /* 0: done; else a negative KE_* code (the step failed) */
    task_id_t new_task; /* FAULT_STEP_RESTART: the new incarnation (0 if none) */
    struct task_fault fault;
};
/* The newest records (at most max) since the last clear, oldest first; returns how many. */
size_t task_fault_log(struct task_fault_record *out, size_t max);
struct task_fault_log_stats {
    uint64_t written;  /* records written since boot (the newest sequence number) */
    uint64_t cleared;  /* sequence number of the last record cleared away (0: never cleared) */
    uint64_t dropped;  /* records since the clear that the ring overwrote */
    uint32_t held;     /* records in the ring since the clear */
    uint32_t capacity; /* records the ring holds */
};
void task_fault_log_stats(struct task_fault_log_stats *out);
/* Print fault reports (and restart lines) on the console (on, the boot default) or only in the
 * kernel log (off: for campaigns and benchmarks, as a serial report takes milliseconds).
 * Returns the previous setting. */
bool task_fault_console(bool on);
/* Forget every record so far (sequence numbers go on). */
void task_fault_log_clear(void);
/* The log's words for a step, a kind and a hang detector: "ended", "call_failed", "restart",
 * "reload_cell", "reload_dependents", "give_up"; "exception", "hang"; "heartbeat",
 * "cpu_budget". Never NULL. */
const char *fault_step_name(enum fault_step step);
const char *fault_kind_name(enum fault_kind kind);
const char *fault_hang_name(enum hang_detector by);
/* An exception vector's short name: "#PF", "#GP", ...; "" for a vector without one. */
const char *fault_vector_name(unsigned vector);

/* Hang detection (tasking/watchdog.c). A task with a heartbeat calls this at least every
 * heartbeat_ns; a no-op for other tasks. */
void task_heartbeat(void);
/* The global CPU budget for tasks whose spec has none: 0 = off (the default: benchmarks run long
 * without blocking). The core's own tasks are never judged. */
uint64_t task_cpu_budget_ns(void);
/* 0 (off) or TASK_CPU_BUDGET_MIN_NS..TASK_CPU_BUDGET_MAX_NS, else KE_RANGE. */
#define TASK_CPU_BUDGET_MIN_NS (1000ull * 1000)               /* 1 ms */
#define TASK_CPU_BUDGET_MAX_NS (3600ull * 1000 * 1000 * 1000) /* 1 h */
int task_set_cpu_budget_ns(uint64_t ns);

/* For the fault injector (kernel/inject/, tasking/probe.c): a task's heap owner (what its
 * allocations are charged to), KE_NOENT if no such task. */
int task_heap_owner(task_id_t id, uint32_t *owner);
/* Calls fn with a task's live stack, [rsp, top): the stack pointer it saved when it last stopped
 * running, and its stack's top. fn runs with the scheduler lock held (interrupts off: the task
 * cannot run meanwhile) and must not block or allocate; its value is returned. KE_NOENT if no
 * such task (or it has ended), KE_BUSY for the calling task (its stack is in use). */
int task_with_stack(task_id_t id, int (*fn)(void *ctx, uint64_t rsp, uint64_t top), void *ctx);

/* A task's backtrace: the call sites (return address - 1) along its frame-pointer chain,
 * innermost first. For a task that is not running the first is where it switched away (in the
 * scheduler); for the calling task, the caller of task_backtrace. interrupted: the index of the
 * frame the timer (or, for a task running on another CPU, the stop) interrupted (the exact rip
 * there, not a call site), or -1. Read with the world stopped (no task runs meanwhile, on any
 * CPU); every frame is checked before it is read. 0, KE_NOENT if no such task (or it has
 * ended), KE_BUSY if some CPU would not stop (it kept interrupts off for 50 ms). state: the
 * task's state at the moment its frames were read (on SMP a task_info taken before may already
 * be stale: the task ran on and was preempted, and its frames are then the preemption's). */
#define TASK_BACKTRACE_MAX 32
struct task_backtrace {
    uint64_t sites[TASK_BACKTRACE_MAX];
    unsigned frames;
    int interrupted;
    enum task_state state;
};
int task_backtrace(task_id_t id, struct task_backtrace *bt);

#endif
