/* failslab: the kernel heap's failure injection from the shell (docs/boot-and-memory.md,
 * docs/fault-injection.md "Allocation failure"). `nth N` makes the Nth eligible allocation from
 * now fail once — of one owner only with `owner`, of one cell's code only with `cell` (the same
 * armed fault as `inject alloc`) — for tests that walk an operation's failure paths one
 * allocation at a time; `off` disarms it; no argument shows what is armed. Each keyword may be
 * spelt as an option too (--nth, --owner, --cell). */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/inject_alloc.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/task.h>

/* A decimal number in 1..max: true and *out, else false. */
static bool parse_num(const char *s, uint64_t max, uint64_t *out)
{
    return argv_decimal(s, max, out) && *out != 0;
}

static bool parse_owner(const char *s, owner_t *out)
{
    uint64_t id;
    if (strcmp(s, "core") == 0)
        *out = OWNER_CORE;
    else if (strcmp(s, "loader") == 0)
        *out = OWNER_LOADER;
    else if (strcmp(s, "ramfs") == 0)
        *out = OWNER_RAMFS;
    else if (strncmp(s, "task:", 5) == 0 && parse_num(s + 5, OWNER_TASK_ID_MASK, &id))
        *out = OWNER_TASK(id);
    else
        return false;
    return true;
}

static void show(void)
{
    struct heap_failslab fs;
    kheap_failslab_get(&fs);
    struct inject_alloc_record a;
    inject_alloc_last(&a);
    if (a.valid) {
        kprintf("failslab: allocation %u from arming fails (cell %s only; %llu seen, %s)\n",
                a.spec.nth, a.spec.cell, (unsigned long long)a.seen,
                a.activated ? "activated" : "not activated");
        return;
    }
    if (!fs.fail_nth && (!fs.probability || !fs.times)) {
        kprintf("failslab: off\n");
        return;
    }
    kprintf("failslab:");
    if (fs.fail_nth)
        kprintf(" allocation %u from now fails", fs.fail_nth);
    if (fs.probability && fs.times)
        kprintf("%s %u%% of allocations fail (interval %u, %d left)", fs.fail_nth ? ";" : "",
                fs.probability, fs.interval, fs.times);
    if (fs.filter_owner)
        kprintf(" (owner 0x%08x only)", fs.owner);
    kprintf("\n");
}

static int usage(const char *why)
{
    kprintf("failslab: %s\nusage: %s\n", why, KEEL_COMMAND_USAGE);
    return 2;
}

/* "nth" and "--nth" alike. */
static bool is_key(const char *arg, const char *key)
{
    if (arg[0] == '-' && arg[1] == '-')
        arg += 2;
    return strcmp(arg, key) == 0;
}

static int off(void)
{
    struct heap_failslab fs = {0};
    struct loader_error err;
    if (inject_alloc_in_place())
        (void)inject_alloc_restore(NULL, &err); /* disarms the heap's settings too */
    kheap_failslab_set(&fs);
    kprintf("failslab: off\n");
    return 0;
}

int cmd_failslab_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1)
        return usage("bad argument block");
    if (argc == 1) {
        show();
        return 0;
    }
    if (strcmp(argv[1], "off") == 0) {
        if (argc > 2)
            return usage("too many arguments");
        return off();
    }
    struct heap_failslab fs = {0};
    const char *cell = NULL;
    uint64_t n = 0;
    for (int i = 1; i < argc; i += 2) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (is_key(argv[i], "nth")) {
            if (!val || !parse_num(val, 0xffffffffu, &n))
                return usage("nth wants a number from 1 to 4294967295");
        } else if (is_key(argv[i], "owner")) {
            if (!val || !parse_owner(val, &fs.owner))
                return usage("owner is core, loader, ramfs or task:ID");
            fs.filter_owner = true;
        } else if (is_key(argv[i], "cell")) {
            if (!val || !*val)
                return usage("cell wants a loaded cell's name");
            cell = val;
        } else {
            return usage(i == 1 ? "want 'nth N' or 'off'"
                                : "after 'nth N' only 'owner OWNER' or 'cell CELL' may follow");
        }
    }
    if (!n)
        return usage("want 'nth N' or 'off'");
    if (cell && fs.filter_owner)
        return usage("owner and cell exclude each other");
    if (cell) {
        struct inject_alloc_spec spec = {.nth = (uint32_t)n};
        if (strlen(cell) >= sizeof(spec.cell))
            return usage("cell name too long");
        memcpy(spec.cell, cell, strlen(cell) + 1);
        struct loader_error err;
        if (inject_alloc_arm(&spec, NULL, &err)) {
            kprintf("failslab: %s (%s)\n", err.msg, keel_errname(err.code));
            return 1;
        }
        show();
        return 0;
    }
    struct inject_alloc_record a;
    inject_alloc_last(&a);
    if (a.valid) {
        kprintf("failslab: an allocation fault is in place for cell %s: failslab off (or inject "
                "restore) first\n",
                a.spec.cell);
        return 1;
    }
    fs.fail_nth = (uint32_t)n;
    int r = kheap_failslab_set(&fs);
    if (r) {
        kprintf("failslab: %s\n", keel_strerror(r));
        return 1;
    }
    show();
    return 0;
}

KEEL_COMMAND_CELL("failslab");
