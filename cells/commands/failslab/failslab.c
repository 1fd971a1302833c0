/* failslab: the kernel heap's failure injection from the shell (docs/boot-and-memory.md). `nth N`
 * makes the Nth eligible allocation from now fail once — of one owner only with `owner` — for
 * tests that walk an operation's failure paths one allocation at a time; `off` disarms it; no
 * argument shows what is armed. */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
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
    struct heap_failslab fs = {0};
    if (strcmp(argv[1], "off") == 0) {
        if (argc > 2)
            return usage("too many arguments");
        kheap_failslab_set(&fs);
        kprintf("failslab: off\n");
        return 0;
    }
    if (strcmp(argv[1], "nth") != 0)
        return usage("want 'nth N' or 'off'");
    uint64_t n;
    if (argc < 3 || !parse_num(argv[2], 0xffffffffu, &n))
        return usage("nth wants a number from 1 to 4294967295");
    if (argc == 5 && strcmp(argv[3], "owner") == 0) {
        if (!parse_owner(argv[4], &fs.owner))
            return usage("owner is core, loader, ramfs or task:ID");
        fs.filter_owner = true;
    } else if (argc != 3) {
        return usage("after 'nth N' only 'owner OWNER' may follow");
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
