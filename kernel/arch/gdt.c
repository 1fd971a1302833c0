/* GDT and TSS. Keel runs everything in ring 0; the TSS exists for its interrupt stack table:
 * double fault, NMI and machine check run on their own stacks, so a kernel stack overflow
 * (which faults on the guard page with no stack left to push to) still gets reported. */
#include <keel/noscan.h>
#include <stdint.h>
#include <keel/string.h>
#include "arch/gdt.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[5];
/* Until guarded stacks exist (after paging), the IST entries use these. */
static uint8_t early_ist_stacks[3][4096] __attribute__((aligned(16))) KEEL_NOSCAN;

void gdt_set_ist(unsigned index, uint64_t top)
{
    if (index >= 1 && index <= 7)
        tss.ist[index - 1] = top;
}

void gdt_init(void)
{
    memset(&tss, 0, sizeof(tss));
    tss.iomap_base = sizeof(tss);
    for (unsigned i = 0; i < 3; i++)
        gdt_set_ist(i + 1, (uint64_t)(uintptr_t)&early_ist_stacks[i][4096]);

    uint64_t base = (uint64_t)(uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;
    gdt[0] = 0;
    gdt[1] = 0x00af9a000000ffffull; /* GDT_KERNEL_CODE: 64-bit, ring 0 */
    gdt[2] = 0x00cf92000000ffffull; /* GDT_KERNEL_DATA */
    gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[4] = base >> 32;

    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %w2, %%ds\n\t"
                     "mov %w2, %%es\n\t"
                     "mov %w2, %%ss\n\t"
                     "ltr %w3\n\t"
                     :
                     : "m"(ptr), "i"(GDT_KERNEL_CODE), "r"((uint16_t)GDT_KERNEL_DATA),
                       "r"((uint16_t)GDT_TSS)
                     : "rax", "memory");
}
