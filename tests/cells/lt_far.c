/* Loader test cell: absolute 32-bit references to core symbols, which overflow when the core
 * places those symbols far away (R_X86_64_32S in code, R_X86_64_32 in data). */
#include <keel/cell.h>

extern char far_a[];

void *far_addr_a(void)
{
    return far_a;
}

__asm__(".section .data.far_table,\"aw\",@progbits\n"
        ".globl far_table\n"
        "far_table:\n"
        ".long far_b\n"
        ".size far_table, 4\n");

KEEL_CELL(.name = "lt_far", .version = KEEL_CELL_VERSION);
