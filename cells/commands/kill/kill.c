/* kill <id>: ask a task to die (task_kill); it ends at its next safe point. The core's own tasks
 * (idle, reclaim) refuse; the shell's task may be killed: the shell starts a new one
 * (cells/shell/shell.c), so the console keeps a prompt. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/task.h>

int cmd_kill_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("kill: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc < 2) {
        kprintf("kill: missing task id\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 2) {
        kprintf("kill: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    uint64_t id;
    if (!argv_decimal(argv[1], UINT64_MAX, &id) || id == 0) {
        kprintf("kill: '%s' is not a task id\nusage: %s\n", argv[1], KEEL_COMMAND_USAGE);
        return 2;
    }
    struct task_info ti;
    if (task_info(id, &ti) != 0 || ti.state == TASK_DEAD) {
        kprintf("kill: no such task %llu\n", (unsigned long long)id);
        return 1;
    }
    if (id == task_self()) {
        kprintf("kill: task %llu is this kill command itself\n", (unsigned long long)id);
        return 1;
    }
    int r = task_kill(id);
    if (r == KE_PERM) {
        kprintf("kill: task %llu (%.*s) cannot be killed: it is one of the core's own tasks\n",
                (unsigned long long)id, (int)sizeof(ti.name), ti.name);
        return 1;
    }
    if (r == KE_NOENT) { /* it ended between the look-up and the kill */
        kprintf("kill: no such task %llu\n", (unsigned long long)id);
        return 1;
    }
    if (r) {
        kprintf("kill: task %llu: %s\n", (unsigned long long)id, keel_strerror(r));
        return 1;
    }
    kprintf("killed task %llu (%.*s)\n", (unsigned long long)id, (int)sizeof(ti.name), ti.name);
    return 0;
}

KEEL_COMMAND_CELL("kill");
