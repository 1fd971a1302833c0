/* counter version 3 (and the test-only version 5): state layout 2 adds the number of calls
 * since the migration and the layout it came from; the migrate hook converts a layout-1 block.
 * Version 5's hook faults (a test fixture): the swap must be refused and the system go on. */
#include <keel/cell.h>
#include <keel/errno.h>
#include <keel/format.h>
#include "demo/counter/counter.h"

struct counter_state_v1 {
    uint64_t value;
};

static struct counter_state {
    uint64_t value;
    uint64_t calls_since_migration;
    uint32_t migrated_from; /* layout version, 0 if never migrated */
    uint32_t reserved;
} state;

uint64_t counter_next(void)
{
    state.calls_since_migration++;
    return ++state.value;
}

uint64_t counter_value(void)
{
    return state.value;
}

void counter_describe(char *buf, unsigned long size)
{
    ksnprintf(buf, size, "counter v%d: value %llu, %llu calls since migrating from layout %u",
              KEEL_CELL_VERSION, (unsigned long long)state.value,
              (unsigned long long)state.calls_since_migration, state.migrated_from);
}

/* Runs with the world stopped: no blocking, no allocation needed. */
static int counter_migrate(uint32_t old_layout, const void *old_state, uint64_t old_size,
                           void *new_state)
{
    struct counter_state *n = new_state;
    if (old_layout != 1 || old_size != sizeof(struct counter_state_v1))
        return KE_NOTSUP;
#if KEEL_CELL_VERSION == 5
    *(volatile uint64_t *)0 = 1; /* the faulting hook */
#endif
    const struct counter_state_v1 *o = old_state;
    n->value = o->value;
    n->calls_since_migration = 0;
    n->migrated_from = old_layout;
    return 0;
}

KEEL_CELL(.name = "counter", .version = KEEL_CELL_VERSION, .state = &state,
          .state_size = sizeof(state), .state_version = 2, .migrate = counter_migrate);
