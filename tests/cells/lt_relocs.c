/* Loader test cell: one relocation of each supported type, written in assembly so that the
 * types are exact (R_X86_64_64, PC64, 32 in data; 32S, PC32, PLT32 in code). */
#include <keel/cell.h>

int rt_target[4] = {11, 22, 33, 44};

int rt_helper(int x)
{
    return x * 7 + 1;
}

__asm__(".section .data.rt_table,\"aw\",@progbits\n"
        ".balign 8\n"
        ".globl rt_table\n"
        ".type rt_table,@object\n"
        "rt_table:\n"
        ".quad rt_target\n"         /* 0: R_X86_64_64 */
        ".quad rt_target + 8 - .\n" /* 8: R_X86_64_PC64 */
        ".long rt_target + 4\n"     /* 16: R_X86_64_32 */
        ".long rt_target - .\n"     /* 20: R_X86_64_PC32 */
        ".size rt_table, 24\n"
        ".section .text.rt_code,\"ax\",@progbits\n"
        ".globl rt_abs32s\n"
        ".type rt_abs32s,@function\n"
        "rt_abs32s:\n"
        "movq $rt_target + 12, %rax\n" /* R_X86_64_32S */
        "ret\n"
        ".size rt_abs32s, .-rt_abs32s\n"
        ".globl rt_pc32\n"
        ".type rt_pc32,@function\n"
        "rt_pc32:\n"
        "leaq rt_target(%rip), %rax\n" /* R_X86_64_PC32 */
        "ret\n"
        ".size rt_pc32, .-rt_pc32\n"
        ".globl rt_plt32\n"
        ".type rt_plt32,@function\n"
        "rt_plt32:\n"
        "jmp rt_helper@PLT\n" /* R_X86_64_PLT32 */
        ".size rt_plt32, .-rt_plt32\n"
        ".globl rt_core_plt32\n"
        ".type rt_core_plt32,@function\n"
        "rt_core_plt32:\n"
        "jmp test_core_add@PLT\n" /* R_X86_64_PLT32 into the core */
        ".size rt_core_plt32, .-rt_core_plt32\n");

KEEL_CELL(.name = "lt_relocs", .version = KEEL_CELL_VERSION);
