/* Loader test cell: depends on lt_basic (a function and an object of it). */
#include <keel/cell.h>

extern int basic_apply(int op, int a, int b);
extern int basic_value;

int user_compute(void)
{
    return basic_apply(2, basic_value, 2);
}

KEEL_CELL(.name = "lt_user", .version = KEEL_CELL_VERSION);
