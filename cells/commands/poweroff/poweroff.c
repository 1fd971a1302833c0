/* poweroff: switch the machine off through ACPI (S5). */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/power.h>

int cmd_poweroff_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    if (argv_from_arg(arg, argv, ARGV_MAX_ARGS) != 1) {
        kprintf("poweroff: takes no arguments\nusage: " KEEL_COMMAND_USAGE "\n");
        return 2;
    }
    kprintf("poweroff: powering off\n");
    int r = acpi_poweroff(); /* returns only if it failed */
    kprintf("poweroff: ACPI power-off failed: %s\n", keel_strerror(r));
    return 1;
}

KEEL_COMMAND_CELL("poweroff");
