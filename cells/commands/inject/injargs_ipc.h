/* The words of `inject ipc <kind> <cell|any> [--side send|recv] [--nth N] [--seed N]
 * [--delay-us N]` (docs/fault-injection.md, "IPC faults"), for injargs.h: the shell's inject and
 * the control channel's INJECT parse them here. Header-only, static functions (see injargs.h);
 * freestanding, host-tested and fuzzed with it. */
#ifndef CMD_INJECT_INJARGS_IPC_H
#define CMD_INJECT_INJARGS_IPC_H
#include <keel/ipc_pick.h>

/* argv[1] is "ipc". 0 with *spec filled, or 2 after writing why into msg. */
static inline int injargs_parse_ipc(int argc, const char *const *argv, struct ipc_fault_spec *spec,
                                    char *msg, unsigned long msg_size)
{
    memset(spec, 0, sizeof(*spec));
    spec->side = IPC_SIDE_SEND;
    spec->nth = 1;
    if (argc < 4)
        return injargs_bad(msg, msg_size, "%s", "ipc wants a fault kind and a cell (or any)");
    if (!ipc_fault_kind_parse(argv[2], &spec->kind))
        return injargs_bad(msg, msg_size,
                           "unknown IPC fault '%s' (drop, dup, corrupt, delay, badptr or "
                           "pagefault)",
                           argv[2]);
    if (strcmp(argv[3], "any") != 0 &&
        !injargs_copy_word(spec->cell, sizeof(spec->cell), argv[3], strlen(argv[3])))
        return injargs_bad(msg, msg_size, "bad cell name '%s'", argv[3]);
    bool delay_given = false;
    for (int i = 4; i < argc; i += 2) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t v;
        if (!val)
            return injargs_bad(msg, msg_size, "%s needs a value", opt);
        if (strcmp(opt, "--side") == 0) {
            if (strcmp(val, "send") == 0)
                spec->side = IPC_SIDE_SEND;
            else if (strcmp(val, "recv") == 0)
                spec->side = IPC_SIDE_RECV;
            else
                return injargs_bad(msg, msg_size, "unknown side '%s' (send or recv)", val);
        } else if (strcmp(opt, "--nth") == 0) {
            if (!injargs_number(val, UINT64_MAX, &spec->nth) || spec->nth == 0)
                return injargs_bad(msg, msg_size, "bad --nth '%s': want a number from 1", val);
        } else if (strcmp(opt, "--seed") == 0) {
            if (!injargs_number(val, UINT64_MAX, &spec->seed))
                return injargs_bad(msg, msg_size, "bad --seed '%s': want a number", val);
        } else if (strcmp(opt, "--delay-us") == 0) {
            if (!injargs_number(val, IPC_FAULT_DELAY_MAX_NS / 1000, &v) || v == 0)
                return injargs_bad(msg, msg_size, "bad --delay-us '%s': want 1..10000000", val);
            spec->delay_ns = v * 1000;
            delay_given = true;
        } else {
            return injargs_bad(msg, msg_size, "unknown option '%s'", opt);
        }
    }
    if (spec->kind == IPC_FAULT_DELAY && !delay_given)
        return injargs_bad(msg, msg_size, "%s", "delay wants --delay-us N");
    if (spec->kind != IPC_FAULT_DELAY && delay_given)
        return injargs_bad(msg, msg_size, "%s", "--delay-us is for delay faults only");
    return 0;
}

#endif
