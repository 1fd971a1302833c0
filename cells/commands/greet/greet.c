/* greet: the example command of docs/writing-a-command.md. It greets someone and says how many
 * times it has run since its cell was loaded. */
#include <keel/command.h>
#include <keel/console.h>

#define USAGE "greet [name]"

/* A cell's globals live as long as the cell. The shell leaves a command cell loaded after it
 * runs, so this counts the runs since cmd_greet was loaded (`unload cmd_greet` resets it). */
static unsigned runs;

int cmd_greet_main(const void *arg, void *ret)
{
    /* arg is the packed argument vector (keel/argv.h). */
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc < 1 || argc > 2) {
        kprintf("greet: expected at most one name\nusage: " USAGE "\n");
        return 2;
    }
    const char *name = argc == 2 ? argv[1] : "world";
    runs++;
    kprintf("Hello, %s!\n", name);
    kprintf("greet has run %u time%s since it was loaded\n", runs, runs == 1 ? "" : "s");
    return 0;
}

KEEL_COMMAND_CELL("greet");
