/* reclaim_now_locked(out): the entry to the reclaimer's pass for a task that holds the cells
 * lock. The caller may keep a pointer into a retired version in a callee-saved register across
 * the call: they are pushed here, and the pass scans the caller's stack from them up (its own
 * frames, below, hold nothing but the addresses it compares against). */
    .text
    .global reclaim_now_locked
    .type reclaim_now_locked, @function
reclaim_now_locked:
    push %rbp
    mov %rsp, %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rsi              /* caller_lo: the registers just pushed */
    sub $8, %rsp                /* 16-byte alignment at the call */
    call reclaim_run_locked
    add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size reclaim_now_locked, . - reclaim_now_locked
