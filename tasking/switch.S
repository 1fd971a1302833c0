/* Context switch between tasks (all in ring 0, one address space: only the callee-saved
 * registers and the stack pointer change hands).
 *
 *   arch_context_switch(uint64_t *save_rsp, uint64_t new_rsp)
 *
 * A new task's stack is prepared by sched.c so that the first switch to it "returns" into
 * task_trampoline with the task's record in r12. */
/* The saved context, as every reader of a task switched away expects it (swap_tasks.c,
 * backtrace.c): r15 r14 r13 r12 rbx rbp, then the return address. */
.macro SAVE_CONTEXT
    pushq %rbp
    movq %rsp, %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro RESTORE_CONTEXT
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
.endm

    .text
    .global arch_context_switch
    .type arch_context_switch, @function
arch_context_switch:
    SAVE_CONTEXT
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    RESTORE_CONTEXT
    ret
    .size arch_context_switch, . - arch_context_switch

    .global task_trampoline
    .type task_trampoline, @function
task_trampoline:
    xorl %ebp, %ebp          /* the frame chain of a task starts here */
    movq %r12, %rdi
    call task_start          /* never returns */
    ud2
    .size task_trampoline, . - task_trampoline

/* arch_context_park(uint64_t *save_rsp, void (*wait)(void *), void *arg): save a context exactly
 * as arch_context_switch does (so that the world-stopper reads this task like one switched
 * away), call wait(arg), and return once it has. */
    .global arch_context_park
    .type arch_context_park, @function
arch_context_park:
    SAVE_CONTEXT
    movq %rsp, (%rdi)
    subq $8, %rsp            /* 16-byte alignment at the call */
    movq %rdx, %rdi
    call *%rsi
    addq $8, %rsp
    RESTORE_CONTEXT
    ret
    .size arch_context_park, . - arch_context_park
