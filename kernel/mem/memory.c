/* Physical memory: the frame allocator is fed from the multiboot2 memory map, minus the first
 * MiB (BIOS data, and frame 0 for NULL safety), the kernel image, the boot information and
 * every boot module. */
#include <keel/noscan.h>
#include <keel/errno.h>
#include <keel/frames.h>
#include <keel/layout.h>
#include <keel/log.h>
#include <keel/mb2.h>
#include <keel/memory.h>
#include <keel/spinlock.h>
#include <keel/export.h>

extern char __kernel_phys_start[], __kernel_end[];

static uint64_t frame_bits[FRAMES_WORDS(PHYS_MANAGED_LIMIT)] KEEL_NOSCAN;
static struct frames frames;
static struct spinlock frames_lock = SPINLOCK_INIT;
static uint64_t highest_phys, ignored_bytes;

int memory_init(const struct mb2_info *boot, uint64_t info_phys, size_t info_size)
{
    if (!boot->mmap || boot->mmap_count == 0)
        return KE_NOENT;
    int err = frames_init(&frames, frame_bits, sizeof(frame_bits) / sizeof(frame_bits[0]),
                          PHYS_MANAGED_LIMIT);
    if (err)
        return err;
    for (size_t i = 0; i < boot->mmap_count; i++) {
        struct mb2_mmap_entry e;
        if (mb2_mmap_entry(boot, i, &e) || e.type != MB2_MMAP_AVAILABLE || e.length == 0)
            continue;
        uint64_t end = e.base + e.length;
        if (end < e.base) /* wraps: clamp to the top of the address space */
            end = ~0ull & ~(PAGE_SIZE - 1);
        if (end > highest_phys)
            highest_phys = end;
        if (end > PHYS_MANAGED_LIMIT)
            ignored_bytes += end - (e.base > PHYS_MANAGED_LIMIT ? e.base : PHYS_MANAGED_LIMIT);
        if (e.base < PHYS_MANAGED_LIMIT)
            frames_add_usable(&frames, e.base, end);
    }
    uint64_t kernel_end_phys = (uint64_t)(uintptr_t)__kernel_end - KERNEL_VMA;
    frames_reserve(&frames, 0, 0x100000);
    frames_reserve(&frames, (uint64_t)(uintptr_t)__kernel_phys_start, kernel_end_phys);
    frames_reserve(&frames, info_phys, info_phys + info_size);
    for (size_t i = 0; i < boot->module_count; i++)
        frames_reserve(&frames, boot->modules[i].start, boot->modules[i].end);
    if (ignored_bytes)
        log_warn("memory: %llu MiB above the managed limit of %llu GiB ignored",
                 (unsigned long long)(ignored_bytes >> 20),
                 (unsigned long long)(PHYS_MANAGED_LIMIT >> 30));
    return frames_free_count(&frames) ? 0 : KE_NOMEM;
}

int frame_alloc(size_t count, size_t align_pages, uint64_t *phys_out)
{
    int irq = spin_lock(&frames_lock);
    int err = frames_alloc(&frames, count, align_pages, phys_out);
    spin_unlock(&frames_lock, irq);
    return err == KE_NOSPC ? KE_NOMEM : err;
}

int frame_free(uint64_t phys, size_t count)
{
    int irq = spin_lock(&frames_lock);
    int err = frames_free(&frames, phys, count);
    spin_unlock(&frames_lock, irq);
    return err;
}

void memory_stats(struct memory_stats *out)
{
    /* out is the caller's memory: written with no lock held (a bad pointer faults the caller). */
    int irq = spin_lock(&frames_lock);
    uint64_t usable = (uint64_t)frames_total_usable(&frames) * PAGE_SIZE;
    uint64_t avail = (uint64_t)frames_free_count(&frames) * PAGE_SIZE;
    spin_unlock(&frames_lock, irq);
    out->usable_bytes = usable;
    out->free_bytes = avail;
    out->highest_phys = highest_phys;
    out->ignored_bytes = ignored_bytes;
}

KEEL_EXPORT_FUNC(memory_stats);
