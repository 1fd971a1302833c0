/* counter versions 1 and 2 (and the test-only version 4): one state block of layout 1. Version 2
 * differs only in what counter_describe says, so a swap 1 <-> 2 carries the block verbatim.
 * Version 4 (a test fixture) grows the block without a new layout version or migrate hook, which
 * a swap must refuse. */
#include <keel/cell.h>
#include <keel/format.h>
#include "demo/counter/counter.h"

static struct counter_state {
    uint64_t value;
#if KEEL_CELL_VERSION == 4
    uint64_t extra; /* a layout change that does not say so */
#endif
} state;

uint64_t counter_next(void)
{
    return ++state.value;
}

uint64_t counter_value(void)
{
    return state.value;
}

void counter_describe(char *buf, unsigned long size)
{
#if KEEL_CELL_VERSION == 2
    ksnprintf(buf, size, "counter v2: value %llu (same layout as v1)",
              (unsigned long long)state.value);
#else
    ksnprintf(buf, size, "counter v%d: value %llu", KEEL_CELL_VERSION,
              (unsigned long long)state.value);
#endif
}

KEEL_CELL(.name = "counter", .version = KEEL_CELL_VERSION, .state = &state,
          .state_size = sizeof(state), .state_version = 1);
