/* Bitmap allocator of fixed-size units over [0, nunits). The caller provides the bitmap storage,
 * so the allocator never allocates; it backs the physical frame allocator and the virtual range
 * allocators. Scans a 64-bit word at a time. Not thread-safe: callers lock. */
#ifndef KEEL_BITALLOC_H
#define KEEL_BITALLOC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Words of storage needed for n units. */
#define BITALLOC_WORDS(n) (((n) + 63) / 64)

struct bitalloc {
    uint64_t *words; /* bit set = unit free; bits at or beyond nunits always clear */
    size_t nwords;
    size_t nunits;
    size_t nfree;
    size_t hint; /* every unit below hint is used: first-fit scans start here */
};

/* Sets up b over nunits units using words[0..nwords) (needs BITALLOC_WORDS(nunits) words).
 * All units start used. KE_INVAL if storage is missing or too small. */
int bitalloc_init(struct bitalloc *b, uint64_t *words, size_t nwords, size_t nunits);

/* Marks [first, first+count) free / used, whatever its current state. count 0 is a no-op.
 * KE_INVAL if the range does not lie within [0, nunits). */
int bitalloc_mark_free(struct bitalloc *b, size_t first, size_t count);
int bitalloc_mark_used(struct bitalloc *b, size_t first, size_t count);

/* Allocates the lowest run of count free units whose first unit is a multiple of align_units
 * (a power of two). KE_INVAL for count 0 or a bad alignment, KE_NOSPC if no run fits. */
int bitalloc_alloc(struct bitalloc *b, size_t count, size_t align_units, size_t *first_out);

/* As bitalloc_alloc, but the run's first unit f satisfies (f + phase) % align_units == 0:
 * lets a window whose base is not aligned hand out absolutely aligned addresses. */
int bitalloc_alloc_phase(struct bitalloc *b, size_t count, size_t align_units, size_t phase,
                         size_t *first_out);

/* Frees an allocated run. KE_INVAL (changing nothing) for count 0, a range outside the map, or
 * if any unit of the range is already free (double free). */
int bitalloc_free(struct bitalloc *b, size_t first, size_t count);

/* True if unit is within the map and free. */
bool bitalloc_is_free(const struct bitalloc *b, size_t unit);

/* True if every unit of [first, first+count) is within the map and used. */
bool bitalloc_range_used(const struct bitalloc *b, size_t first, size_t count);

/* Number of free units / total units. */
size_t bitalloc_free_units(const struct bitalloc *b);
size_t bitalloc_units(const struct bitalloc *b);

#endif
