/* inject ipc: arm an IPC fault (docs/fault-injection.md, "IPC faults") — drop, duplicate,
 * corrupt or delay the Nth message sent or received by the tasks of a cell, or make that send or
 * receive fault on the task's behalf — and show or disarm it for `inject status|restore`. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/inject.h>
#include <keel/string.h>
#include "ipc_cmd.h"

#define IPC_USAGE                                                                                  \
    "inject ipc <drop|dup|corrupt|delay|badptr|pagefault> <cell|any> [--side send|recv] "          \
    "[--nth N] [--seed N] [--delay-us N]"

static int usage(const char *why)
{
    kprintf("inject: %s\nusage: %s\n", why, IPC_USAGE);
    return 2;
}

/* Decimal, or hexadecimal with 0x. */
static bool number(const char *s, uint64_t *out)
{
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return argv_decimal(s, UINT64_MAX, out);
    uint64_t v = 0;
    if (!s[2])
        return false;
    for (s += 2; *s; s++) {
        char c = *s;
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15 || v >> 60)
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

static void print_spec(const struct ipc_fault_record *r)
{
    const struct ipc_fault_spec *s = &r->spec;
    kprintf("inject: ipc %s on cell %s, %s, message %llu, seed %llu", ipc_fault_kind_name(s->kind),
            s->cell[0] ? s->cell : "any", s->side == IPC_SIDE_SEND ? "send" : "recv",
            (unsigned long long)s->nth, (unsigned long long)s->seed);
    if (s->kind == IPC_FAULT_DELAY)
        kprintf(", delay %llu us", (unsigned long long)(s->delay_ns / 1000));
    kprintf("\n");
}

int inject_ipc_main(int argc, const char **argv)
{
    if (argc < 4)
        return usage("want an IPC fault kind and a cell (or any)");
    struct ipc_fault_spec spec = {.side = IPC_SIDE_SEND, .nth = 1};
    if (!ipc_fault_kind_parse(argv[2], &spec.kind))
        return usage("unknown IPC fault (drop, dup, corrupt, delay, badptr or pagefault)");
    if (strlen(argv[3]) >= sizeof(spec.cell))
        return usage("cell name too long");
    if (strcmp(argv[3], "any") != 0)
        memcpy(spec.cell, argv[3], strlen(argv[3]) + 1);
    bool delay_given = false;
    for (int i = 4; i < argc; i += 2) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t v = 0;
        if (!val)
            return usage("an option without its value");
        if (strcmp(opt, "--side") == 0) {
            if (strcmp(val, "send") == 0)
                spec.side = IPC_SIDE_SEND;
            else if (strcmp(val, "recv") == 0)
                spec.side = IPC_SIDE_RECV;
            else
                return usage("unknown side (send or recv)");
        } else if (strcmp(opt, "--nth") == 0) {
            if (!number(val, &spec.nth) || spec.nth == 0)
                return usage("bad --nth: want a number from 1");
        } else if (strcmp(opt, "--seed") == 0) {
            if (!number(val, &spec.seed))
                return usage("bad --seed: want a number");
        } else if (strcmp(opt, "--delay-us") == 0) {
            if (!number(val, &v) || v == 0 || v > IPC_FAULT_DELAY_MAX_NS / 1000)
                return usage("bad --delay-us: want 1..10000000");
            spec.delay_ns = v * 1000;
            delay_given = true;
        } else
            return usage("unknown option");
    }
    if (spec.kind == IPC_FAULT_DELAY && !delay_given)
        return usage("delay wants --delay-us N");
    if (spec.kind != IPC_FAULT_DELAY && delay_given)
        return usage("--delay-us is for delay faults only");
    struct ipc_fault_record r;
    struct loader_error err;
    if (inject_ipc(&spec, &r, &err)) {
        kprintf("inject: %s (%s)\n", err.msg, keel_errname(err.code));
        return 1;
    }
    print_spec(&r);
    kprintf("  armed: the hook counts matching calls from now on\n");
    return 0;
}

bool inject_ipc_status(void)
{
    struct ipc_fault_record r;
    inject_ipc_last(&r);
    if (!r.valid)
        return false;
    print_spec(&r);
    kprintf("  calls counted: %llu\n", (unsigned long long)r.seen);
    if (!r.activated) {
        kprintf("  not activated\n");
        return true;
    }
    kprintf("  activated at %llu ns by task %llu '%s', channel 0x%016llx\n",
            (unsigned long long)r.activated_ns, (unsigned long long)r.task, r.task_name,
            (unsigned long long)r.channel);
    if (r.spec.kind == IPC_FAULT_CORRUPT)
        kprintf("  word 0x%016llx -> 0x%016llx (bit %u)\n", (unsigned long long)r.old_word,
                (unsigned long long)r.new_word, r.bit);
    else if (r.spec.kind != IPC_FAULT_BADPTR)
        kprintf("  word 0x%016llx\n", (unsigned long long)r.old_word);
    return true;
}

bool inject_ipc_restore_cmd(int *status)
{
    struct ipc_fault_record r;
    struct loader_error err;
    if (inject_ipc_restore(&r, &err))
        return false;
    kprintf("inject: disarmed ipc %s on cell %s (%s)\n", ipc_fault_kind_name(r.spec.kind),
            r.spec.cell[0] ? r.spec.cell : "any", r.activated ? "activated" : "not activated");
    *status = 0;
    return true;
}
