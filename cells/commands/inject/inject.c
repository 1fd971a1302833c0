/* inject: the fault injector from the shell (docs/fault-injection.md, "Injecting a fault").
 * Parses the line (injargs.h: code faults, `alloc`, `ipc`, `status`, `restore` — the language
 * `keelctl inject` shares), carries it out (injdo.h) and prints the proof, the status of the
 * fault in place or what `restore` put back (injresult.h). */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include "commands/inject/injdo.h"

static int usage(const char *why)
{
    kprintf("inject: %s\nusage: %s\n", why, KEEL_COMMAND_USAGE);
    return 2;
}

static void to_console(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    kprintf("%.*s", (int)n, s);
}

int cmd_inject_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1)
        return usage("bad argument block");
    struct injargs a;
    struct injresult r;
    char msg[128];
    if (injargs_parse(argc, argv, &a, msg, sizeof(msg)))
        return usage(msg);
    struct loader_error err;
    if (injdo(&a, &r, &err)) {
        if (a.action == INJARGS_RESTORE)
            kprintf("inject: %s\n", err.msg);
        else
            kprintf("inject: %s (%s)\n", err.msg, keel_errname(err.code));
        return 1;
    }
    injresult_print(&r, to_console, NULL);
    return 0;
}

KEEL_COMMAND_CELL("inject");
