/* sleeper (a test fixture): its init starts a task that sleeps in a loop inside this cell, so a
 * swap of sleeper never becomes quiescent and must abort at its deadline, leaving version 1
 * running. Version 2 exists only to be refused. */
#include <keel/cell.h>
#include <keel/task.h>

static volatile int stop;
static volatile unsigned long naps;

static int napper_main(const void *arg, void *ret)
{
    while (!stop) {
        naps++;
        task_sleep_ns(5 * 1000 * 1000);
    }
    return 0;
}

static int sleeper_init(void)
{
    struct task_spec spec = {.name = "sleeper", .entry = napper_main, .flags = TASK_DETACHED};
    return task_spawn(&spec, 0);
}

KEEL_CELL(.name = "sleeper", .version = KEEL_CELL_VERSION, .init = sleeper_init);
