/* workload: a task that calls the demo cells counter and salute continuously, the "caller that
 * never notices" of the live-swap guide. Its init starts the task; `run workload` prints what
 * it saw: calls made, counter values out of sequence (a checksum: it must stay 0 across any
 * number of swaps), and the greeting of its latest call. `run workload stop` ends the task.
 *
 * The task yields after each call, so a swap that yields while waiting for quiescence finds it
 * parked in the core, outside both cells. */
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/string.h>
#include <keel/task.h>
#include "demo/counter/counter.h"
#include "demo/salute/salute.h"

static struct {
    uint64_t calls, errors, last;
    char greeting[64];
    volatile int stop;
    task_id_t task;
} w;

static int worker_main(const void *arg, void *ret)
{
    while (!w.stop) {
        uint64_t n = counter_next();
        if (w.last && n != w.last + 1)
            w.errors++;
        w.last = n;
        salute_text(w.greeting, sizeof(w.greeting), "Keel");
        __atomic_store_n(&w.calls, w.calls + 1, __ATOMIC_RELEASE); /* after the greeting */
        task_yield();
    }
    return 0;
}

static int workload_init(void)
{
    w.stop = 0;
    struct task_spec spec = {.name = "workload", .entry = worker_main, .flags = TASK_DETACHED};
    return task_spawn(&spec, &w.task);
}

static void workload_exit(void)
{
    w.stop = 1;
}

int workload_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc > 1 && strcmp(argv[1], "stop") == 0) {
        w.stop = 1;
        kprintf("workload: stopping task %llu\n", (unsigned long long)w.task);
        return 0;
    }
    /* Right after the load the worker may not have made its first call yet (it may be starting
     * on another CPU): report once it has, so the first report shows a real greeting. */
    for (unsigned i = 0; i < 1000 && !__atomic_load_n(&w.calls, __ATOMIC_ACQUIRE); i++)
        task_sleep_ns(1000 * 1000);
    char desc[96];
    counter_describe(desc, sizeof(desc));
    kprintf("workload: task %llu, %llu calls, %llu out of sequence, last value %llu, "
            "greeting '%s'\nworkload: %s\n",
            (unsigned long long)w.task, (unsigned long long)w.calls, (unsigned long long)w.errors,
            (unsigned long long)w.last, w.greeting, desc);
    return 0;
}

KEEL_CELL(.name = "workload", .version = KEEL_CELL_VERSION, .init = workload_init,
          .exit = workload_exit);
