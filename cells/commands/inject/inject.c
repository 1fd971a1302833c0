/* inject: the fault injector from the shell (docs/fault-injection.md, "Injecting a fault").
 * Parses the fault spec (injargs.h, the language keelctl inject shares), asks the core's injector
 * (keel/inject.h) to write it and prints the proof; `status` shows the last injection and whether
 * it was activated; `restore` puts the old bytes back. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/inject.h>
#include <keel/string.h>
#include "commands/inject/injargs.h"
#include "commands/inject/injprint.h"
#include "inject_alloc.h"
#include "ipc_cmd.h"

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

static int status(void)
{
    struct inject_record r;
    inject_last(&r);
    if (!r.valid && inject_ipc_status())
        return 0;
    injprint_status(&r, to_console, NULL);
    return 0;
}

static int restore(void)
{
    struct inject_record r;
    struct loader_error err;
    int rc;
    if (inject_ipc_restore_cmd(&rc))
        return rc;
    if (inject_restore(&r, &err)) {
        kprintf("inject: %s\n", err.msg);
        return 1;
    }
    injprint_restore(&r, to_console, NULL);
    return 0;
}

int cmd_inject_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1)
        return usage("bad argument block");
    /* Other fault families parse their own words: one line each here, before the spec parser. */
    int alloc_rc;
    if (inject_alloc_dispatch(argc, argv, &alloc_rc)) /* inject alloc, and its status/restore */
        return alloc_rc;
    if (argc >= 2 && strcmp(argv[1], "ipc") == 0)
        return inject_ipc_main(argc, argv);
    struct injargs a;
    char msg[128];
    if (injargs_parse(argc, argv, &a, msg, sizeof(msg)))
        return usage(msg);
    if (a.action == INJARGS_STATUS)
        return status();
    if (a.action == INJARGS_RESTORE)
        return restore();
    struct inject_record r;
    struct loader_error err;
    if (inject_fault(&a.spec, &r, &err)) {
        kprintf("inject: %s (%s)\n", err.msg, keel_errname(err.code));
        return 1;
    }
    injprint_proof(&r, to_console, NULL);
    return 0;
}

KEEL_COMMAND_CELL("inject");
