/* Live-swap test cell: variables outside the state block, carried by name, and the pointers
 * they hold (tests/host/loader_swap_test.c). Versions:
 *   1, 2  the same variables; the const pointer table vars_ops (in .data.rel.ro, never carried)
 *         lists the functions in another order in version 2;
 *   3     vars_count is gone (refused: its value would be lost);
 *   4     vars_count is a long (refused: it changes size). */
#include <keel/cell.h>

#define V KEEL_CELL_VERSION

static struct {
    int slots[4];
} vstate;

#if V == 4
long vars_count = 5;
#elif V != 3
int vars_count = 5;
#endif
static long vars_total;

int vars_f1(void)
{
    return 10 * V + 1;
}

int vars_f2(void)
{
    return 10 * V + 2;
}

int (*vars_hook)(void) = vars_f1;    /* a function pointer: translated when carried */
int *vars_cursor = &vstate.slots[0]; /* a pointer into the state block: translated */
/* What clang emits for a const pointer table in position-independent code; written only by
 * relocation, so the new version's own table stays. */
int (*const vars_ops[2])(void) __attribute__((section(".data.rel.ro.vars_ops"))) = {
#if V == 1
    vars_f1, vars_f2
#else
    vars_f2, vars_f1
#endif
};

void vars_set(void)
{
#if V != 3
    vars_count = 99;
#endif
    vars_total += 123456789;
    vars_hook = vars_f2;
    vars_cursor = &vstate.slots[2];
    *vars_cursor = 55;
}

long vars_get_count(void)
{
#if V != 3
    return vars_count;
#else
    return -1;
#endif
}

long vars_get_total(void)
{
    return vars_total;
}

int vars_call_hook(void)
{
    return vars_hook();
}

long vars_cursor_index(void)
{
    return vars_cursor - vstate.slots;
}

int vars_cursor_value(void)
{
    return *vars_cursor;
}

int vars_op(int i)
{
    return vars_ops[i & 1]();
}

int vars_version(void)
{
    return V;
}

KEEL_CELL(.name = "ls_vars", .version = V, .state = &vstate, .state_size = sizeof(vstate),
          .state_version = 1);
