/* Live-swap test cell: version 2 renames its export (ren_old_name -> ren_new_name), so it can
 * only be swapped together with its user ls_renuser. */
#include <keel/cell.h>

#if KEEL_CELL_VERSION == 1
int ren_old_name(void)
{
    return 1;
}
#else
int ren_new_name(void)
{
    return 2;
}
#endif

KEEL_CELL(.name = "ls_ren", .version = KEEL_CELL_VERSION);
