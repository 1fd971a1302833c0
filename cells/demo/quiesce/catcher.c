/* catcher (a test fixture, docs/live-swap.md): starts a task that spins inside cell caught in a
 * way that one rule of the swap's quiescence check (tasking/swap_tasks.c) must see, so a swap
 * of caught is refused while it spins (tests/qemu/quiesce_tests.py):
 *
 *   run catcher rip       caught_enter -> caught_spin: the interrupted rip is in caught, and is
 *                         what the refusal must name (a return address into caught_enter is at
 *                         [rsp] too, so without the rip rule another address is named)
 *   run catcher leaf      caught_call_bare -> bare_spin: only [rsp] holds a return into caught
 *   run catcher prologue  caught_call_pushed -> bare_spin_pushed: only [rsp+8] does
 *   run catcher stop      release the spinner and wait for its task to end
 *
 * Each start returns once the task is in its spin loop, which it leaves only when stopped; it
 * never blocks there, so whenever it is off the CPU the timer preempted it. */
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/task.h>
#include "demo/quiesce/spin.h"

static struct spin_flag flag;
static task_id_t spinner;

/* The entries call into caught without a tail call: their frames link the chain to the start. */
static __attribute__((disable_tail_calls)) int rip_main(const void *arg, void *ret)
{
    return caught_enter(&flag);
}

static __attribute__((disable_tail_calls)) int leaf_main(const void *arg, void *ret)
{
    return caught_call_bare(&flag);
}

static __attribute__((disable_tail_calls)) int prologue_main(const void *arg, void *ret)
{
    return caught_call_pushed(&flag);
}

static const struct {
    const char *name;
    task_entry_fn entry;
} ways[] = {{"rip", rip_main}, {"leaf", leaf_main}, {"prologue", prologue_main}};

static int start(const char *name, task_entry_fn entry)
{
    if (spinner) {
        kprintf("catcher: task %llu is already spinning (run catcher stop)\n",
                (unsigned long long)spinner);
        return 1;
    }
    flag.stop = 0;
    flag.spins = 0;
    struct task_spec spec = {.name = "catcher", .entry = entry};
    int r = task_spawn(&spec, &spinner);
    if (r) {
        kprintf("catcher: cannot start a task: %s\n", keel_strerror(r));
        spinner = 0;
        return 1;
    }
    /* Once it has counted a turn it is in the loop for good: the test may swap from then on. */
    for (int i = 0; i < 20000 && !flag.spins; i++)
        task_sleep_ns(1000 * 1000);
    if (!flag.spins) {
        kprintf("catcher: task %llu (%s) did not reach its spin loop\n",
                (unsigned long long)spinner, name);
        return 1;
    }
    kprintf("catcher: task %llu spinning (%s)\n", (unsigned long long)spinner, name);
    return 0;
}

static int stop(void)
{
    if (!spinner) {
        kprintf("catcher: no task is spinning\n");
        return 1;
    }
    flag.stop = 1;
    struct task_result res;
    task_id_t id = spinner;
    int r = task_join(id, &res);
    spinner = 0;
    if (r) {
        kprintf("catcher: cannot join task %llu: %s\n", (unsigned long long)id, keel_strerror(r));
        return 1;
    }
    kfree(res.ret);
    if (res.how != TASK_RETURNED) {
        kprintf("catcher: task %llu did not return (how %d)\n", (unsigned long long)id,
                (int)res.how);
        return 1;
    }
    kprintf("catcher: task %llu ended, returned through caught version %d\n",
            (unsigned long long)id, res.status);
    return 0;
}

int catcher_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc == 2 && strcmp(argv[1], "stop") == 0)
        return stop();
    for (size_t i = 0; argc == 2 && i < sizeof(ways) / sizeof(ways[0]); i++)
        if (strcmp(argv[1], ways[i].name) == 0)
            return start(ways[i].name, ways[i].entry);
    kprintf("usage: run catcher rip|leaf|prologue|stop\n");
    return 2;
}

KEEL_CELL(.name = "catcher", .version = KEEL_CELL_VERSION);
