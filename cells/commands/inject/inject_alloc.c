/* inject alloc <cell> [--nth N] [--seed N]: fail the nth kernel-heap allocation made by a cell
 * (keel/inject_alloc.h; docs/fault-injection.md, "Allocation failure"). One fault at a time
 * with the code faults, so `inject status` and `inject restore` show and disarm whichever is in
 * place. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/inject_alloc.h>
#include <keel/string.h>
#include "inject_alloc.h"

static int usage(const char *why)
{
    kprintf("inject: %s\nusage: %s\n", why, KEEL_COMMAND_USAGE);
    return 2;
}

static void print_armed(const struct inject_alloc_record *r)
{
    kprintf("inject: alloc in cell %s, allocation %u from now fails, seed %llu\n", r->spec.cell,
            r->spec.nth, (unsigned long long)r->spec.seed);
    kprintf("  counts allocations whose call chain returns into text 0x%016llx..0x%016llx\n",
            (unsigned long long)r->text_base, (unsigned long long)(r->text_base + r->text_size));
}

static void print_state(const struct inject_alloc_record *r)
{
    kprintf("  %llu allocation%s by the cell seen\n", (unsigned long long)r->seen,
            r->seen == 1 ? "" : "s");
    if (r->activated) {
        kprintf("  activated at %llu us by task %llu '%s': allocation failed, caller 0x%016llx "
                "<%s:%s+0x%llx>\n",
                (unsigned long long)(r->activated_ns / 1000), (unsigned long long)r->task,
                r->task_name, (unsigned long long)r->caller, r->spec.cell,
                r->caller_symbol[0] ? r->caller_symbol : "text",
                (unsigned long long)r->caller_offset);
    } else if (r->displaced) {
        kprintf("  not activated; the heap's failslab settings were replaced meanwhile\n");
    } else {
        kprintf("  not activated (%u to go)\n", r->left);
    }
}

static int arm(int argc, const char **argv)
{
    struct inject_alloc_spec spec = {0};
    if (argc < 3)
        return usage("alloc wants a cell");
    if (strlen(argv[2]) >= sizeof(spec.cell))
        return usage("cell name too long");
    memcpy(spec.cell, argv[2], strlen(argv[2]) + 1);
    for (int i = 3; i < argc; i += 2) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t v;
        if (!val)
            return usage("an option without its value");
        if (strcmp(opt, "--nth") == 0) {
            if (!argv_decimal(val, 0xffffffffu, &v) || v == 0)
                return usage("--nth wants a number from 1 to 4294967295");
            spec.nth = (uint32_t)v;
        } else if (strcmp(opt, "--seed") == 0) {
            if (!argv_decimal(val, UINT64_MAX, &v))
                return usage("bad --seed: want a number");
            spec.seed = v;
        } else {
            return usage("alloc takes --nth N and --seed N only");
        }
    }
    struct inject_alloc_record r;
    struct loader_error err;
    if (inject_alloc_arm(&spec, &r, &err)) {
        kprintf("inject: %s (%s)\n", err.msg, keel_errname(err.code));
        return 1;
    }
    print_armed(&r);
    return 0;
}

bool inject_alloc_dispatch(int argc, const char **argv, int *rc)
{
    if (argc >= 2 && strcmp(argv[1], "alloc") == 0) {
        *rc = arm(argc, argv);
        return true;
    }
    if (argc != 2 || !inject_alloc_in_place())
        return false;
    struct inject_alloc_record r;
    if (strcmp(argv[1], "status") == 0) {
        inject_alloc_last(&r);
        if (!r.valid)
            return false; /* restored meanwhile: inject.c says what is in place */
        print_armed(&r);
        print_state(&r);
        *rc = 0;
        return true;
    }
    if (strcmp(argv[1], "restore") == 0 || strcmp(argv[1], "--restore") == 0) {
        struct loader_error err;
        if (inject_alloc_restore(&r, &err)) {
            kprintf("inject: %s\n", err.msg);
            *rc = 1;
            return true;
        }
        kprintf("inject: disarmed the allocation fault in cell %s\n", r.spec.cell);
        print_state(&r);
        *rc = 0;
        return true;
    }
    return false;
}
