/* GDT and TSS, one pair per CPU. Keel runs everything in ring 0; the TSS exists for its
 * interrupt stack table: double fault, NMI and machine check run on their own stacks, so a
 * kernel stack overflow (which faults on the guard page with no stack left to push to) still
 * gets reported. A TSS cannot be shared: loading it marks its descriptor busy. */
#include <keel/noscan.h>
#include <stdint.h>
#include <keel/string.h>
#include <keel/core/cpu_local.h>
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

struct cpu_arch {
    uint64_t gdt[5];
    struct tss tss;
} __attribute__((aligned(16)));

static struct cpu_arch boot_cpu_arch;
/* Until guarded stacks exist (after paging), the boot CPU's IST entries use these. */
static uint8_t early_ist_stacks[3][4096] __attribute__((aligned(16))) KEEL_NOSCAN;

size_t gdt_cpu_arch_size(void)
{
    return sizeof(struct cpu_arch);
}

void gdt_set_ist(struct cpu_arch *a, unsigned index, uint64_t top)
{
    if (index >= 1 && index <= 7)
        a->tss.ist[index - 1] = top;
}

void gdt_set_ist_self(unsigned index, uint64_t top)
{
    gdt_set_ist(cpu_local()->arch, index, top);
}

void gdt_cpu_prepare(struct cpu_arch *a)
{
    memset(a, 0, sizeof(*a));
    a->tss.iomap_base = sizeof(a->tss);
    uint64_t base = (uint64_t)(uintptr_t)&a->tss;
    uint64_t limit = sizeof(a->tss) - 1;
    a->gdt[1] = 0x00af9a000000ffffull; /* GDT_KERNEL_CODE: 64-bit, ring 0 */
    a->gdt[2] = 0x00cf92000000ffffull; /* GDT_KERNEL_DATA */
    a->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    a->gdt[4] = base >> 32;
}

void gdt_cpu_load(struct cpu_arch *a)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = {sizeof(a->gdt) - 1, (uint64_t)(uintptr_t)a->gdt};
    /* The segment registers are reloaded after lgdt; GS is left alone: its base (the per-CPU
     * data) lives in an MSR that a selector load would not touch in long mode anyway. */
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

struct cpu_arch *gdt_init(void)
{
    struct cpu_arch *a = &boot_cpu_arch;
    gdt_cpu_prepare(a);
    for (unsigned i = 0; i < 3; i++)
        gdt_set_ist(a, i + 1, (uint64_t)(uintptr_t)&early_ist_stacks[i][4096]);
    gdt_cpu_load(a);
    return a;
}
