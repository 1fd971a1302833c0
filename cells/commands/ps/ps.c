/* ps: one line per task: ID NAME STATE PRIO CPU(ms) SWITCHES CELL, in id order. The tasks are
 * collected first (task_for_each snapshots them) so the columns can be sized to fit. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/kmalloc.h>
#include <keel/task.h>

struct collect {
    struct task_info *ti;
    size_t n, max, missed;
};

static int collect_one(void *ctx, const struct task_info *ti)
{
    struct collect *c = ctx;
    if (c->n < c->max)
        c->ti[c->n++] = *ti;
    else
        c->missed++;
    return 0;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

int cmd_ps_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("ps: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 1) {
        kprintf("ps: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    struct collect c = {.max = task_count() + 16}; /* room for tasks spawned meanwhile */
    c.ti = kmalloc(c.max * sizeof(*c.ti));
    if (!c.ti) {
        kprintf("ps: out of memory\n");
        return 1;
    }
    task_for_each(collect_one, &c);
    int name_w = 4, cell_w = 4;
    for (size_t i = 0; i < c.n; i++) {
        name_w = max_int(name_w, (int)strnlen(c.ti[i].name, sizeof(c.ti[i].name)));
        cell_w = max_int(cell_w, (int)strnlen(c.ti[i].cell, sizeof(c.ti[i].cell)));
    }
    kprintf("%5s  %-*s  %-8s  %4s  %10s  %8s  %s\n", "ID", name_w, "NAME", "STATE", "PRIO",
            "CPU(ms)", "SWITCHES", "CELL");
    for (size_t i = 0; i < c.n; i++) {
        const struct task_info *t = &c.ti[i];
        kprintf("%5llu  %-*.*s  %-8s  %4u  %6llu.%03llu  %8llu  %.*s\n", (unsigned long long)t->id,
                name_w, (int)sizeof(t->name), t->name, task_state_name(t->state), t->priority,
                (unsigned long long)(t->cpu_ns / 1000000u),
                (unsigned long long)(t->cpu_ns / 1000u % 1000u), (unsigned long long)t->switches,
                (int)sizeof(t->cell), t->cell);
    }
    if (c.missed)
        kprintf("(%zu more tasks started meanwhile, not shown)\n", c.missed);
    kfree(c.ti);
    return 0;
}

KEEL_COMMAND_CELL("ps");
