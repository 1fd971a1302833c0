/* Loader test cell: see lt_ping. */
#include <keel/cell.h>

int ping_value(int x);

int pong_value(int x)
{
    return x <= 0 ? 200 : ping_value(x - 1) + 10;
}

KEEL_CELL(.name = "lt_pong", .version = KEEL_CELL_VERSION);
