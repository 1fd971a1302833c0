/* Live-swap test cell: the declared state block (tests/host/loader_swap_test.c). Versions:
 *   1  layout 1: {int a, b} (8 bytes), set by init to {11, 22};
 *   2  layout 1, same size: carried verbatim;
 *   3  layout 2: {long a, b, c} (24 bytes) with a migrate hook (a, b converted, c = 333);
 *   4  layout 1 but 12 bytes (refused);
 *   5  layout 2 without a migrate hook (refused);
 *   6  no state block (refused: the old state would be lost);
 *   7  layout 2 with a migrate hook that refuses (returns -7). */
#include <keel/cell.h>

#define V KEEL_CELL_VERSION

#if V == 1 || V == 2
#define LAYOUT 1
static struct {
    int a, b;
} state;
#elif V == 4
#define LAYOUT 1
static struct {
    int a, b, c;
} state;
#elif V == 6
#define LAYOUT 0
static struct {
    int a, b;
} unused_state;
#define state  unused_state
#else
#define LAYOUT 2
static struct {
    long a, b, c;
} state;
#endif

long state_a(void)
{
    return state.a;
}

long state_b(void)
{
    return state.b;
}

long state_c(void)
{
#if LAYOUT == 2
    return state.c;
#else
    return -1;
#endif
}

int state_version(void)
{
    return V;
}

void state_bump(void)
{
    state.a++;
}

static int state_init(void)
{
    state.a = 11;
    state.b = 22;
    return 0;
}

#if V == 3 || V == 7
static int state_migrate(uint32_t old_version, const void *old_state, uint64_t old_size,
                         void *new_state)
{
    if (V == 7)
        return -7;
    if (old_version != 1 || old_size != 8)
        return -22;
    const int *o = old_state;
    long *n = new_state;
    n[0] = o[0];
    n[1] = o[1];
    n[2] = 333;
    return 0;
}
#endif

KEEL_CELL(.name = "ls_state", .version = V, .init = state_init,
#if V == 3 || V == 7
          .migrate = state_migrate,
#endif
#if V != 6
          .state = &state, .state_size = sizeof(state),
#endif
          .state_version = LAYOUT);
