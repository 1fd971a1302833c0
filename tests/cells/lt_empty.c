/* Loader test cell: nothing but a descriptor and private code (no exports, no imports), so
 * copies of it with other names can be loaded side by side. */
#include <keel/cell.h>

static int empty_calls;

static int empty_init(void)
{
    empty_calls++;
    return 0;
}

KEEL_CELL(.name = "lt_empty", .version = KEEL_CELL_VERSION, .init = empty_init);
