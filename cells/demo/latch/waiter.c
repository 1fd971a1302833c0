/* waiter (a test fixture, see latch.c): its task waits on latch's semaphore forever. */
#include <keel/cell.h>
#include <keel/sync.h>
#include <keel/task.h>

extern struct semaphore latch_sem;

static int waiter_main(const void *arg, void *ret)
{
    return semaphore_down(&latch_sem);
}

static int waiter_init(void)
{
    struct task_spec spec = {.name = "waiter", .entry = waiter_main, .flags = TASK_DETACHED};
    return task_spawn(&spec, 0);
}

KEEL_CELL(.name = "waiter", .version = KEEL_CELL_VERSION, .init = waiter_init);
