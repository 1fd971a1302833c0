/* arch_switch_stack(top, fn): continue on a fresh stack (never returns). The frame chain starts
 * anew (rbp = 0), so backtraces end cleanly at fn. */
    .text
    .global arch_switch_stack
    .type arch_switch_stack, @function
arch_switch_stack:
    mov %rdi, %rsp
    xor %ebp, %ebp
    call *%rsi
    ud2
    .size arch_switch_stack, . - arch_switch_stack
