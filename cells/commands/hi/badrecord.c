/* A test fixture: a command cell whose index record is malformed (no tab-separated fields). The
 * shell must refuse to run it by name, saying so (tests/qemu/pushcmd_tests.py). */
#include <keel/command.h>
#include <keel/console.h>

__attribute__((section(KEEL_COMMAND_SECTION), used)) static const char record[] =
    "badrecord has no fields";

int cmd_badrecord_main(const void *arg, void *ret)
{
    kprintf("badrecord ran\n");
    return 0;
}

KEEL_COMMAND_CELL("badrecord");
