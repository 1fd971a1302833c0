/* Interrupt and exception entry stubs for all 256 vectors. Each stub pushes a dummy error code
 * (when the CPU does not push one) and its vector number, then the common path saves every
 * general-purpose register into a struct trap_frame (arch/trap.h) and calls trap_dispatch. */

    .text
.macro ISR_NOERR vec
    .balign 16
isr_\vec:
    pushq $0
    pushq $\vec
    jmp isr_common
.endm
.macro ISR_ERR vec
    .balign 16
isr_\vec:
    pushq $\vec
    jmp isr_common
.endm

    .global isr_common
    .type isr_common, @function
isr_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    mov %rsp, %rdi
    /* A frame record linking to the interrupted code, so backtraces walk through the trap. */
    pushq 17*8(%rsp)                            /* interrupted rip */
    pushq %rbp
    mov %rsp, %rbp
    call trap_dispatch
    add $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    add $16, %rsp                               /* vector and error code */
    iretq
    .size isr_common, . - isr_common

/* Vectors with a CPU-pushed error code: 8, 10-14, 17, 21, 29, 30. */
.altmacro
.macro ISR_ONE vec
    .if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
        ISR_ERR \vec
    .else
        ISR_NOERR \vec
    .endif
.endm
.set v, 0
.rept 256
    ISR_ONE %v
    .set v, v + 1
.endr

    .section .rodata
    .balign 8
    .global isr_stub_table
isr_stub_table:
.macro ISR_ADDR vec
    .quad isr_\vec
.endm
.set v, 0
.rept 256
    ISR_ADDR %v
    .set v, v + 1
.endr
