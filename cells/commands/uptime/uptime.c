/* uptime: time since boot (h:mm:ss.mmm), timer ticks and rate, tasks, cells loaded. */
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/task.h>

int cmd_uptime_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("uptime: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 1) {
        kprintf("uptime: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    uint64_t ms = clock_ns() / 1000000u;
    uint64_t ticks = timer_ticks();
    size_t tasks = task_count(), cells = 0;
    struct loader *ld = cells_loader();
    if (ld) {
        cells_lock();
        cells = loader_cell_count(ld);
        cells_unlock();
    }
    kprintf("up %llu:%02llu:%02llu.%03llu, %llu ticks at %u Hz, %zu tasks, %zu cells loaded\n",
            (unsigned long long)(ms / 3600000u), (unsigned long long)(ms / 60000u % 60u),
            (unsigned long long)(ms / 1000u % 60u), (unsigned long long)(ms % 1000u),
            (unsigned long long)ticks, timer_hz(), tasks, cells);
    return 0;
}

KEEL_COMMAND_CELL("uptime");
