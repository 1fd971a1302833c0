/* spin: a test command that prints a dot every 100 ms until it is killed (Ctrl-C in the
 * shell), so interrupting a running command can be tested. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/task.h>

int cmd_spin_main(const void *arg, void *ret)
{
    for (;;) {
        console_write(".", 1);
        if (task_sleep_ns(100000000ull) == KE_KILLED)
            return KE_KILLED;
    }
}

KEEL_COMMAND_CELL("spin");
