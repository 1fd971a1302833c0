/* The IPC fault's freestanding choices (inject/ipc_pick.c): the kind words round-trip, the
 * counter hits exactly the nth matching call and never again, and a seed always inverts the
 * same single bit. */
#include <keel/ipc_pick.h>
#include <string.h>

#include "check.h"

static void test_names(void)
{
    for (int k = IPC_FAULT_DROP; k <= IPC_FAULT_KIND_LAST; k++) {
        enum ipc_fault_kind got = 0;
        CHECK(ipc_fault_kind_parse(ipc_fault_kind_name((enum ipc_fault_kind)k), &got));
        CHECK(got == (enum ipc_fault_kind)k);
    }
    enum ipc_fault_kind got = 0;
    CHECK(!ipc_fault_kind_parse("bitflip", &got));
    CHECK(!ipc_fault_kind_parse("", &got));
    CHECK(!ipc_fault_kind_parse("dropx", &got));
    CHECK(strcmp(ipc_fault_kind_name(0), "?") == 0);
    CHECK(strcmp(ipc_fault_kind_name(IPC_FAULT_KIND_LAST + 1), "?") == 0);
}

static void test_count(void)
{
    for (uint64_t nth = 1; nth <= 5; nth++) {
        uint64_t seen = 0;
        unsigned hits = 0, at = 0;
        for (unsigned call = 1; call <= 10; call++)
            if (ipc_fault_count(&seen, nth)) {
                hits++;
                at = call;
            }
        CHECK(hits == 1 && at == nth && seen == 10);
    }
    uint64_t seen = 0;
    for (unsigned call = 0; call < 4; call++)
        CHECK(!ipc_fault_count(&seen, 0)); /* nth 0: never */
    seen = UINT64_MAX;
    CHECK(!ipc_fault_count(&seen, 7) && seen == UINT64_MAX); /* saturates */
}

static void test_corrupt(void)
{
    unsigned used[64] = {0};
    for (uint64_t seed = 0; seed < 256; seed++) {
        unsigned bit = ipc_fault_bit(seed);
        CHECK(bit < 64);
        CHECK(bit == ipc_fault_bit(seed)); /* same seed, same bit */
        used[bit]++;
        uint64_t w = 0x0123456789abcdefull * (seed + 1);
        uint64_t c = ipc_fault_corrupt(w, seed);
        CHECK(__builtin_popcountll(w ^ c) == 1 && (w ^ c) == 1ull << bit);
        CHECK(ipc_fault_corrupt(c, seed) == w);
    }
    unsigned distinct = 0;
    for (unsigned b = 0; b < 64; b++)
        distinct += used[b] != 0;
    CHECK(distinct > 40); /* seeds spread over the word */
}

int main(void)
{
    test_names();
    test_count();
    test_corrupt();
    return check_report("ipc_pick_test");
}
