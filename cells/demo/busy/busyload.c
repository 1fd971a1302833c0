/* busyload: tasks that spend nearly all their time inside cell busy (busy.h), the callers of the
 * pending-swap tests and benchmark (docs/live-swap.md, "Pending swaps"):
 *
 *   run busyload start [N] [DEPTH]  N tasks (default 1, at most 8) calling busy_step back to
 *                                   back (through DEPTH nested calls inside busy: busy_deep),
 *                                   never blocking; each checks every result
 *   run busyload status             calls so far, by the version that answered, and wrong results
 *   run busyload stop               stop them, wait until they have ended, print the status
 *   run busyload hold MS            one task that stays inside busy for MS ms in a single call
 *   run busyload crash MS           one task that stays inside busy for MS ms, then faults */
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/string.h>
#include <keel/task.h>
#include "demo/busy/busy.h"

#define TASKS_MAX    8
#define VERSIONS_MAX 8
#define INPUTS       16 /* the inputs a caller cycles through: their results are computed once */

static struct {
    volatile int stop;
    unsigned running;
    uint64_t calls, wrong, by_version[VERSIONS_MAX + 1];
    unsigned depth;
    uint32_t held_version; /* the version that answered the last hold */
    uint64_t want[INPUTS]; /* busy_expect of each input (+ depth) */
} b;

static void count(uint64_t got, uint64_t want, uint32_t version)
{
    __atomic_add_fetch(&b.calls, 1, __ATOMIC_RELAXED);
    if (got != want)
        __atomic_add_fetch(&b.wrong, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&b.by_version[version <= VERSIONS_MAX ? version : 0], 1, __ATOMIC_RELAXED);
}

static int caller_main(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    /* Outside busy only to count: the results were computed once, at the start. */
    for (unsigned i = 0; !b.stop; i = (i + 1) % INPUTS) {
        uint32_t v = 0;
        uint64_t got = b.depth ? busy_deep(b.depth, i, &v) : busy_step(i, &v);
        count(got, b.want[i], v);
    }
    __atomic_sub_fetch(&b.running, 1, __ATOMIC_RELEASE);
    return 0;
}

static int hold_main(const void *arg, void *ret)
{
    (void)ret;
    uint64_t ms;
    memcpy(&ms, arg, sizeof(ms));
    uint32_t v = 0;
    busy_hold(ms * 1000000, &v);
    __atomic_store_n(&b.held_version, v, __ATOMIC_RELEASE);
    return 0;
}

static int crash_main(const void *arg, void *ret)
{
    (void)ret;
    uint64_t ms;
    memcpy(&ms, arg, sizeof(ms));
    busy_crash(ms * 1000000);
    return 0;
}

static void status(void)
{
    kprintf("busyload: %u tasks, %llu calls, %llu wrong; by version:",
            __atomic_load_n(&b.running, __ATOMIC_ACQUIRE), (unsigned long long)b.calls,
            (unsigned long long)b.wrong);
    for (unsigned v = 1; v <= VERSIONS_MAX; v++)
        if (b.by_version[v])
            kprintf(" v%u %llu", v, (unsigned long long)b.by_version[v]);
    kprintf("\n");
    if (b.held_version)
        kprintf("busyload: the last hold returned through busy version %u\n", b.held_version);
}

static int spawn(const char *name, task_entry_fn entry, const void *arg, size_t size)
{
    task_id_t id;
    struct task_spec spec = {
        .name = name, .entry = entry, .arg = arg, .arg_size = size, .flags = TASK_DETACHED};
    int e = task_spawn(&spec, &id);
    if (e) {
        kprintf("busyload: cannot start a task (%d)\n", e);
        return 1;
    }
    kprintf("busyload: task %llu\n", (unsigned long long)id);
    return 0;
}

static int usage(void)
{
    kprintf("usage: run busyload start [N] [DEPTH] | status | stop | hold MS | crash MS\n");
    return 2;
}

int busyload_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc < 2)
        return usage();
    uint64_t n = 1, depth = 0, ms = 0;
    if (strcmp(argv[1], "start") == 0) {
        if (argc > 4 || (argc > 2 && !argv_decimal(argv[2], TASKS_MAX, &n)) || n == 0 ||
            (argc > 3 && !argv_decimal(argv[3], 200, &depth)))
            return usage();
        if (__atomic_load_n(&b.running, __ATOMIC_ACQUIRE)) {
            kprintf("busyload: already running (stop first)\n");
            return 1;
        }
        memset(&b, 0, sizeof(b));
        b.depth = (unsigned)depth;
        for (unsigned i = 0; i < INPUTS; i++)
            b.want[i] = busy_expect(i + depth);
        for (uint64_t i = 0; i < n; i++) {
            __atomic_add_fetch(&b.running, 1, __ATOMIC_RELEASE);
            if (spawn("busyload", caller_main, NULL, 0)) {
                __atomic_sub_fetch(&b.running, 1, __ATOMIC_RELEASE);
                b.stop = 1;
                return 1;
            }
        }
        return 0;
    }
    if (strcmp(argv[1], "status") == 0 && argc == 2) {
        status();
        return 0;
    }
    if (strcmp(argv[1], "stop") == 0 && argc == 2) {
        b.stop = 1;
        while (__atomic_load_n(&b.running, __ATOMIC_ACQUIRE))
            task_sleep_ns(1000 * 1000);
        status();
        return 0;
    }
    bool hold = strcmp(argv[1], "hold") == 0, crash = strcmp(argv[1], "crash") == 0;
    if ((hold || crash) && argc == 3 && argv_decimal(argv[2], 60000, &ms)) {
        b.held_version = 0;
        return spawn(hold ? "busyhold" : "busycrash", hold ? hold_main : crash_main, &ms,
                     sizeof(ms));
    }
    return usage();
}

static void busyload_exit(void)
{
    b.stop = 1;
}

KEEL_CELL(.name = "busyload", .version = KEEL_CELL_VERSION, .exit = busyload_exit);
