/* caller: a cell linked against lit (lit.c), for the retired-versions fixtures: when a retired
 * version of caller stays (holder keeps a pointer to caller_call), its code still calls the lit
 * it was linked against, so that version of lit must stay too, though no 64-bit word points
 * into it (the call is a 32-bit relative field in caller's code). */
#include <keel/cell.h>
#include "demo/refs/lit.h"

int caller_call(void)
{
    return 10 * KEEL_CELL_VERSION + lit_value(); /* e.g. 12: caller 1 calling lit 2 */
}

KEEL_CELL(.name = "caller", .version = KEEL_CELL_VERSION);
