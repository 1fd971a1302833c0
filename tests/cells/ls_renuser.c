/* Live-swap test cell: the user of ls_ren; version 2 uses ls_ren version 2's new name. */
#include <keel/cell.h>

#if KEEL_CELL_VERSION == 1
extern int ren_old_name(void);
int renuser_get(void)
{
    return ren_old_name() * 10;
}
#else
extern int ren_new_name(void);
int renuser_get(void)
{
    return ren_new_name() * 100;
}
#endif

KEEL_CELL(.name = "ls_renuser", .version = KEEL_CELL_VERSION);
