/* watchdog | watchdog budget <ms>|off: hang detection (docs/fault-injection.md, "Hangs").
 * Without arguments: the global CPU budget (the longest any task may run without blocking,
 * unless its spec sets its own; off by default) and the tasks with a heartbeat, with the time
 * since their last beat. `budget` sets the global CPU budget, in ms (1..3600000), or turns it
 * off. A task that breaks either ends as a fault of kind hang (see `faults`). */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/task.h>

#define NS_PER_MS (1000ull * 1000)

static int usage_error(const char *what, const char *arg)
{
    kprintf("watchdog: ");
    kprintf(what, arg);
    kprintf("\nusage: %s\n", KEEL_COMMAND_USAGE);
    return 2;
}

static void print_budget(void)
{
    uint64_t b = task_cpu_budget_ns();
    if (b)
        kprintf("watchdog: CPU budget %llu us (tasks without their own)\n",
                (unsigned long long)(b / 1000));
    else
        kprintf("watchdog: CPU budget off\n");
}

struct collect {
    struct task_info *ti;
    size_t n, max;
};

static int collect_watched(void *ctx, const struct task_info *ti)
{
    struct collect *c = ctx;
    if (ti->heartbeat_ns && ti->state != TASK_DEAD && c->n < c->max)
        c->ti[c->n++] = *ti;
    return 0;
}

static int show(void)
{
    print_budget();
    struct collect c = {.max = task_count() + 16};
    c.ti = kmalloc(c.max * sizeof(*c.ti));
    if (!c.ti) {
        kprintf("watchdog: out of memory\n");
        return 1;
    }
    task_for_each(collect_watched, &c);
    if (!c.n)
        kprintf("no task has a heartbeat\n");
    else
        kprintf("%5s  %-23s  %13s  %13s\n", "ID", "NAME", "HEARTBEAT(us)", "SINCE(us)");
    for (size_t i = 0; i < c.n; i++) {
        const struct task_info *t = &c.ti[i];
        kprintf("%5llu  %-23.*s  %13llu  %13llu\n", (unsigned long long)t->id, (int)sizeof(t->name),
                t->name, (unsigned long long)(t->heartbeat_ns / 1000),
                (unsigned long long)(t->since_beat_ns / 1000));
    }
    kfree(c.ti);
    return 0;
}

int cmd_watchdog_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1)
        return usage_error("bad argument block%s", "");
    if (argc == 1)
        return show();
    if (strcmp(argv[1], "budget") != 0)
        return usage_error("unknown subcommand '%s'", argv[1]);
    if (argc < 3)
        return usage_error("budget wants <ms> or off%s", "");
    if (argc > 3)
        return usage_error("too many arguments%s", "");
    uint64_t ns = 0;
    if (strcmp(argv[2], "off") != 0) {
        uint64_t ms;
        if (!argv_decimal(argv[2], TASK_CPU_BUDGET_MAX_NS / NS_PER_MS, &ms) ||
            ms * NS_PER_MS < TASK_CPU_BUDGET_MIN_NS)
            return usage_error("bad budget '%s': 1..3600000 ms, or off", argv[2]);
        ns = ms * NS_PER_MS;
    }
    int r = task_set_cpu_budget_ns(ns);
    if (r) {
        kprintf("watchdog: %s\n", keel_strerror(r));
        return 1;
    }
    print_budget();
    return 0;
}

KEEL_COMMAND_CELL("watchdog");
