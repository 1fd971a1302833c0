/* A test fixture: a command cell built without add_command, so it carries no index record. The
 * shell must refuse to run it by name, saying so (tests/qemu/pushcmd_tests.py). */
#include <keel/command.h>
#include <keel/console.h>

int cmd_norecord_main(const void *arg, void *ret)
{
    kprintf("norecord ran\n");
    return 0;
}

KEEL_COMMAND_CELL("norecord");
