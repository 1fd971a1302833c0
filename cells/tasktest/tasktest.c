/* tasktest: the runner and the helpers shared by the tests. The suite runs inside the cell's
 * init (which already runs in a task of its own), one test after the other; after each test it
 * also checks that the test left no task and no heap byte behind. */
#include <stdarg.h>
#include <keel/cell.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "tt.h"

#define JOIN_TIMEOUT_NS TT_MS(5000)
#define POLL_TIMEOUT_NS TT_MS(2000)

static char detail[192];
static unsigned failed_checks;

void tasktest_fail(const char *file, int line, const char *fmt, ...)
{
    if (failed_checks++)
        return; /* the first failure explains the test; later ones may be its consequences */
    int n = ksnprintf(detail, sizeof(detail), "%s:%d: ", file, line);
    if (n < 0 || (size_t)n >= sizeof(detail))
        return;
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(detail + n, sizeof(detail) - (size_t)n, fmt, ap);
    va_end(ap);
}

size_t tasktest_heap_in_use(void)
{
    size_t b = 0;
    kheap_totals(&b, 0, 0);
    return b;
}

size_t tasktest_owner_bytes(owner_t owner)
{
    struct heap_owner_stats st;
    if (kheap_owner_stats(owner, &st))
        return 0; /* no record: it holds nothing */
    return st.bytes_in_use;
}

size_t tasktest_my_bytes(void)
{
    return tasktest_owner_bytes(kheap_current_owner());
}

/* The CPUs the suite and what it spawns run on: one, so that the tests of priorities, round
 * robin and preemption see one CPU's scheduling (tt_smp.c tests the others). */
uint32_t tasktest_cpus = 1u << 0;

int tasktest_spawn(const char *name, task_entry_fn entry, const void *arg, size_t arg_size,
                   size_t ret_size, unsigned priority, unsigned flags, task_id_t *id)
{
    struct task_spec spec = {.name = name,
                             .entry = entry,
                             .arg = arg,
                             .arg_size = arg_size,
                             .ret_size = ret_size,
                             .priority = priority,
                             .flags = flags,
                             .cpus = tasktest_cpus};
    *id = 0;
    return task_spawn(&spec, id);
}

int tasktest_join(task_id_t id, struct task_result *r)
{
    memset(r, 0, sizeof(*r));
    int err = task_join_timeout(id, JOIN_TIMEOUT_NS, r);
    if (err != KE_TIMEDOUT)
        return err;
    task_kill(id);
    if (task_join_timeout(id, TT_MS(1000), r) == 0)
        kfree(r->ret);
    else
        task_detach(id);
    memset(r, 0, sizeof(*r));
    return KE_TIMEDOUT;
}

bool tasktest_wait_state(task_id_t id, enum task_state s)
{
    uint64_t end = clock_ns() + POLL_TIMEOUT_NS;
    struct task_info ti;
    while (clock_ns() < end) {
        if (task_info(id, &ti) == 0 && ti.state == s)
            return true;
        task_sleep_ns(TT_MS(1));
    }
    return false;
}

bool tasktest_wait_blocked(task_id_t id)
{
    uint64_t end = clock_ns() + POLL_TIMEOUT_NS;
    struct task_info ti;
    while (clock_ns() < end) {
        if (task_info(id, &ti) == 0 && (ti.state == TASK_BLOCKED || ti.state == TASK_SLEEPING))
            return true;
        task_sleep_ns(TT_MS(1));
    }
    return false;
}

bool tasktest_wait_flag(volatile int *flag, int value)
{
    uint64_t end = clock_ns() + POLL_TIMEOUT_NS;
    while (clock_ns() < end) {
        if (*flag == value)
            return true;
        task_sleep_ns(TT_MS(1));
    }
    return *flag == value;
}

const char *tasktest_how(enum task_end how)
{
    switch (how) {
    case TASK_RETURNED:
        return "RETURNED";
    case TASK_EXITED:
        return "EXITED";
    case TASK_KILLED:
        return "KILLED";
    case TASK_FAULTED:
        return "FAULTED";
    }
    return "?";
}

const char *tasktest_err(int err)
{
    return keel_errname(err);
}

bool tasktest_contains(const char *s, const char *sub)
{
    size_t n = strlen(sub);
    for (; *s; s++)
        if (strncmp(s, sub, n) == 0)
            return true;
    return n == 0;
}

unsigned tasktest_self_priority(void)
{
    struct task_info ti;
    return task_info(task_self(), &ti) == 0 ? ti.priority : 0;
}

