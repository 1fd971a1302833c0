/* Live-swap test cell: version 1 declares no state block, version 2 declares one ("fresh": it
 * starts from its initial value). */
#include <keel/cell.h>

#define V KEEL_CELL_VERSION

#if V == 1
int fresh_get(void)
{
    return -1;
}
KEEL_CELL(.name = "ls_fresh", .version = V);
#else
static struct {
    int x;
} state = {77};
int fresh_get(void)
{
    return state.x;
}
KEEL_CELL(.name = "ls_fresh", .version = V, .state = &state, .state_size = sizeof(state),
          .state_version = 1);
#endif
