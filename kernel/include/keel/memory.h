/* Physical memory: the frame allocator fed from the multiboot2 memory map. */
#ifndef KEEL_MEMORY_H
#define KEEL_MEMORY_H
#include <stddef.h>
#include <stdint.h>

struct mb2_info;
/* Build the frame allocator: usable RAM minus the first MiB, the kernel image, the boot
 * information and every boot module. */
int memory_init(const struct mb2_info *boot, uint64_t boot_info_phys, size_t boot_info_size);

/* count contiguous frames aligned to align_pages; KE_NOMEM when none fit. */
int frame_alloc(size_t count, size_t align_pages, uint64_t *phys_out);
int frame_free(uint64_t phys, size_t count);

struct memory_stats {
    uint64_t usable_bytes; /* RAM the allocator manages */
    uint64_t free_bytes;
    uint64_t highest_phys;  /* end of the highest RAM region in the memory map */
    uint64_t ignored_bytes; /* usable RAM above PHYS_MANAGED_LIMIT */
};
void memory_stats(struct memory_stats *out);

#endif
