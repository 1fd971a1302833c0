/* bt <id>: any task's backtrace, one line per frame: the address, the cell that holds it (name
 * and version, or "core") and function+offset. The frames come from task_backtrace (read with
 * the scheduler lock held); they are named afterwards under cells_lock, so a cell swapped or
 * unloaded in between is named as what holds the address now (a retired version says so). */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/panic.h>
#include <keel/task.h>

static void print_frame(unsigned i, uint64_t addr, bool interrupted)
{
    char where[128], cell[40], in[48];
    uint32_t version;
    const char *fn = where;
    if (addr_cell(addr, cell, sizeof(cell), &version) == 0) {
        ksnprintf(in, sizeof(in), "%s@%u", cell, version);
        /* "cell:fn+0xoff" or "cell@v(retired):fn+0xoff": the function is after the colon */
        bool retired = false;
        if (addr_describe(addr, where, sizeof(where)) == 0)
            for (const char *c = where; *c; c++) {
                retired |= *c == '(' && fn == where;
                if (*c == ':')
                    fn = c + 1;
            }
        if (retired)
            ksnprintf(in, sizeof(in), "%s@%u(retired)", cell, version);
    } else {
        ksnprintf(in, sizeof(in), "core");
        addr_describe(addr, where, sizeof(where));
    }
    kprintf("  #%-2u 0x%016llx  %-16s %s%s\n", i, (unsigned long long)addr, in, fn,
            interrupted ? "  (interrupted here)" : "");
}

int cmd_bt_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("bt: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc != 2) {
        kprintf("bt: %s\nusage: %s\n", argc < 2 ? "missing task id" : "too many arguments",
                KEEL_COMMAND_USAGE);
        return 2;
    }
    uint64_t id;
    if (!argv_decimal(argv[1], UINT64_MAX, &id) || id == 0) {
        kprintf("bt: '%s' is not a task id (ps lists them)\nusage: %s\n", argv[1],
                KEEL_COMMAND_USAGE);
        return 2;
    }
    struct task_info ti;
    struct task_backtrace *bt = kmalloc(sizeof(*bt)); /* 272 bytes: off the command's stack */
    if (!bt) {
        kprintf("bt: out of memory\n");
        return 1;
    }
    int err = task_info(id, &ti) != 0 || ti.state == TASK_DEAD ? KE_NOENT : task_backtrace(id, bt);
    if (err == KE_BUSY) {
        kprintf("bt: a CPU would not stop to let task %llu's stack be read; try again\n",
                (unsigned long long)id);
        kfree(bt);
        return 1;
    }
    if (err) {
        kprintf("bt: no such task %llu\n", (unsigned long long)id);
        kfree(bt);
        return 1;
    }
    kprintf("task %llu '%.*s' (%s), %u frame%s%s:\n", (unsigned long long)id, (int)sizeof(ti.name),
            ti.name, id == task_self() ? "this bt command" : task_state_name(bt->state), bt->frames,
            bt->frames == 1 ? "" : "s",
            bt->frames == TASK_BACKTRACE_MAX ? " (the innermost only)" : "");
    cells_lock(); /* no cell may go away while its frames are named */
    for (unsigned i = 0; i < bt->frames; i++)
        print_frame(i, bt->sites[i], (int)i == bt->interrupted);
    cells_unlock();
    kfree(bt);
    return 0;
}

KEEL_COMMAND_CELL("bt");
