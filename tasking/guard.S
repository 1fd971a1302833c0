/* guard_enter(g, fn, arg): save the callee-saved registers and the stack pointer into the
 * struct fault_guard, then tail-call fn(arg), which returns straight to our caller. A fault in
 * fn resumes at guard_landing with those registers restored (guard_catch), so the call returns
 * KE_FAULT instead. Offsets follow struct fault_guard (task_internal.h). */
    .text
    .global guard_enter
    .type guard_enter, @function
guard_enter:
    mov %rbx, 0(%rdi)
    mov %rbp, 8(%rdi)
    mov %r12, 16(%rdi)
    mov %r13, 24(%rdi)
    mov %r14, 32(%rdi)
    mov %r15, 40(%rdi)
    mov %rsp, 48(%rdi)
    pushfq
    popq 56(%rdi)
    mov %rdx, %rdi
    jmp *%rsi
    .size guard_enter, . - guard_enter

    .global guard_landing
    .type guard_landing, @function
guard_landing:
    mov $-7, %eax /* KE_FAULT */
    ret
    .size guard_landing, . - guard_landing
    .section .note.GNU-stack, "", @progbits
