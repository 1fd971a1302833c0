/* crash: a test command that dereferences NULL, so the shell's fault report can be tested. */
#include <keel/command.h>

/* Store through a volatile pointer variable: the compiler cannot see that it is NULL and turn the
 * store into a trap instruction of its own; the CPU must raise the page fault. */
static int *volatile target;

int cmd_crash_main(const void *arg, void *ret)
{
    *target = 42;
    return 0;
}

KEEL_COMMAND_CELL("crash");
