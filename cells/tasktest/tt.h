/* tasktest: the in-guest test suite of the tasking layer (tasks, scheduling, kills, restarts,
 * fault containment, mutexes, semaphores, condition variables, channels). Its init runs every
 * test in the init task and prints "tasktest: PASS <name>" / "tasktest: FAIL <name>: <detail>"
 * per test and "tasktest: N passed, M failed" at the end (tests/qemu/tasking_tests.py). */
#ifndef TASKTEST_TT_H
#define TASKTEST_TT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/heap.h>
#include <keel/task.h>

#define TT_MS(n)      ((uint64_t)(n)*1000000ull)
#define TT_ROUND16(n) (((size_t)(n) + 15u) & ~(size_t)15u)

/* Records a failed check of the running test (the first one's text is printed). */
void tasktest_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            tasktest_fail(__FILE_NAME__, __LINE__, __VA_ARGS__);                                   \
    } while (0)
/* Like CHECK, but returns from the calling (void) function: later steps depend on this one. */
#define REQUIRE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            tasktest_fail(__FILE_NAME__, __LINE__, __VA_ARGS__);                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Heap accounting: all owners' charged bytes, one owner's (0 if it has no record), the caller's. */
size_t tasktest_heap_in_use(void);
size_t tasktest_owner_bytes(owner_t owner);
size_t tasktest_my_bytes(void);

int tasktest_spawn(const char *name, task_entry_fn entry, const void *arg, size_t arg_size,
                   size_t ret_size, unsigned priority, unsigned flags, task_id_t *id);
/* task_join with a deadline (5 s), so a tasking bug fails the test instead of hanging the suite:
 * on timeout the task is killed and detached, and KE_TIMEDOUT is returned. */
int tasktest_join(task_id_t id, struct task_result *r);
/* Polls (1 ms sleeps, at most 2 s) until the task is in state s; false on timeout. */
bool tasktest_wait_state(task_id_t id, enum task_state s);
/* Polls until the task sits in a blocking call (BLOCKED or SLEEPING). */
bool tasktest_wait_blocked(task_id_t id);
/* Polls until *flag == value. */
bool tasktest_wait_flag(volatile int *flag, int value);
const char *tasktest_how(enum task_end how);
const char *tasktest_err(int err);
/* Does s contain sub? */
bool tasktest_contains(const char *s, const char *sub);
/* The CPUs the suite and tasktest_spawn's tasks are pinned to (one). */
extern uint32_t tasktest_cpus;
/* The priority the suite runs at. */
unsigned tasktest_self_priority(void);

/* The tests (tt_task.c, tt_sched.c, tt_sync.c, tt_chan.c, tt_fault.c, tt_alloc.c). */
void tasktest_t_spawn_validation(void);
void tasktest_t_smp_spread(void);
void tasktest_t_smp_affinity(void);
void tasktest_t_smp_move_self(void);
void tasktest_t_smp_concurrent_mutex(void);
void tasktest_t_smp_fault_other_cpu(void);
void tasktest_t_arg_isolation(void);
void tasktest_t_return_block(void);
void tasktest_t_join_variants(void);
void tasktest_t_detach_running(void);
void tasktest_t_detach_flag(void);
void tasktest_t_detach_dead(void);
void tasktest_t_kill_sleeping(void);
void tasktest_t_kill_semaphore(void);
void tasktest_t_kill_busy(void);
void tasktest_t_kill_self(void);
void tasktest_t_kill_errors(void);
void tasktest_t_restart(void);
void tasktest_t_restart_limit(void);
void tasktest_t_restart_chain(void);
void tasktest_t_priority_order(void);
void tasktest_t_priority_preempt(void);
void tasktest_t_round_robin(void);
void tasktest_t_sleep_bounds(void);
void tasktest_t_mutex_basic(void);
void tasktest_t_mutex_owner_dead_waiter(void);
void tasktest_t_mutex_owner_dead_free(void);
void tasktest_t_semaphore(void);
void tasktest_t_condvar(void);
void tasktest_t_chan_async_fifo(void);
void tasktest_t_chan_async_full(void);
void tasktest_t_chan_rendezvous(void);
void tasktest_t_chan_close_drain(void);
void tasktest_t_chan_close_wakes(void);
void tasktest_t_chan_ownership(void);
void tasktest_t_chan_destroy_frees(void);
void tasktest_t_fault_null(void);
void tasktest_t_fault_divide(void);
void tasktest_t_fault_ud2(void);
void tasktest_t_fault_gp(void);
void tasktest_t_fault_stack_overflow(void);
void tasktest_t_fault_write_rodata(void);
void tasktest_t_fault_write_text(void);
void tasktest_t_fault_log(void);
void tasktest_t_alloc_failslab_spawn(void);
void tasktest_t_alloc_failslab_channel(void);
void tasktest_t_alloc_task_quota(void);
void tasktest_t_alloc_chan_quota(void);

/* A NULL dereference in cell code (tt_fault.c), for tests that need a task to die. */
int tasktest_null_read(void);

#endif
