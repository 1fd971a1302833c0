/* busy (busy.h): the same work in every version, so a caller can check every result whatever
 * version it reached; versions differ only in the version they report. */
#include <keel/cell.h>
#include <keel/clock.h>
#include "demo/busy/busy.h"

uint64_t busy_step(uint64_t x, uint32_t *version)
{
    for (int i = 0; i < BUSY_ROUNDS; i++)
        x = busy_mix(x);
    *version = KEEL_CELL_VERSION;
    return x;
}

/* Not a tail call: every level keeps its frame while the next runs. */
__attribute__((noinline)) uint64_t busy_deep(unsigned depth, uint64_t x, uint32_t *version)
{
    if (depth == 0)
        return busy_step(x, version);
    uint64_t r = busy_deep(depth - 1, x + 1, version);
    __asm__ volatile("" : "+r"(r));
    return r;
}

uint64_t busy_hold(uint64_t ns, uint32_t *version)
{
    uint64_t end = clock_ns() + ns;
    while (clock_ns() < end)
        __asm__ volatile("pause");
    *version = KEEL_CELL_VERSION;
    return ns;
}

void busy_crash(uint64_t ns)
{
    uint64_t end = clock_ns() + ns;
    while (clock_ns() < end)
        __asm__ volatile("pause");
    *(volatile uint64_t *)0 = 1;
}

KEEL_CELL(.name = "busy", .version = KEEL_CELL_VERSION);
