/* inject: the fault injector from the shell (docs/fault-injection.md, "Injecting a fault").
 * Parses the fault spec, asks the core's injector (keel/inject.h) to write it and prints the
 * proof; `status` shows the last injection and whether it was activated; `restore` puts the old
 * bytes back. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/inject.h>
#include <keel/string.h>
#include "ipc_cmd.h"

static int usage(const char *why)
{
    kprintf("inject: %s\nusage: %s\n", why, KEEL_COMMAND_USAGE);
    return 2;
}

/* Decimal, or hexadecimal with 0x. */
static bool parse_num(const char *s, uint64_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        uint64_t v = 0;
        s += 2;
        if (!*s)
            return false;
        for (; *s; s++) {
            unsigned d;
            if (*s >= '0' && *s <= '9')
                d = (unsigned)(*s - '0');
            else if (*s >= 'a' && *s <= 'f')
                d = (unsigned)(*s - 'a' + 10);
            else if (*s >= 'A' && *s <= 'F')
                d = (unsigned)(*s - 'A' + 10);
            else
                return false;
            if (v >> 60)
                return false;
            v = v << 4 | d;
        }
        *out = v;
        return true;
    }
    return argv_decimal(s, UINT64_MAX, out);
}

static const char *model_name(enum inject_model m)
{
    switch (m) {
    case INJECT_BITFLIP:
        return "bitflip";
    case INJECT_WORD:
        return "word";
    case INJECT_NOP:
        return "nop";
    case INJECT_BRANCH:
        return "branch";
    }
    return "?";
}

static const char *region_name(enum cell_region r)
{
    return r == CELL_REGION_TEXT ? "text" : r == CELL_REGION_RODATA ? "rodata" : "data";
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
    kprintf("inject: %s in cell %s, %s, seed %llu\n", model_name(r->spec.model), r->spec.cell,
            region_name(r->spec.region), (unsigned long long)r->spec.seed);
    if (r->where_symbol[0])
        kprintf("  address 0x%016llx <%s:%s+0x%llx>\n", (unsigned long long)r->addr, r->spec.cell,
                r->where_symbol, (unsigned long long)r->where_offset);
    else
        kprintf("  address 0x%016llx <%s:%s+0x%llx>\n", (unsigned long long)r->addr, r->spec.cell,
                region_name(r->spec.region), (unsigned long long)r->where_offset);
    print_bytes("old", r->old_bytes, r->len);
    print_bytes("new", r->new_bytes, r->len);
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
    if (!r.valid && inject_ipc_status())
        return 0;
    if (!r.valid) {
        kprintf("inject: no fault in place\n");
        return 0;
    }
    print_proof(&r);
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
    int rc;
    if (inject_ipc_restore_cmd(&rc))
        return rc;
    rc = inject_restore(&r, &err);
    if (rc) {
        kprintf("inject: %s\n", err.msg);
        return 1;
    }
    kprintf("inject: restored 0x%016llx in cell %s\n", (unsigned long long)r.addr, r.spec.cell);
    print_bytes("now", r.new_bytes, r.len);
    return 0;
}

static bool parse_model(const char *s, enum inject_model *m)
{
    static const enum inject_model all[] = {INJECT_BITFLIP, INJECT_WORD, INJECT_NOP, INJECT_BRANCH};
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(s, model_name(all[i])) == 0) {
            *m = all[i];
            return true;
        }
    return false;
}

/* --at sym[+off]: the symbol's name goes to buf. */
static bool parse_at(const char *s, char *buf, size_t size, struct inject_spec *spec)
{
    const char *plus = strchr(s, '+');
    size_t n = plus ? (size_t)(plus - s) : strlen(s);
    if (!n || n >= size)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    spec->symbol = buf;
    spec->symbol_offset = 0;
    spec->has_offset = plus != NULL; /* sym+off fixes the place; sym alone lets the seed pick */
    return !plus || parse_num(plus + 1, &spec->symbol_offset);
}

int cmd_inject_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1)
        return usage("bad argument block");
    if (argc == 2 && strcmp(argv[1], "status") == 0)
        return status();
    if (argc == 2 && (strcmp(argv[1], "restore") == 0 || strcmp(argv[1], "--restore") == 0))
        return restore();
    if (argc >= 2 && strcmp(argv[1], "ipc") == 0)
        return inject_ipc_main(argc, argv);
    if (argc < 3)
        return usage("want a fault model and a cell, 'status' or 'restore'");
    struct inject_spec spec = {0};
    char symbol[INJECT_SYMBOL_MAX];
    if (!parse_model(argv[1], &spec.model))
        return usage("unknown fault model (bitflip, word, nop or branch)");
    if (strlen(argv[2]) >= sizeof(spec.cell))
        return usage("cell name too long");
    memcpy(spec.cell, argv[2], strlen(argv[2]) + 1);
    bool at = false, offset = false;
    for (int i = 3; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val)
            return usage("an option without its value");
        i++;
        if (strcmp(opt, "--region") == 0) {
            if (strcmp(val, "text") == 0)
                spec.region = CELL_REGION_TEXT;
            else if (strcmp(val, "rodata") == 0)
                spec.region = CELL_REGION_RODATA;
            else if (strcmp(val, "data") == 0)
                spec.region = CELL_REGION_DATA;
            else
                return usage("unknown region (text, rodata or data)");
        } else if (strcmp(opt, "--at") == 0) {
            if (!parse_at(val, symbol, sizeof(symbol), &spec))
                return usage("bad --at: want symbol or symbol+offset");
            at = true;
        } else if (strcmp(opt, "--offset") == 0) {
            if (!parse_num(val, &spec.offset))
                return usage("bad --offset: want a number");
            spec.has_offset = offset = true;
        } else if (strcmp(opt, "--seed") == 0) {
            if (!parse_num(val, &spec.seed))
                return usage("bad --seed: want a number");
        } else if (strcmp(opt, "--value") == 0) {
            if (strcmp(val, "random") == 0)
                spec.value = INJECT_VALUE_RANDOM;
            else if (strcmp(val, "zero") == 0)
                spec.value = INJECT_VALUE_ZERO;
            else if (strcmp(val, "ones") == 0)
                spec.value = INJECT_VALUE_ONES;
            else
                return usage("unknown value (random, zero or ones)");
        } else
            return usage("unknown option");
    }
    if (at && offset)
        return usage("--at and --offset exclude each other");
    if (spec.value && spec.model != INJECT_WORD)
        return usage("--value is for word faults only");
    struct inject_record r;
    struct loader_error err;
    if (inject_fault(&spec, &r, &err)) {
        kprintf("inject: %s (%s)\n", err.msg, keel_errname(err.code));
        return 1;
    }
    print_proof(&r);
    return 0;
}

KEEL_COMMAND_CELL("inject");
