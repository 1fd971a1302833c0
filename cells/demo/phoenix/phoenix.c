/* phoenix (a test fixture): `run phoenix` starts a restartable task that faults at once and is
 * restarted after a long back-off (BACKOFF_NS), so a test can swap the cell while the task
 * waits between restarts. Every incarnation says which version of the cell it runs: a swap
 * must re-point the waiting task to the new version (docs/live-swap.md, step 6). */
#include <stdint.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/task.h>

/* Long enough for a test to see the restart announced and swap before it happens, however
 * slowly the host runs the guest; short enough to keep the test brief. */
#define BACKOFF_NS (8ull * 1000 * 1000 * 1000)

static volatile uintptr_t null_address; /* the first incarnation writes through it */

static int rise_main(const void *arg, void *ret)
{
    struct task_info ti;
    unsigned restarts = task_info(task_self(), &ti) == 0 ? ti.restarts : 0;
    kprintf("phoenix v%d: task %llu started (restart %u)\n", KEEL_CELL_VERSION,
            (unsigned long long)task_self(), restarts);
    if (restarts == 0)
        *(volatile int *)null_address = 1; /* fault: the core restarts the task */
    return 0;
}

int phoenix_main(const void *arg, void *ret)
{
    struct task_spec spec = {.name = "phoenix",
                             .entry = rise_main,
                             .flags = TASK_DETACHED | TASK_RESTARTABLE,
                             .max_restarts = 1,
                             .backoff_ns = BACKOFF_NS};
    task_id_t id;
    int err = task_spawn(&spec, &id);
    if (err) {
        kprintf("phoenix: cannot start its task: %d\n", err);
        return 1;
    }
    kprintf("phoenix v%d: started task %llu\n", KEEL_CELL_VERSION, (unsigned long long)id);
    return 0;
}

KEEL_CELL(.name = "phoenix", .version = KEEL_CELL_VERSION);
