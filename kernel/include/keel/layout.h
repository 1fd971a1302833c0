/* The one address space. Everything Keel runs lives in the top 2 GiB (so the kernel code model
 * reaches it with direct calls), except the direct map of physical memory. */
#ifndef KEEL_LAYOUT_H
#define KEEL_LAYOUT_H

#define PAGE_SIZE  4096ull
#define PAGE_SHIFT 12

/* Kernel image: linked at KERNEL_VMA + physical load address (1 MiB). */
#define KERNEL_VMA 0xffffffff80000000ull

/* Cells are linked into this window by the loader (1 GiB). */
#define CELL_AREA_BASE 0xffffffff90000000ull
#define CELL_AREA_SIZE 0x40000000ull

/* Kernel and task stacks, each with an unmapped guard page below it (256 MiB). */
#define STACK_AREA_BASE 0xffffffffd0000000ull
#define STACK_AREA_SIZE 0x10000000ull

/* Device registers (LAPIC, VGA text buffer, ...), mapped uncached (256 MiB). */
#define MMIO_AREA_BASE 0xffffffffe0000000ull
#define MMIO_AREA_SIZE 0x10000000ull

/* All of physical memory, read/write, never executable. */
#define PHYSMAP_BASE 0xffff800000000000ull

/* Highest physical address whose frames Keel manages (the frame bitmap is static). */
#define PHYS_MANAGED_LIMIT (16ull << 30)

#endif
