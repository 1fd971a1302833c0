/* Virtual range allocator: hands out page-granular ranges of a fixed window [base, base+size)
 * of the address space (the cell area, the stack area), built on the bitmap allocator. It only
 * tracks address space; mapping pages is the caller's business. Not thread-safe: callers lock. */
#ifndef KEEL_VRANGE_H
#define KEEL_VRANGE_H
#include <keel/bitalloc.h>
#include <stddef.h>
#include <stdint.h>

#define VRANGE_PAGE 4096u

/* Bitmap words vrange_init needs for a window of size bytes. */
#define VRANGE_WORDS(size) BITALLOC_WORDS((size) / VRANGE_PAGE)

struct vrange {
    struct bitalloc map; /* unit n = page at base + n * VRANGE_PAGE */
    uint64_t base;
    uint64_t size;
};

/* Manages [base, base+size), all free. base and size must be page-aligned, size non-zero, the
 * window must not wrap, and words must hold VRANGE_WORDS(size); KE_INVAL otherwise. */
int vrange_init(struct vrange *v, uint64_t base, uint64_t size, uint64_t *words, size_t nwords);

/* Allocates size_bytes (rounded up to pages) at the lowest address that is a multiple of
 * align_bytes (a power of two >= VRANGE_PAGE). KE_INVAL for size 0 or a bad alignment,
 * KE_NOSPC if no range fits. */
int vrange_alloc(struct vrange *v, uint64_t size_bytes, uint64_t align_bytes, uint64_t *addr_out);

/* Frees a range from vrange_alloc (or vrange_reserve); size rounds up to pages. KE_INVAL
 * (changing nothing) if addr is not page-aligned, the range is empty or leaves the window, or
 * any page of it is already free. */
int vrange_free(struct vrange *v, uint64_t addr, uint64_t size_bytes);

/* Marks every page touching [addr, addr+size) used, whether free or not (e.g. a fixed mapping).
 * size 0 is a no-op. KE_INVAL if the range leaves the window. */
int vrange_reserve(struct vrange *v, uint64_t addr, uint64_t size_bytes);

/* Free bytes left in the window. */
uint64_t vrange_free_bytes(const struct vrange *v);

#endif
