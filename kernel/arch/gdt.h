#ifndef KEEL_ARCH_GDT_H
#define KEEL_ARCH_GDT_H
#include <stddef.h>
#include <stdint.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS         0x18

#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3
#define IST_STACK_PAGES   4

struct cpu_arch;

/* The boot CPU's GDT and TSS, loaded; returns them for its struct cpu_local. */
struct cpu_arch *gdt_init(void);
/* Another CPU's: fill a (gdt_cpu_arch_size() bytes, 16-aligned) on the boot CPU, then load it
 * on the CPU itself. */
size_t gdt_cpu_arch_size(void);
void gdt_cpu_prepare(struct cpu_arch *a);
void gdt_cpu_load(struct cpu_arch *a);
/* Point interrupt-stack-table entry index (1..7) of a CPU's TSS (or this CPU's) at a stack top. */
void gdt_set_ist(struct cpu_arch *a, unsigned index, uint64_t top);
void gdt_set_ist_self(unsigned index, uint64_t top);

#endif
