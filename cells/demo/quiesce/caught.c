/* caught (a test fixture, see catcher.c): the cell a task is inside while catcher's spinner
 * runs; versions 1 and 2 differ only in the number they return. Calls are never tail calls
 * here: the return address into caught must stay on the stack. */
#include <keel/cell.h>
#include "demo/quiesce/spin.h"

__attribute__((naked)) void caught_spin(struct spin_flag *f)
{
    __asm__("1: incq 8(%rdi)\n"
            "   pause\n"
            "   cmpb $0, (%rdi)\n"
            "   je 1b\n"
            "   ret\n");
}

__attribute__((disable_tail_calls)) int caught_enter(struct spin_flag *f)
{
    caught_spin(f);
    return KEEL_CELL_VERSION;
}

__attribute__((disable_tail_calls)) int caught_call_bare(struct spin_flag *f)
{
    bare_spin(f);
    return KEEL_CELL_VERSION;
}

__attribute__((disable_tail_calls)) int caught_call_pushed(struct spin_flag *f)
{
    bare_spin_pushed(f);
    return KEEL_CELL_VERSION;
}

KEEL_CELL(.name = "caught", .version = KEEL_CELL_VERSION);
