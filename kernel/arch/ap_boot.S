/* An application processor's first instructions. The boot CPU copies ap_tramp_start..end to
 * AP_TRAMP_PHYS (a page below 1 MiB; the STARTUP IPI names its page number) and fills in the
 * parameter block at its end. The AP starts in real mode with CS = AP_TRAMP_PHYS >> 4, IP = 0,
 * and goes straight to long mode: PAE, the trampoline's page tables (the kernel's upper half
 * plus an identity map of the first 2 MiB, so the instruction after enabling paging is still
 * mapped), EFER.LME(+NXE), then PE and PG together and a far jump into a 64-bit segment. From
 * there it jumps to the higher half, switches to the kernel's own page tables and calls
 * ap_main(its struct cpu_local) on its own stack. */

#define AP_TRAMP_PHYS 0x8000
#define TRAMP(sym) (sym - ap_tramp_start + AP_TRAMP_PHYS)

    .section .rodata.ap_tramp, "a"
    .balign 16
    .global ap_tramp_start, ap_tramp_end, ap_tramp_params
    .code16
ap_tramp_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl TRAMP(tramp_gdt_ptr)
    mov %cr4, %eax
    or $(1 << 5), %eax                          /* PAE */
    mov %eax, %cr4
    movl TRAMP(p_tramp_cr3), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    orl TRAMP(p_efer_bits), %eax                /* LME, and NXE when the boot CPU uses NX */
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax       /* paging, write-protect, protection */
    mov %eax, %cr0
    ljmpl $0x08, $TRAMP(tramp_long)

    .code64
tramp_long:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    mov TRAMP(p_stack_top), %rsp
    mov TRAMP(p_cpu), %rdi
    mov TRAMP(p_kernel_cr3), %rsi
    mov TRAMP(p_entry), %rax
    jmp *%rax

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00af9a000000ffff                    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff                    /* 0x10: data */
tramp_gdt_ptr:
    .short tramp_gdt_ptr - tramp_gdt - 1
    .long TRAMP(tramp_gdt)

    .balign 8
ap_tramp_params:                                /* struct ap_tramp_params (arch/smp_boot.c) */
p_tramp_cr3:   .quad 0
p_kernel_cr3:  .quad 0
p_stack_top:   .quad 0
p_entry:       .quad 0
p_cpu:         .quad 0
p_efer_bits:   .long 0
               .long 0
ap_tramp_end:

/* In the higher half, still on the trampoline's page tables: take the kernel's (rsi), then
 * ap_main(cpu) with a clean frame chain. */
    .text
    .global ap_entry64
    .type ap_entry64, @function
ap_entry64:
    mov %rsi, %cr3
    xor %ebp, %ebp
    call ap_main
    ud2
    .size ap_entry64, . - ap_entry64
