/* Loader test cell: ping and pong call each other, so they can only load as one batch. */
#include <keel/cell.h>

int pong_value(int x);

int ping_value(int x)
{
    return x <= 0 ? 100 : pong_value(x - 1) + 1;
}

KEEL_CELL(.name = "lt_ping", .version = KEEL_CELL_VERSION);
