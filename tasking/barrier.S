/* A pending swap's return barrier (swap_pending.c): a task inside an old version has the return
 * address of its outermost frame there replaced by swap_barrier_return, so that the function
 * that would have returned out of the old code returns here instead. We are then outside the old
 * version: take the original return address, park until the swap is decided, and return to it
 * as the function would have. rax and rdx hold its return value; every other caller-saved
 * register is dead across a return. The frame record built here names the original return
 * address, so a backtrace of a parked task reads on into the caller. */
    .text
    .global swap_barrier_return
    .type swap_barrier_return, @function
swap_barrier_return:
    /* rsp: 16-aligned, as right after any return. */
    sub $8, %rsp                 /* the slot the original return address goes into */
    push %rax
    push %rdx
    sub $8, %rsp                 /* 16-aligned for the call */
    call swap_barrier_leave      /* the original return address; the barrier is gone */
    .global swap_barrier_left
swap_barrier_left:               /* (its return address, at the barrier's slot - 32) */
    mov %rax, 24(%rsp)
    push %rax                    /* a frame record: {rbp, original return address} */
    push %rbp
    mov %rsp, %rbp
    call swap_barrier_park       /* parks while the swap is pending (16-aligned here) */
    pop %rbp
    add $16, %rsp                /* the frame record's return copy, the alignment word */
    pop %rdx
    pop %rax
    ret                          /* to the original return address */
    .size swap_barrier_return, . - swap_barrier_return
    .section .note.GNU-stack, "", @progbits
