/* A pending swap's gate stubs (gate.c): a call site into an old version is pointed at stub i,
 * which pushes i and goes to swap_gate_common. That saves the argument registers, builds a frame
 * record naming the caller (backtraces read on into it), asks swap_gate_enter(i) where to go
 * (it parks the task until the swap is decided), and goes there with every argument register and
 * the stack as they were at the call: the callee cannot tell it was held. */
#define GATE_STUBS 256 /* gate.c: GATE_MAX */
    .text
    .balign 16
    .global swap_gate_text
swap_gate_text:
    .set i, 0
    .rept GATE_STUBS
    .balign 16
    pushq $i
    jmp swap_gate_common
    .set i, i + 1
    .endr

    .type swap_gate_common, @function
swap_gate_common:
    /* [rsp] = i, [rsp + 8] = the caller's return address; rsp is 16-aligned. */
    push %rax
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %r8
    push %r9
    lock incq swap_gate_users(%rip)
    mov 56(%rsp), %rdi
    pushq 64(%rsp)               /* a frame record: {rbp, the caller's return address} */
    push %rbp
    mov %rsp, %rbp
    sub $8, %rsp                 /* 16-aligned for the call */
    call swap_gate_enter         /* where to go: the new function, or the old one */
    add $8, %rsp
    pop %rbp
    add $8, %rsp
    lock decq swap_gate_users(%rip)
    mov %rax, 56(%rsp)           /* i's word becomes the address ret goes to */
    pop %r9
    pop %r8
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
    pop %rax
    ret
    .size swap_gate_common, . - swap_gate_common
    .global swap_gate_text_end
swap_gate_text_end:
    .section .note.GNU-stack, "", @progbits
