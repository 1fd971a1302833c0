/* The freestanding choices of an IPC fault (keel/ipc_pick.h): its words, which call it hits and
 * which bit a seed corrupts. */
#include <keel/inject_pick.h>
#include <keel/ipc_pick.h>

static const char *const names[] = {
    [IPC_FAULT_DROP] = "drop",   [IPC_FAULT_DUP] = "dup",       [IPC_FAULT_CORRUPT] = "corrupt",
    [IPC_FAULT_DELAY] = "delay", [IPC_FAULT_BADPTR] = "badptr", [IPC_FAULT_PAGEFAULT] = "pagefault",
};

const char *ipc_fault_kind_name(enum ipc_fault_kind k)
{
    return k >= IPC_FAULT_DROP && k <= IPC_FAULT_KIND_LAST ? names[k] : "?";
}

static bool same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

bool ipc_fault_kind_parse(const char *s, enum ipc_fault_kind *out)
{
    for (int k = IPC_FAULT_DROP; k <= IPC_FAULT_KIND_LAST; k++)
        if (same(s, names[k])) {
            *out = (enum ipc_fault_kind)k;
            return true;
        }
    return false;
}

bool ipc_fault_count(uint64_t *seen, uint64_t nth)
{
    if (*seen < UINT64_MAX)
        ++*seen;
    return nth != 0 && *seen == nth;
}

unsigned ipc_fault_bit(uint64_t seed)
{
    struct inject_rng r;
    inject_rng_seed(&r, seed);
    return (unsigned)inject_rng_below(&r, 64);
}

uint64_t ipc_fault_corrupt(uint64_t word, uint64_t seed)
{
    return word ^ (1ull << ipc_fault_bit(seed));
}
