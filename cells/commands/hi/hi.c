/* hi: a test fixture, left out of the boot image (add_command TEST). The tests push it into a
 * running system and run it by name (tests/qemu/pushcmd_tests.py); version 2 says which it is,
 * so a test sees the newer version replace the older one. */
#include <keel/command.h>
#include <keel/console.h>

int cmd_hi_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc < 1 || argc > 2) {
        kprintf("hi: expected at most one name\nusage: " KEEL_COMMAND_USAGE "\n");
        return 2;
    }
    kprintf("hi %s, from cmd_hi version %d\n", argc == 2 ? argv[1] : "there", KEEL_CELL_VERSION);
    return 0;
}

KEEL_COMMAND_CELL("hi");
