/* lit: a test fixture for retired versions (docs/live-swap.md, "Retire, then free"): holder.c
 * keeps pointers into it of every kind that lives outside it, lit is swapped, and the old
 * version must stay mapped until the last of them is dropped. Versions 1 and 2 differ only in
 * their version digit, so they have the same layout: a test compares memory figures across a
 * swap. */
#include <keel/cell.h>
#include "demo/refs/lit.h"

#define STR2(x) #x
#define STR(x)  STR2(x)

const char *lit_string(void)
{
    return "literal of lit version " STR(KEEL_CELL_VERSION);
}

int lit_value(void)
{
    return KEEL_CELL_VERSION;
}

int lit_walk(int (*fn)(void *ctx, const struct task_info *ti))
{
    return task_for_each(fn, (void *)(uintptr_t)lit_string());
}

KEEL_CELL(.name = "lit", .version = KEEL_CELL_VERSION);
