/* recovery: the recovery ladder (keel/recovery.h; docs/fault-injection.md, "The recovery
 * ladder"). Without arguments: the default policy and every cell with a ladder in progress
 * (the rung its last fault took, how many faults, whether it was given up, its policy).
 * `recovery default ...` changes the default (only the options given); `recovery reset <cell>`
 * forgets a cell's ladder and clears its failed mark. */
#include <stdbool.h>
#include <keel/clock.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/recovery.h>
#include <keel/string.h>

#define MAX_CELLS 64

static int usage_error(const char *what)
{
    kprintf("recovery: %s\nusage: %s\n", what, KEEL_COMMAND_USAGE);
    return 2;
}

static const char *state_name(unsigned s)
{
    return s == RECOVERY_CARRY ? "carry" : s == RECOVERY_RESET ? "reset" : "?";
}

static void print_policy(const char *label, const struct recovery_policy *p)
{
    kprintf("%s: top %s, state %s, quiet %u ms\n", label, recovery_rung_name(p->top),
            state_name(p->state), p->quiet_ms);
}

static int show(void)
{
    struct recovery_policy def;
    recovery_default_get(&def);
    print_policy("default", &def);
    static struct recovery_cell_info cells[MAX_CELLS];
    size_t n = recovery_cells(cells, MAX_CELLS);
    if (!n) {
        kprintf("no cell has faulted\n");
        return 0;
    }
    uint64_t now = clock_ns();
    kprintf("%-20s %-10s %6s %10s  %s\n", "CELL", "RUNG", "FAULTS", "AGO(ms)", "POLICY");
    for (size_t i = 0; i < n; i++) {
        const struct recovery_cell_info *c = &cells[i];
        kprintf("%-20s %-10s %6u %10llu  top %s, state %s, quiet %u ms%s\n", c->cell,
                recovery_rung_name(c->rung), c->faults,
                (unsigned long long)(now > c->last_ns ? (now - c->last_ns) / 1000000 : 0),
                recovery_rung_name(c->policy.top), state_name(c->policy.state), c->policy.quiet_ms,
                c->failed ? "  FAILED" : "");
    }
    return 0;
}

static bool parse_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = (uint32_t)v;
    return true;
}

static int set_default(int argc, const char **argv)
{
    struct recovery_policy p;
    recovery_default_get(&p);
    if (argc < 3)
        return usage_error("recovery default: want --top, --state or --quiet-ms");
    for (int i = 2; i < argc; i += 2) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val)
            return usage_error("an option without its value");
        if (strcmp(opt, "--top") == 0) {
            if (!(p.top = recovery_rung_by_name(val)))
                return usage_error("unknown rung (restart, reload, dependents or give_up)");
        } else if (strcmp(opt, "--state") == 0) {
            if (strcmp(val, "carry") == 0)
                p.state = RECOVERY_CARRY;
            else if (strcmp(val, "reset") == 0)
                p.state = RECOVERY_RESET;
            else
                return usage_error("unknown state (carry or reset)");
        } else if (strcmp(opt, "--quiet-ms") == 0) {
            if (!parse_u32(val, &p.quiet_ms) || p.quiet_ms < 1 || p.quiet_ms > 3600000)
                return usage_error("bad --quiet-ms: want 1..3600000");
        } else {
            return usage_error("unknown option");
        }
    }
    int rc = recovery_default_set(&p);
    if (rc) {
        kprintf("recovery: %s\n", keel_strerror(rc));
        return 1;
    }
    print_policy("default", &p);
    return 0;
}

int cmd_recovery_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1)
        return usage_error("bad argument block");
    if (argc == 1)
        return show();
    if (strcmp(argv[1], "default") == 0)
        return set_default(argc, argv);
    if (strcmp(argv[1], "reset") == 0) {
        if (argc != 3)
            return usage_error("recovery reset: want one cell");
        int rc = recovery_reset(argv[2]);
        if (rc == KE_NOENT) {
            kprintf("recovery: cell '%s' has no ladder and is not failed\n", argv[2]);
            return 1;
        }
        if (rc)
            return usage_error("bad cell name");
        kprintf("recovery: cell '%s' reset: its next fault starts at the bottom\n", argv[2]);
        return 0;
    }
    return usage_error("unknown subcommand (default or reset)");
}

KEEL_COMMAND_CELL("recovery");
