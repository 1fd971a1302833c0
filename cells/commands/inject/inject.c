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

static int usage(const char *why)
{
    kprintf("inject: %s\nusage: %s\n", why, KEEL_COMMAND_USAGE);
    return 2;
}

static void print_bytes(const char *label, const uint8_t *b, unsigned n)
{
    kprintf("  %s", label);
    for (unsigned i = 0; i < n; i++)
        kprintf(" %02x", b[i]);
    kprintf("\n");
}

static void print_proof(const struct inject_record *r)
{
    kprintf("inject: %s in cell %s, %s, seed %llu\n", injargs_model_name(r->spec.model),
            r->spec.cell, injargs_region_name(r->spec.region), (unsigned long long)r->spec.seed);
    if (r->where_symbol[0])
        kprintf("  address 0x%016llx <%s:%s+0x%llx>\n", (unsigned long long)r->addr, r->spec.cell,
                r->where_symbol, (unsigned long long)r->where_offset);
    else
        kprintf("  address 0x%016llx <%s:%s+0x%llx>\n", (unsigned long long)r->addr, r->spec.cell,
                injargs_region_name(r->spec.region), (unsigned long long)r->where_offset);
    print_bytes("old", r->old_bytes, r->len);
    if (!r->applied) {
        /* Armed, not applied: what the trigger will write, and when. */
        print_bytes("to write", r->new_bytes, r->len);
        if (r->spec.trigger == INJECT_AFTER_CALLS)
            kprintf("  armed, not applied: after %llu call%s of %s (0x%016llx), %llu so far\n",
                    (unsigned long long)r->spec.trigger_n, r->spec.trigger_n == 1 ? "" : "s",
                    r->spec.trigger_symbol, (unsigned long long)r->trigger_addr,
                    (unsigned long long)r->calls);
        else
            kprintf("  armed, not applied: after %llu us\n", (unsigned long long)r->spec.trigger_n);
        return;
    }
    print_bytes("new", r->new_bytes, r->len);
    if (r->spec.trigger != INJECT_NOW)
        kprintf("  applied at %llu ns by the %s trigger\n", (unsigned long long)r->applied_ns,
                injargs_trigger_name(r->spec.trigger));
    if (r->armed)
        kprintf("  watch %s 0x%016llx, %u byte%s\n", r->watch_execute ? "execute" : "read/write",
                (unsigned long long)r->watch_addr, r->watch_len, r->watch_len == 1 ? "" : "s");
    else
        kprintf("  watch: none (debug register not armed)\n");
}

static int status(void)
{
    struct inject_record r;
    inject_last(&r);
    if (!r.valid) {
        kprintf("inject: no fault in place\n");
        return 0;
    }
    print_proof(&r);
    if (!r.applied)
        return 0;
    if (r.activated)
        kprintf("  activated at %llu ns by task %llu '%s', rip 0x%016llx\n",
                (unsigned long long)r.activated_ns, (unsigned long long)r.task, r.task_name,
                (unsigned long long)r.rip);
    else
        kprintf("  not activated\n");
    return 0;
}

static int restore(void)
{
    struct inject_record r;
    struct loader_error err;
    int rc = inject_restore(&r, &err);
    if (rc) {
        kprintf("inject: %s\n", err.msg);
        return 1;
    }
    if (!r.applied)
        kprintf("inject: disarmed: the fault at 0x%016llx in cell %s was never applied\n",
                (unsigned long long)r.addr, r.spec.cell);
    else
        kprintf("inject: restored 0x%016llx in cell %s\n", (unsigned long long)r.addr, r.spec.cell);
    print_bytes("now", r.new_bytes, r.len);
    return 0;
}

int cmd_inject_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1)
        return usage("bad argument block");
    /* Other fault families parse their own words (one line each here). */
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
    print_proof(&r);
    return 0;
}

KEEL_COMMAND_CELL("inject");
