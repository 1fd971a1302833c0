/* echo [args...]: print the arguments joined by one space. */
#include <keel/command.h>
#include <keel/console.h>

int cmd_echo_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("echo: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            console_write(" ", 1);
        console_write(argv[i], strlen(argv[i]));
    }
    console_write("\n", 1);
    return 0;
}

KEEL_COMMAND_CELL("echo");
