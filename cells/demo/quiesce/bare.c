/* bare (a test fixture, see catcher.c): frameless spinners in a cell of their own, so a task
 * spinning here is not inside caught by its rip, only by the return address it left on the
 * stack. */
#include <keel/cell.h>
#include "demo/quiesce/spin.h"

__attribute__((naked)) void bare_spin(struct spin_flag *f)
{
    __asm__("1: incq 8(%rdi)\n"
            "   pause\n"
            "   cmpb $0, (%rdi)\n"
            "   je 1b\n"
            "   ret\n");
}

/* Like a function stopped between `push %rbp` and `mov %rsp, %rbp`: rbp still is the caller's. */
__attribute__((naked)) void bare_spin_pushed(struct spin_flag *f)
{
    __asm__("   push %rbp\n"
            "1: incq 8(%rdi)\n"
            "   pause\n"
            "   cmpb $0, (%rdi)\n"
            "   je 1b\n"
            "   pop %rbp\n"
            "   ret\n");
}

KEEL_CELL(.name = "bare", .version = KEEL_CELL_VERSION);
