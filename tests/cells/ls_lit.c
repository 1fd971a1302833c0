/* Live-swap test cell: a variable that points to an unnamed string literal has no counterpart
 * in the new version, so a swap refuses to carry it. Versions 3 and 4 put a named constant
 * (8, then 16 bytes) right before the literal (clang emits .rodata.lit_name before
 * .rodata.str1.1), so that the pointer is also the end of lit_name. */
#include <keel/cell.h>

#if KEEL_CELL_VERSION == 3
const char lit_name[8] = "named";
#elif KEEL_CELL_VERSION == 4
const char lit_name[16] = "named, longer";
#endif

const char *lit_msg = "an unnamed string literal";

const char *lit_get(void)
{
    return lit_msg;
}

#if KEEL_CELL_VERSION >= 3
const char *lit_get_name(void)
{
    return lit_name;
}
#endif

KEEL_CELL(.name = "ls_lit", .version = KEEL_CELL_VERSION);
