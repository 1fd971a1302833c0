/* spin: a test command that prints a dot every 100 ms until it is killed (Ctrl-C in the
 * shell), so interrupting a running command can be tested. spin --busy <ms> instead runs
 * without ever blocking until it has used <ms> of CPU time, then says so: the CPU budget of the
 * watchdog (docs/fault-injection.md, "Hangs") ends it first if the budget is shorter. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/task.h>

#define BUSY_MS_MAX 60000u

static uint64_t cpu_ns(void)
{
    struct task_info ti;
    return task_info(task_self(), &ti) == 0 ? ti.cpu_ns : 0;
}

static int busy(uint64_t ms)
{
    uint64_t start = cpu_ns(), want = ms * 1000000ull;
    while (cpu_ns() - start < want) {
        /* Mostly cell code between the looks at the clock: a kill (or a hang) takes effect at
         * a preemption here. */
        for (volatile unsigned i = 0; i < 20000; i++) {
        }
    }
    kprintf("spin: ran %llu ms without blocking\n", (unsigned long long)ms);
    return 0;
}

int cmd_spin_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc == 3 && strcmp(argv[1], "--busy") == 0) {
        uint64_t ms;
        if (!argv_decimal(argv[2], BUSY_MS_MAX, &ms) || ms == 0) {
            kprintf("spin: bad --busy '%s': 1..%u ms\nusage: %s\n", argv[2], BUSY_MS_MAX,
                    KEEL_COMMAND_USAGE);
            return 2;
        }
        return busy(ms);
    }
    if (argc != 1) {
        kprintf("spin: bad arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    for (;;) {
        console_write(".", 1);
        if (task_sleep_ns(100000000ull) == KE_KILLED)
            return KE_KILLED;
    }
}

KEEL_COMMAND_CELL("spin");
