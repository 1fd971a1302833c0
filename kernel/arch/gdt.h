#ifndef KEEL_ARCH_GDT_H
#define KEEL_ARCH_GDT_H
#include <stdint.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS         0x18

#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3

void gdt_init(void);
/* Point interrupt-stack-table entry index (1..7) at a new stack top. */
void gdt_set_ist(unsigned index, uint64_t top);

#endif
