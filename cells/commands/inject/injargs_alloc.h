/* The words of `inject alloc <cell> [--nth N] [--seed N]` (docs/fault-injection.md, "Allocation
 * failure"), for injargs.h: the shell's inject and the control channel's INJECT parse them here.
 * Header-only, static functions (see injargs.h); freestanding, host-tested and fuzzed with it. */
#ifndef CMD_INJECT_INJARGS_ALLOC_H
#define CMD_INJECT_INJARGS_ALLOC_H
#include <keel/inject_alloc.h>

/* argv[1] is "alloc". 0 with *spec filled, or 2 after writing why into msg. */
static inline int injargs_parse_alloc(int argc, const char *const *argv,
                                      struct inject_alloc_spec *spec, char *msg,
                                      unsigned long msg_size)
{
    memset(spec, 0, sizeof(*spec));
    if (argc < 3)
        return injargs_bad(msg, msg_size, "%s", "alloc wants a cell");
    if (!injargs_copy_word(spec->cell, sizeof(spec->cell), argv[2], strlen(argv[2])))
        return injargs_bad(msg, msg_size, "bad cell name '%s'", argv[2]);
    for (int i = 3; i < argc; i += 2) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t v;
        if (!val)
            return injargs_bad(msg, msg_size, "%s needs a value", opt);
        if (strcmp(opt, "--nth") == 0) {
            if (!injargs_number(val, 0xffffffffu, &v) || v == 0)
                return injargs_bad(msg, msg_size,
                                   "bad --nth '%s': want a number from 1 to 4294967295", val);
            spec->nth = (uint32_t)v;
        } else if (strcmp(opt, "--seed") == 0) {
            if (!injargs_number(val, UINT64_MAX, &spec->seed))
                return injargs_bad(msg, msg_size, "bad --seed '%s': want a number", val);
        } else {
            return injargs_bad(msg, msg_size, "unknown option '%s' (alloc takes --nth and --seed)",
                               opt);
        }
    }
    return 0;
}

#endif
