/* Boot path, part 1: the multiboot2 header and the 32-bit entry GRUB jumps to. It builds just
 * enough paging (the first GiB identity-mapped and mirrored at KERNEL_VMA), enters long mode and
 * jumps to the higher half. The real page tables, with W^X, are built in C (mem/paging.c). */

#define MB2_MAGIC        0xe85250d6
#define MB2_BOOT_MAGIC   0x36d76289
#define KERNEL_VMA       0xffffffff80000000

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long 0                                     /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
    /* module alignment tag: modules start on page boundaries (cells are mapped in place later) */
    .balign 8
    .short 6, 0
    .long 8
    /* end tag */
    .balign 8
    .short 0, 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .global _start32
    .type _start32, @function
_start32:
    cli
    cld
    mov $boot_stack32_top, %esp
    mov %eax, %edi                              /* boot magic, first argument of kmain */
    mov %ebx, %esi                              /* physical address of the boot information */
    cmp $MB2_BOOT_MAGIC, %eax
    jne .Lno_multiboot

    /* Long mode is required; NX is used when present (passed to kmain in edx). */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb .Lno_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz .Lno_long_mode
    xor %ebp, %ebp
    test $(1 << 20), %edx
    jz 1f
    mov $1, %ebp
1:
    /* Zero the four boot page-table pages. */
    push %edi
    mov $boot_pml4, %edi
    xor %eax, %eax
    mov $(4 * 4096 / 4), %ecx
    rep stosl
    pop %edi

    /* PML4[0] -> pdpt_lo, PML4[511] -> pdpt_hi, pdpt_lo[0] = pdpt_hi[510] -> pd (1 GiB of 2 MiB pages) */
    mov $boot_pdpt_lo, %eax
    or $3, %eax
    mov %eax, boot_pml4
    mov $boot_pdpt_hi, %eax
    or $3, %eax
    mov %eax, boot_pml4 + 511 * 8
    mov $boot_pd, %eax
    or $3, %eax
    mov %eax, boot_pdpt_lo
    mov %eax, boot_pdpt_hi + 510 * 8
    mov $boot_pd, %ebx
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                              /* present, writable, 2 MiB */
    mov %eax, (%ebx, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 2b

    mov %cr4, %eax
    or $(1 << 5), %eax                          /* PAE */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx                       /* EFER: long mode enable, NX when supported */
    rdmsr
    or $(1 << 8), %eax
    test %ebp, %ebp
    jz 3f
    or $(1 << 11), %eax
3:  wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax       /* paging, write-protect (W^X in ring 0), protection */
    mov %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $0x08, $long_entry_low

.Lno_multiboot:
    mov $msg_no_mb2, %esi
    jmp .Lfail32
.Lno_long_mode:
    mov $msg_no_lm, %esi
.Lfail32:
    /* Print on COM1 by polling the line-status register, then halt. */
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %ah
    mov $0x3fd, %dx
2:  inb %dx, %al
    test $0x20, %al
    jz 2b
    mov $0x3f8, %dx
    mov %ah, %al
    outb %al, %dx
    jmp 1b
3:  cli
    hlt
    jmp 3b
    .size _start32, . - _start32

    .code64
long_entry_low:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $long_entry_high, %rax
    jmp *%rax

    .section .boot.rodata, "a"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff                    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff                    /* 0x10: data */
boot_gdt_ptr:
    .short boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt
msg_no_mb2:
    .asciz "keel: not loaded by a multiboot2 loader; halting\r\n"
msg_no_lm:
    .asciz "keel: this CPU has no long mode (x86_64); halting\r\n"

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:    .skip 4096
boot_pdpt_lo: .skip 4096
boot_pdpt_hi: .skip 4096
boot_pd:      .skip 4096
    .skip 4096
boot_stack32_top:

/* Boot path, part 2: running at the kernel's link address in the top 2 GiB. */
    .section .text.boot64, "ax"
    .global long_entry_high
    .type long_entry_high, @function
long_entry_high:
    movabs $boot_stack_top, %rsp
    mov %edi, %r12d                             /* upper halves are undefined after the switch */
    mov %esi, %r13d
    rdtsc                                       /* boot timing starts at the kernel entry */
    shl $32, %rdx
    or %rax, %rdx
    movabs $boot_entry_tsc, %rax
    mov %rdx, (%rax)
    mov $0x80000001, %eax                       /* NX support, third argument of kmain */
    cpuid
    shr $20, %edx
    and $1, %edx
    mov %r12d, %edi
    mov %r13d, %esi
    xor %ebp, %ebp                              /* terminates frame-pointer backtraces */
    call kmain
2:  cli
    hlt
    jmp 2b
    .size long_entry_high, . - long_entry_high

    /* No reclaimer scan: once the boot task has ended, only stale early frames are left here
     * (a live boot task's stack is scanned as a task's). */
    .section .bss.noscan, "aw", @nobits
    .balign 16
    .global boot_stack_bottom
boot_stack_bottom:
    .skip 16384
boot_stack_top:

    .data
    .balign 8
    .global boot_entry_tsc
boot_entry_tsc:
    .quad 0
