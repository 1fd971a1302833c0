/* Loader test cell: exports names lt_basic (and, in one test, the core) export too. */
#include <keel/cell.h>

int basic_value = 1;
int core_clash = 2;

KEEL_CELL(.name = "lt_dup", .version = KEEL_CELL_VERSION);