struct tt_case {
    const char *name;
    void (*fn)(void);
};

static const struct tt_case cases[] = {
    {"spawn_validation", tasktest_t_spawn_validation},
    {"arg_isolation", tasktest_t_arg_isolation},
    {"return_block", tasktest_t_return_block},
    {"join_variants", tasktest_t_join_variants},
    {"detach_running", tasktest_t_detach_running},
    {"detach_flag", tasktest_t_detach_flag},
    {"detach_dead", tasktest_t_detach_dead},
    {"kill_sleeping", tasktest_t_kill_sleeping},
    {"kill_semaphore", tasktest_t_kill_semaphore},
    {"kill_busy", tasktest_t_kill_busy},
    {"kill_self", tasktest_t_kill_self},
    {"kill_errors", tasktest_t_kill_errors},
    {"restart", tasktest_t_restart},
    {"restart_limit", tasktest_t_restart_limit},
    {"restart_chain", tasktest_t_restart_chain},
    {"priority_order", tasktest_t_priority_order},
    {"priority_preempt", tasktest_t_priority_preempt},
    {"round_robin", tasktest_t_round_robin},
    {"sleep_bounds", tasktest_t_sleep_bounds},
    {"mutex_basic", tasktest_t_mutex_basic},
    {"mutex_owner_dead_waiter", tasktest_t_mutex_owner_dead_waiter},
    {"mutex_owner_dead_free", tasktest_t_mutex_owner_dead_free},
    {"semaphore", tasktest_t_semaphore},
    {"condvar", tasktest_t_condvar},
    {"chan_async_fifo", tasktest_t_chan_async_fifo},
    {"chan_async_full", tasktest_t_chan_async_full},
    {"chan_rendezvous", tasktest_t_chan_rendezvous},
    {"chan_close_drain", tasktest_t_chan_close_drain},
    {"chan_close_wakes", tasktest_t_chan_close_wakes},
    {"chan_ownership", tasktest_t_chan_ownership},
    {"chan_destroy_frees", tasktest_t_chan_destroy_frees},
    {"fault_null", tasktest_t_fault_null},
    {"fault_divide", tasktest_t_fault_divide},
    {"fault_ud2", tasktest_t_fault_ud2},
    {"fault_gp", tasktest_t_fault_gp},
    {"fault_stack_overflow", tasktest_t_fault_stack_overflow},
    {"fault_write_rodata", tasktest_t_fault_write_rodata},
    {"fault_write_text", tasktest_t_fault_write_text},
    {"fault_log", tasktest_t_fault_log},
    {"alloc_failslab_spawn", tasktest_t_alloc_failslab_spawn},
    {"alloc_failslab_channel", tasktest_t_alloc_failslab_channel},
    {"alloc_task_quota", tasktest_t_alloc_task_quota},
    {"alloc_chan_quota", tasktest_t_alloc_chan_quota},
    {"smp_spread", tasktest_t_smp_spread},
    {"smp_affinity", tasktest_t_smp_affinity},
    {"smp_move_self", tasktest_t_smp_move_self},
    {"smp_concurrent_mutex", tasktest_t_smp_concurrent_mutex},
    {"smp_fault_other_cpu", tasktest_t_smp_fault_other_cpu},
};

static int tasktest_init(void)
{
    unsigned passed = 0, failed = 0;
    kprintf("tasktest: running %u tests\n", (unsigned)(sizeof(cases) / sizeof(cases[0])));
    task_set_cpus(tasktest_cpus);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t heap0 = tasktest_heap_in_use(), tasks0 = task_count();
        failed_checks = 0;
        detail[0] = 0;
        cases[i].fn();
        size_t heap1 = tasktest_heap_in_use(), tasks1 = task_count();
        CHECK(tasks1 == tasks0, "the test left %zu tasks behind (task_count %zu -> %zu)",
              tasks1 - tasks0, tasks0, tasks1);
        CHECK(heap1 == heap0, "heap bytes in use %zu before the test, %zu after", heap0, heap1);
        if (failed_checks) {
            failed++;
            kprintf("tasktest: FAIL %s: %s%s\n", cases[i].name, detail,
                    failed_checks > 1 ? " (and more)" : "");
        } else {
            passed++;
            kprintf("tasktest: PASS %s\n", cases[i].name);
        }
    }
    task_set_cpus(0);
    kprintf("tasktest: %u passed, %u failed\n", passed, failed);
    return 0; /* the verdict is in the output; the cell stays loaded either way */
}

KEEL_CELL(.name = "tasktest", .version = KEEL_CELL_VERSION, .init = tasktest_init);
