/* reboot: restart the machine. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/power.h>

int cmd_reboot_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    if (argv_from_arg(arg, argv, ARGV_MAX_ARGS) != 1) {
        kprintf("reboot: takes no arguments\nusage: " KEEL_COMMAND_USAGE "\n");
        return 2;
    }
    kprintf("reboot: restarting\n");
    machine_reboot();
}

KEEL_COMMAND_CELL("reboot");
