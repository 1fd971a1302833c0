/* Kernel page tables. Keel has one address space; these calls edit it. W^X is enforced: no
 * mapping is ever both writable and executable. */
#ifndef KEEL_PAGING_H
#define KEEL_PAGING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/layout.h>

#define MAP_R  0u        /* every mapping is readable */
#define MAP_W  (1u << 0) /* writable */
#define MAP_X  (1u << 1) /* executable (never together with MAP_W) */
#define MAP_UC (1u << 2) /* uncached, for device registers */

/* Map one 4 KiB page. KE_PERM for W|X, KE_EXIST if va is mapped, KE_NOMEM if a table could not
 * be allocated (nothing is mapped then), KE_INVAL for unaligned or non-canonical addresses. */
int paging_map(uint64_t va, uint64_t pa, unsigned flags);
/* Unmap one page; its physical address goes to *pa_out (may be NULL). KE_NOENT if not mapped. */
int paging_unmap(uint64_t va, uint64_t *pa_out);
/* Change the protection of a mapped page (same W^X rule). */
int paging_protect(uint64_t va, unsigned flags);
/* Look up va: KE_NOENT if unmapped, else 0 with its physical address and MAP_* flags. */
int paging_translate(uint64_t va, uint64_t *pa_out, unsigned *flags_out);
/* True if [va, va+len) is mapped (and writable, if asked): lets fault reporting read memory
 * without faulting again. */
bool paging_range_mapped(uint64_t va, size_t len, bool need_write);

/* The direct map of physical memory. */
static inline void *phys_to_virt(uint64_t pa)
{
    return (void *)(uintptr_t)(PHYSMAP_BASE + pa);
}
/* Physical address of a direct-map or kernel-image address; ~0 if it is neither. */
uint64_t virt_to_phys(const void *va);

/* Physical address of the kernel's PML4 (what CR3 holds once paging_init is done). */
uint64_t paging_root(void);

/* Map device registers uncached into the MMIO area; NULL on failure. */
volatile void *mmio_map(uint64_t pa, size_t size);

/* A kernel stack with an unmapped guard page below it. */
struct kstack {
    uint64_t guard; /* lowest address: the guard page */
    uint64_t base;  /* lowest mapped address */
    uint64_t top;   /* initial stack pointer (exclusive end) */
};
int kstack_alloc(size_t pages, struct kstack *out);
void kstack_free(struct kstack *s);
/* Which stack, if any, contains va (for reporting stack overflows into a guard page). */
bool kstack_is_guard(uint64_t va);

/* Reserve/release address space in the cell area (mapping is the caller's job). */
int cell_area_reserve(uint64_t size, uint64_t align, uint64_t *va_out);
int cell_area_release(uint64_t va, uint64_t size);

/* Boot-time set-up: build the final tables (kernel image W^X, direct map, areas) and switch. */
struct mb2_info;
int paging_init(const struct mb2_info *boot, bool nx);

#endif
